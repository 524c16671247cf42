"""Long work as a job (common.jobs): a request past a size is answered at once with
202 and the job, whose progress and result are read here."""
from common import config as cfg
from common.http import json_response
from common.roles import EVERYONE
from gateway.routing import API, Route
from gateway.schemas import jobs as s

TAG = "jobs"
# A larger import is a job (proxies cut a request at 60 s; the large district takes 40-56 s).
GRID_IMPORT_JOB_FEATURES = cfg.env_int("GRID_IMPORT_JOB_FEATURES", 200)
ROSTER_IMPORT_JOB_BYTES = cfg.env_int("ROSTER_IMPORT_JOB_BYTES", 256 * 1024)


def wants_job(request):
    """RFC 7240: ``Prefer: respond-async`` asks for a job whatever the size."""
    return "respond-async" in (request.headers.get("Prefer") or "").lower()


def accepted(job):
    return json_response(job, 202, {"Location": f"{API}/jobs/{job['id']}"})


def get_job(ctx):
    job_id = ctx.path["job_id"]
    service = job_id.split("-", 1)[0]   # the path's pattern admits only the services that run jobs
    return ctx.rpc(service).get_job(job_id=job_id, actor=ctx.actor.to_wire())


ACCEPTED = (202, "too large for one request (or `Prefer: respond-async`): the job, to follow at `Location`",
            s.Job)
ROUTES = [
    Route("GET", "/jobs/{job_id}", "get_job", "A job: its status, progress and result", EVERYONE, get_job, TAG,
          path_schema=s.JobPath, response=s.Job,
          description="For whoever started it and district-wide accounts; anyone else: 404 `JOB_NOT_FOUND`. "
                      "`status`: queued, running, succeeded (with `result`, as the request would have answered) "
                      "or failed (with `error`, likewise; `JOB_INTERRUPTED` if the service running it stopped: "
                      "nothing was stored). `phase`, `done` of `total`: how far it is."),
]
