"""Long work as a job (issue 20): importing a large district takes most of a minute, and
the proxies in front of the gateway cut a request at 60 s. Work past a size is started
in the background of the service that owns it and answered at once with a job: its
status (``queued``, ``running``, ``succeeded``, ``failed``), its progress (a phase, done
of total) and, at the end, its result or its error as the service would have answered.

A job's row lives in its service's database (``jobs_table``), so any replica answers
for it; the work runs in the replica that took it, as a greenthread the container
manages. A replica that dies mid-job leaves a row that stops beating
(``heartbeat_at``): after ``STALE_SECONDS`` it reads as failed, ``JOB_INTERRUPTED``, and
since the work is all or nothing, nothing of it was stored. Job ids carry their service
(``grid-<uuid>``), so the gateway knows whom to ask.
"""
import datetime as dt
import logging
import time
import uuid

import eventlet
from nameko.extensions import DependencyProvider
from sqlalchemy import JSON, Column, Index, Integer, String, Table, select

from common.db import Database, UtcDateTime, find_dependency, utcnow
from common.errors import AppError, NotFound

log = logging.getLogger(__name__)

STALE_SECONDS = 120
PROGRESS_EVERY_SECONDS = 0.5   # how often progress is written (each write is a transaction)
STATUSES = ("queued", "running", "succeeded", "failed")


def jobs_table(metadata):
    return Table(
        "jobs", metadata,
        Column("id", String(50), primary_key=True),
        Column("kind", String(40), nullable=False),
        Column("status", String(12), nullable=False),
        Column("phase", String(40), nullable=True),
        Column("done", Integer, nullable=False, default=0),
        Column("total", Integer, nullable=False, default=0),
        Column("result", JSON, nullable=True),
        Column("error", JSON, nullable=True),
        Column("created_by", String(36), nullable=True),
        Column("created_at", UtcDateTime, nullable=False),
        Column("started_at", UtcDateTime, nullable=True),
        Column("finished_at", UtcDateTime, nullable=True),
        Column("heartbeat_at", UtcDateTime, nullable=True),
        Index("ix_jobs_created_by", "created_by", "created_at"),
    )


def view(row, now=None, live=None):
    """A job as the API shows it; a running job whose heartbeat stopped reads as failed.
    ``live``: this process's own note of a job it runs (phase, done, total, heartbeat_at),
    newer than the row when the row cannot be written meanwhile (SQLite)."""
    status, error = row.status, row.error
    beat = row.heartbeat_at or row.started_at or row.created_at
    phase, done, total = row.phase, row.done, row.total
    if live and status in ("queued", "running"):
        beat, phase, done, total = max(beat, live["heartbeat_at"]), live["phase"], live["done"], live["total"]
    if status in ("queued", "running") and beat < (now or utcnow()) - dt.timedelta(seconds=STALE_SECONDS):
        status, error = "failed", {"error": "JOB_INTERRUPTED", "message": "The service running this job stopped "
                                                                          "before it ended; nothing was stored. "
                                                                          "Start it again.", "details": {}}
    return {"id": row.id, "kind": row.kind, "status": status, "phase": phase, "done": done,
            "total": total, "result": row.result, "error": error, "created_by": row.created_by,
            "created_at": row.created_at.isoformat(), "started_at": row.started_at and row.started_at.isoformat(),
            "finished_at": row.finished_at and row.finished_at.isoformat()}


class Progress:
    """What a job's work calls as it goes: ``progress(phase, done, total)``. It writes at
    most every PROGRESS_EVERY_SECONDS (and always when the phase changes), and yields to
    the service's other greenthreads each time it is called, so a long import does not
    hold the service's event loop."""

    def __init__(self, jobs, job_id):
        self.jobs, self.job_id, self.last, self.phase = jobs, job_id, 0.0, None

    def __call__(self, phase, done, total):
        eventlet.sleep(0)
        moment = time.monotonic()
        if phase != self.phase or moment - self.last >= PROGRESS_EVERY_SECONDS or done >= total:
            self.phase, self.last = phase, moment
            self.jobs.note(self.job_id, phase=phase, done=done, total=total, heartbeat_at=utcnow())


class Jobs(DependencyProvider):
    """A service's jobs: ``launch(kind, work, total, actor)`` runs ``work(progress)`` in the
    background and answers the job; ``get(job_id, actor)`` reads one."""

    def __init__(self, table):
        self.table = table

    def setup(self):
        self.service = self.container.service_name
        self.live = {}  # job id -> its progress, for the jobs this process runs

    def get_dependency(self, worker_ctx):
        return self

    @property
    def db(self):
        return find_dependency(self.container, Database).handle

    def note(self, job_id, **progress):
        """Progress, kept here and, where the database has a connection to spare, in the
        job's row for the other replicas. On SQLite the service has one connection, which
        the work's own transaction holds: writing there would wait for ever."""
        self.live[job_id] = progress
        if self.db.engine.dialect.name != "sqlite":
            self.update(job_id, **progress)

    def update(self, job_id, **values):
        with self.db.transaction() as session:
            session.execute(self.table.update().where(self.table.c.id == job_id).values(**values))

    def launch(self, kind, work, *, total, actor=None):
        job_id, now = f"{self.service}-{uuid.uuid4()}", utcnow()
        with self.db.transaction() as session:
            session.execute(self.table.insert().values(
                id=job_id, kind=kind, status="queued", done=0, total=total,
                created_by=actor and actor.account_id, created_at=now, heartbeat_at=now))
        self.container.spawn_managed_thread(lambda: self._run(job_id, work), identifier=f"job {job_id}")
        return self.get(job_id)

    def _run(self, job_id, work):
        """Never raises: an error in a managed thread would stop the whole container (a
        job whose end cannot be written reads as interrupted once its heartbeat stops)."""
        try:
            self.update(job_id, status="running", started_at=utcnow(), heartbeat_at=utcnow())
            try:
                result = work(Progress(self, job_id))
            except AppError as exc:  # the answer the request would have had
                self.update(job_id, status="failed", error=exc.to_dict(), finished_at=utcnow(),
                            **self.live.get(job_id, {}))
            else:  # with how far it got, which a SQLite row could not be told meanwhile
                self.update(job_id, status="succeeded", result=result, finished_at=utcnow(),
                            **self.live.get(job_id, {}))
            self.live.pop(job_id, None)
        except Exception:
            log.exception("job %s failed", job_id)
            try:
                self.update(job_id, status="failed", finished_at=utcnow(), error={
                    "error": "INTERNAL_ERROR", "message": "The job failed unexpectedly; nothing was stored.",
                    "details": {"job_id": job_id}})
            except Exception:
                log.exception("job %s: its failure could not be recorded", job_id)
            self.live.pop(job_id, None)

    def get(self, job_id, actor=None):
        """The job, for its starter and for district-wide callers (None: internal); to
        anyone else, as a job nobody has."""
        with self.db.read() as session:
            row = session.execute(select(self.table).where(self.table.c.id == job_id)).first()
        if row is None or not (actor is None or actor.district_wide or actor.account_id == row.created_by):
            raise NotFound(f"No job has the id {job_id}.", code="JOB_NOT_FOUND", details={"job_id": job_id})
        return view(row, live=self.live.get(job_id))
