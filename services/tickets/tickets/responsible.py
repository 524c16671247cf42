"""The entrypoints that keep people's grid assignments in tickets (``tickets.staff``
holds the rules): their events, and a periodic snapshot. A mixin of TicketsService,
which brings ``db``."""
import logging
import time

from nameko.extensions import DependencyProvider
from nameko.timer import timer

from common import config as cfg
from common.errors import Unavailable
from common.inbox import idempotent_handler
from common.rpc import ServiceRpc, rpc
from tickets import staff

log = logging.getLogger(__name__)


class StaffSyncSchedule(DependencyProvider):
    """When this replica next takes people's snapshot of the grid assignments: a
    minute after start, then every ``STAFF_SYNC_SECONDS`` (3600), a minute after a failure."""

    retry_seconds = 60.0

    def setup(self):
        self.every = cfg.env_float("STAFF_SYNC_SECONDS", 3600, self.container.config)
        self.due = 0.0

    def get_dependency(self, worker_ctx):
        return self


class ResponsibleWorkers:
    people = ServiceRpc("people", timeouts={"list_assignments": 60})
    staff_sync = StaffSyncSchedule()

    @idempotent_handler("people", "person_assigned")
    def handle_person_assigned(self, session, envelope):
        staff.record_assignment(session, envelope["payload"])

    @idempotent_handler("people", "person_left")
    def handle_person_left(self, session, envelope):
        staff.record_assignment(session, envelope["payload"])

    # Not eager: a call made as the container starts can lose its reply (the reply
    # queue is not consumed yet) and hold the worker, and a stop, for the whole timeout.
    @timer(interval=60)
    def sync_staff(self):
        if time.monotonic() >= self.staff_sync.due:
            self.sync_staff_now()

    @rpc
    def sync_staff_now(self):
        """Take people's snapshot of every assignment; None if people did not answer
        (the next try is a minute later)."""
        try:
            views = self.people.list_assignments()["items"]  # limit None: every post
        except Unavailable as exc:
            self.staff_sync.due = time.monotonic() + self.staff_sync.retry_seconds
            log.warning("grid staff not synchronised, retrying in %.0f s: %s", self.staff_sync.retry_seconds,
                        exc.message)
            return None
        with self.db.transaction() as session:
            added, ended = staff.merge_snapshot(session, views)
        self.staff_sync.due = time.monotonic() + self.staff_sync.every
        if added or ended:
            log.info("grid staff synchronised: %d assignments added, %d ended", added, ended)
        return {"assignments": len(views), "added": added, "ended": ended}
