"""Long work as a job (common.jobs), without a service: a job whose heartbeat stopped
reads as interrupted, and progress is written when its phase changes, at the end, and
otherwise at most every PROGRESS_EVERY_SECONDS."""
import datetime as dt
from types import SimpleNamespace

from common import jobs

NOW = dt.datetime(2026, 12, 6, 8, tzinfo=dt.timezone.utc)


def row(status, beat_seconds_ago):
    beat = NOW - dt.timedelta(seconds=beat_seconds_ago)
    return SimpleNamespace(id="grid-x", kind="grid_import", status=status, phase="adding", done=3, total=9,
                           result=None, error=None, created_by="a1", created_at=beat, started_at=beat,
                           finished_at=None, heartbeat_at=beat)


def test_a_running_job_whose_heartbeat_stopped_reads_as_interrupted():
    assert jobs.view(row("running", 5), NOW)["status"] == "running"
    stale = jobs.view(row("running", jobs.STALE_SECONDS + 1), NOW)
    assert (stale["status"], stale["error"]["error"]) == ("failed", "JOB_INTERRUPTED")
    assert jobs.view(row("succeeded", 10 * jobs.STALE_SECONDS), NOW)["status"] == "succeeded"


def test_progress_is_written_on_a_new_phase_at_the_end_and_now_and_then():
    written = []
    recorder = SimpleNamespace(note=lambda job_id, **values: written.append((values["phase"], values["done"])))
    progress = jobs.Progress(recorder, "grid-x")
    for done in range(100):
        progress("checking", done, 100)
    for done in range(51):
        progress("adding", done, 50)
    assert written[0] == ("checking", 0) and ("adding", 0) in written and written[-1] == ("adding", 50)
    assert len(written) < 10      # not one write per feature


def test_this_processs_own_note_of_a_job_is_newer_than_its_row():
    """On SQLite the row is not written while the work's transaction holds the one
    connection: the process running the job answers from its note, heartbeat included."""
    stale_row = row("running", jobs.STALE_SECONDS + 30)
    live = {"phase": "adding", "done": 7, "total": 9, "heartbeat_at": NOW}
    shown = jobs.view(stale_row, NOW, live)
    assert (shown["status"], shown["done"], shown["phase"]) == ("running", 7, "adding")
