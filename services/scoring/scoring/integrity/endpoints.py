"""Integrity's RPC entrypoints, a mixin of ScoringService (as FactsFeed is): reading
flags and an auditor's review. Who may read what:

- supervisors and auditors (SUPERVISOR_READERS) read every flag in their scope;
- anyone else reads the confirmed flags on their own record (as a person), nothing more;
- only an auditor reaching a flag's grid reviews it (the route admits auditors only).

A flag outside the caller's reach is answered as one that does not exist.
"""
import eventlet
from nameko.timer import timer

from common import config as cfg
from common.actor import Actor
from common.errors import Unavailable
from common.roles import AUDITORS, SUPERVISOR_READERS
from common.rpc import rpc
from scoring.integrity import flags, scan, thresholds

# How often the facts that arrived are scanned (seconds; INTEGRITY_SCAN_SECONDS).
SCAN_SECONDS = cfg.env_float("INTEGRITY_SCAN_SECONDS", 20.0)


def _let_others_run():
    """A scan's pause: the service's other greenthreads (calls, events, the broker's
    heartbeats) run before it goes on; a district's scan is half a minute of work."""
    eventlet.sleep(0)


def _reads_scope(actor):
    return actor is None or actor.has_role(SUPERVISOR_READERS)


def _visible(actor, flag):
    if actor is None or (actor.has_role(SUPERVISOR_READERS) and actor.reaches(flag.grid_code)):
        return True
    return flag.status == "confirmed" and actor.person_id is not None and actor.person_id == flag.person_id


class IntegrityEndpoints:
    """For a service with ``db`` and ``outbox``."""

    def _announce(self, session, rows):
        for row in rows:
            self.outbox.add(session, "integrity_flag_raised", flags.event_payload(row))

    @timer(interval=SCAN_SECONDS)
    def scan_marked_facts(self):
        """The incremental scan: the communities of the people whose facts arrived."""
        with self.db.transaction() as session:
            self._announce(session, scan.scan_marked(session, pause=_let_others_run))

    @rpc
    def scan_integrity(self, data, actor=None):
        """Scan ``data["scope"]`` for ``data["period"]`` (a month or a quarter) now: the
        figures of the scan (people, facts, flags seen and new, seconds)."""
        actor = Actor.from_wire(actor)
        data = flags.load_scan(data)
        if actor is not None:
            actor.require_reach(data["scope"])
        with self.db.transaction() as session:
            rows, figures = scan.scan(session, data["scope"], data["period"], pause=_let_others_run)
            self._announce(session, rows)
        return figures

    @rpc
    def integrity_thresholds(self):
        """The thresholds in force, with their version (0: the shipped defaults)."""
        with self.db.read() as session:
            return flags.thresholds_view(session)

    @rpc
    def save_integrity_thresholds(self, document, actor=None):
        actor = Actor.from_wire(actor)
        with self.db.transaction() as session:
            flags.save_thresholds(session, document, author=actor.username if actor else "system")
            return flags.thresholds_view(session)

    @rpc
    def list_flags(self, root=None, period=None, pattern=None, status=None, limit=100, after=None, actor=None):
        actor = Actor.from_wire(actor)
        if pattern is not None and pattern not in thresholds.PATTERNS:
            raise thresholds.unknown_pattern(pattern)
        person_id = None
        if _reads_scope(actor):
            if actor is not None:
                root = root or actor.reach or None
                actor.require_reach(root)
        else:  # one's own record: confirmed flags only
            if root:
                actor.require_reach(root)
            if not actor.person_id:
                return {"items": [], "next": None}
            person_id, status = actor.person_id, "confirmed"
        with self.db.read() as session:
            page, following = flags.listing(session, root=root, period=period, pattern=pattern, status=status,
                                            person_id=person_id, limit=limit, after=after)
            counts = flags.counts(session, root=root, period=period) if person_id is None else None
            return {"items": [flags.view(flag, with_evidence=False) for flag in page], "next": following,
                    **({"counts": counts} if counts is not None else {})}

    @rpc
    def get_flag(self, flag_id, actor=None):
        actor = Actor.from_wire(actor)
        with self.db.read() as session:
            flag = flags.get(session, flag_id)
            if not _visible(actor, flag):
                raise flags.FlagNotFound(f"No integrity flag has the id {flag_id}.", details={"flag_id": flag_id})
            view = flags.view(flag, trail_rows=flags.trail(session, flag.id))
        return self._with_texts(view)

    def _with_texts(self, view):
        """The evidence's texts, from their owners (scoring keeps only signatures): each
        ticket's description, each visit's notes. An owner that is down leaves its texts
        out and says so (``texts_missing``); the flag is still read."""
        owners = {"ticket": (self.tickets, "ticket_descriptions"), "visit": (self.people, "visit_notes")}
        missing = []
        for kind, (owner, method) in owners.items():
            ids = sorted({item["id"] for item in view["evidence"] if item.get("kind") == kind})
            if not ids:
                continue
            try:
                texts = getattr(owner, method)(ids[:1000])
            except Unavailable:
                missing.append(kind)
                continue
            for item in view["evidence"]:
                if item.get("kind") == kind:
                    item["text"] = texts.get(item["id"])
        view["texts_missing"] = missing
        return view

    @rpc
    def review_flag(self, flag_id, data, actor=None):
        actor = Actor.from_wire(actor)
        data = flags.load_review(data)
        with self.db.transaction() as session:
            flag = flags.get(session, flag_id)
            if actor is not None and not (actor.has_role(AUDITORS) and actor.reaches(flag.grid_code)):
                raise flags.FlagNotFound(f"No integrity flag has the id {flag_id}.", details={"flag_id": flag_id})
            flag = flags.review(session, flag_id, decision=data["decision"], note=data["note"],
                                reviewer=actor.username if actor else "system",
                                reviewer_account_id=actor.account_id if actor else "system")
            return flags.view(flag, trail_rows=flags.trail(session, flag.id))
