"""The tamper-evident trail (可追溯): every action appended with actor, role, time,
from/to state and note; each entry's hash covers its content and the previous
entry's hash, and the ticket keeps the newest hash (the head). Editing any entry
breaks its hash; deleting one breaks the chain or the head; reordering breaks both.

Each entry also seals the ticket row as that action left it (``row_digest``): a
SHA-256 over the guarded fields, which change only through steps that append an
entry, and a short fingerprint per field that names what was edited. So a row
edited in the database (its status, its grid) no longer matches its newest entry.

The chain and the seal live in the tickets database, so someone who can write it
could delete the newest entries and rewind the head to match. The head is therefore
also carried by the ticket's events to a witness outside this database (scoring
keeps the highest ``(trail_seq, trail_head)`` per ticket): a trail shorter than the
witness, or differing from it at the witnessed entry, has been cut or rewritten.

The hashing comes first, pure; below it the stored trail: entries appended in a
step's transaction, the marks its events carry, the history, and verification of one
ticket or of all of them.
"""
import datetime as dt
import hashlib
import json

from sqlalchemy import select

from tickets.models import Ticket, TrailEntry, get_ticket

GENESIS = "0" * 64
HASHED_FIELDS = ("ticket_id", "seq", "action", "actor_account_id", "actor_username", "actor_role", "at",
                 "from_state", "to_state", "from_level", "to_level", "note", "data")

# The ticket's fields an entry seals: each changes only through a step that appends an
# entry (an action, the SLA scan's escalation, the re-home after a grid split or merge),
# so between two entries none of them moves. Not sealed: the version, the trail head,
# timestamps of steps, the responsible worker, the likely duplicate, the reporter's
# contact (set once, read-only to the loop) and the description's signature (computed
# from the sealed description: an edit shows against it).
ROW_FIELDS = ("status", "level", "grid_code", "outcome", "category", "grade", "satisfaction", "duplicate_of",
              "reopen_count", "suspended", "lead_department", "description", "reporter_account_id", "anonymous",
              "reported_at", "lon", "lat", "accept_due", "respond_due", "resolve_due")
# Guarded fields added after tickets were sealed, each with the value every older ticket
# holds (the migration gave them that): one enters the digest only when it holds
# something else, so older seals, which know nothing of it, still verify, and an edit
# of it is caught on older tickets and new ones alike (a recategorisation erased, a
# staff report passed off as nobody's, a resident's claimed as a worker's own, a
# resolution by one's own hand passed off as another's, a community's whistle passed
# off as the town's, so that another level verifies).
LATER_FIELDS = (
    ("reporter_person_id", lambda ticket: None),
    ("reported_category", lambda ticket: ticket.category),
    ("resolved_by_person_id", lambda ticket: None),
    # every older whistle was the town's (the only level that whistled then)
    ("whistle_level", lambda ticket: "town" if ticket.lead_department else None),
    # a burst report's flag erased, or a report moved onto another household
    ("review_flag", lambda ticket: None),
    ("household_id", lambda ticket: None),
)
FINGERPRINT_LENGTH = 8  # hex digits per field: enough to name an edited field, not to prove anything


def _dumps(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _row_value(value):
    if isinstance(value, dt.datetime):  # as stored: UTC, to the microsecond
        return value.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")
    return value


def row_digest(ticket):
    """The seal of the ticket row as it is now: ``{"sha256": over all guarded fields,
    "fields": {field: its fingerprint}}``."""
    values = {name: _row_value(getattr(ticket, name)) for name in ROW_FIELDS}
    for name, usual in LATER_FIELDS:
        if getattr(ticket, name) != usual(ticket):
            values[name] = getattr(ticket, name)
    return {"sha256": _sha256(_dumps(values)),
            "fields": {name: _sha256(_dumps([name, value]))[:FINGERPRINT_LENGTH] for name, value in values.items()}}


def canonical(entry):
    values = {name: entry[name] for name in HASHED_FIELDS}
    values["at"] = values["at"] if isinstance(values["at"], str) else values["at"].isoformat()
    if entry.get("row_digest") is not None:  # entries written before the seal hash as they always did
        values["row_digest"] = entry["row_digest"]
    return _dumps(values)


def entry_hash(prev_hash, entry):
    return hashlib.sha256((prev_hash + canonical(entry)).encode("utf-8")).hexdigest()


def check_chain(entries, head, row=None):
    """Problems found in a ticket's trail (entries as dicts, ordered by seq); [] if intact.
    ``row``: the ticket's current row digest, checked against the newest entry's seal."""
    problems, prev = [], GENESIS
    for expected_seq, entry in enumerate(entries, start=1):
        if entry["seq"] != expected_seq:
            problems.append({"seq": expected_seq, "problem": "missing entry (deleted?)"})
            expected_seq = entry["seq"]
        if entry["prev_hash"] != prev:
            problems.append({"seq": entry["seq"], "problem": "chain broken: previous hash does not match"})
        if entry_hash(entry["prev_hash"], entry) != entry["hash"]:
            problems.append({"seq": entry["seq"], "problem": "content changed after it was written"})
        prev = entry["hash"]
    if prev != head:
        problems.append({"seq": len(entries), "problem": "the last entries are missing (head does not match)"})
    sealed = entries[-1].get("row_digest") if entries else None
    if sealed and row is not None and row["sha256"] != sealed.get("sha256"):
        prints = sealed.get("fields") or {}
        fields = [name for name in prints.keys() | row["fields"].keys() if row["fields"].get(name) != prints.get(name)]
        problems.append({"seq": entries[-1]["seq"], "fields": sorted(fields) or ["unknown"],
                         "problem": "the ticket row differs from what its last step left (edited outside the loop)"})
    return problems


def check_witness(entries, witness):
    """(problems, summary) comparing the trail with the witness's mark (``trail_seq``,
    ``trail_head``; None: it has seen no event of this ticket yet). The summary names
    no hash: a hash over an anonymous report's entries could be matched against
    candidate reporters."""
    if witness is None:
        return [], {"checked": True, "witnessed": False}
    seq, head = witness["trail_seq"], witness["trail_head"]
    summary = {"checked": True, "witnessed": True, "trail_seq": seq}
    last = entries[-1]["seq"] if entries else 0
    if seq > last:
        return [{"seq": seq, "problem": f"the witness saw entry {seq}; the trail ends at {last} (entries deleted)"}], \
            summary
    entry = next((e for e in entries if e["seq"] == seq), None)
    if entry is None or entry["hash"] != head:
        return [{"seq": seq, "problem": "entry differs from the one the witness saw (trail rewritten)"}], summary
    return [], summary


# --- the stored trail ----------------------------------------------------------------

_TRAIL_LAST = "trail_last"  # session.info: {ticket id: newest entry} written in this transaction


def start_trail(session, ticket, *, change, actor, now):
    """A new ticket's first entry, remembered as its newest in this transaction; the
    caller adds it after the ticket (one flush inserts both, the ticket first)."""
    first = _trail_entry(ticket, change=change, actor=actor, now=now, last=None)
    session.info.setdefault(_TRAIL_LAST, {})[ticket.id] = first
    return first


def append_trail(session, ticket, *, change, actor, now):
    """Chain an entry to the ticket's newest one. The newest is read without
    autoflush: a flush here would write the ticket's changes in a first UPDATE and
    the new trail head in a second, moving its version twice for one action."""
    last = session.info.get(_TRAIL_LAST, {}).get(ticket.id)
    if last is None:
        with session.no_autoflush:
            last = session.scalar(select(TrailEntry).where(TrailEntry.ticket_id == ticket.id)
                                  .order_by(TrailEntry.seq.desc()).limit(1))
    entry = _trail_entry(ticket, change=change, actor=actor, now=now, last=last)
    session.info.setdefault(_TRAIL_LAST, {})[ticket.id] = entry  # a second append in this transaction
    session.add(entry)


def _trail_entry(ticket, *, change, actor, now, last):
    """The entry after ``last`` (None: the first), chained to it and sealing the row as
    this step leaves it (so every change of the row comes before this call); the
    ticket keeps the newest hash."""
    entry = {
        "ticket_id": ticket.id, "seq": (last.seq + 1) if last else 1, "action": change.action,
        "actor_account_id": actor.account_id, "actor_username": actor.username, "actor_role": actor.role,
        "at": now.isoformat(), "from_state": change.from_state, "to_state": change.to_state,
        "from_level": change.from_level, "to_level": change.to_level, "note": change.note,
        "data": change.data, "row_digest": row_digest(ticket),
    }
    entry["prev_hash"] = last.hash if last else GENESIS
    entry["hash"] = entry_hash(entry["prev_hash"], entry)
    ticket.trail_head = entry["hash"]
    return TrailEntry(**entry)


def trail_mark(session, ticket):
    """``{"trail_seq", "trail_head"}`` of the entry appended to ``ticket`` in this
    transaction: what its event carries to the witness."""
    entry = session.info[_TRAIL_LAST][ticket.id]
    return {"trail_seq": entry.seq, "trail_head": entry.hash}


def trail_of(session, ticket_id):
    """The trail as the history shows it (the row seals stay inside: see visibility)."""
    return [{name: entry[name] for name in HASHED_FIELDS + ("prev_hash", "hash")}
            for entry in _entries(session, ticket_id)]


def _entries(session, ticket_id):
    rows = session.scalars(select(TrailEntry).where(TrailEntry.ticket_id == ticket_id).order_by(TrailEntry.seq))
    return [{name: getattr(row, name) for name in HASHED_FIELDS + ("row_digest", "prev_hash", "hash")}
            for row in rows]


UNCHECKED = {"checked": False, "reason": "not asked"}


def verify(session, ticket_id, witness=UNCHECKED):
    """Whether the ticket's trail and row are intact. ``witness``: the mark the witness
    holds (read before this, so a step taken meanwhile cannot put it ahead of the
    trail), None if it has none, or a ``{"checked": False, ...}`` saying why it was
    not asked: then ``intact`` reflects the local checks only."""
    ticket = get_ticket(session, ticket_id)
    entries = _entries(session, ticket.id)
    problems = check_chain(entries, ticket.trail_head, row_digest(ticket))
    if witness is not None and witness.get("checked") is False:
        summary = witness
    else:
        found, summary = check_witness(entries, witness)
        problems += found
    return {"ticket_id": ticket.id, "number": ticket.number, "intact": not problems, "problems": problems,
            "witness": summary}


def verify_all(session, witnesses=None, batch=500):
    """Every ticket verified, in id order. ``witnesses``: the witness's marks in ticket
    id order (an iterator; None: not checked); a mark whose ticket is not in the
    database is a ticket deleted. Ticket ids are UUIDs, whose order is the same in
    every collation (the hyphens stand at the same places), so the database's order
    and Python's agree."""
    marks = _Marks(witnesses)
    results, checked, after = [], 0, None
    while True:
        query = select(Ticket.id).order_by(Ticket.id).limit(batch)
        ids = session.scalars(query.where(Ticket.id > after) if after else query).all()
        if not ids:
            break
        for ticket_id in ids:
            results += [_unlisted(session, mark) for mark in marks.before(ticket_id)]
            results.append(verify(session, ticket_id, marks.of(ticket_id)))
            checked += 1
        after = ids[-1]
    results += [_unlisted(session, mark) for mark in marks.before(None)]
    broken = [result for result in results if not result["intact"]]
    return {"checked": checked, "broken": broken, "witness": marks.state()}


def _unlisted(session, mark):
    """A mark between the tickets listed: of a ticket reported after the list passed its
    place (verified now), or of one no longer in the database (deleted)."""
    if session.scalar(select(Ticket.id).where(Ticket.id == mark["ticket_id"])) is not None:
        return verify(session, mark["ticket_id"], mark)
    return {"ticket_id": mark["ticket_id"], "number": None, "intact": False, "problems": [
        {"seq": mark["trail_seq"], "problem": "the witness saw this ticket; the database has none (deleted)"}]}


class _Marks:
    """A walk along the witness's marks in ticket id order, beside the tickets. If
    reading them fails part way, the rest is not checked (and the state says so)."""

    def __init__(self, marks):
        self._asked = marks is not None
        self._marks, self._next, self._error = (iter(marks) if self._asked else None), None, None

    def _peek(self):
        if self._next is None and self._marks is not None:
            try:
                self._next = next(self._marks, None)
            except Exception as exc:  # noqa: BLE001 (the witness stopped answering: check no further)
                self._error = f"the witness stopped answering: {getattr(exc, 'message', None) or exc!r}"
            if self._next is None:
                self._marks = None
        return self._next

    def before(self, ticket_id):
        """The marks of tickets before ``ticket_id`` (None: all the rest)."""
        found = []
        while self._peek() is not None and (ticket_id is None or self._next["ticket_id"] < ticket_id):
            found.append(self._next)
            self._next = None
        return found

    def of(self, ticket_id):
        """The mark of this ticket, None if the witness has none, or why it was not checked."""
        if self._peek() is not None and self._next["ticket_id"] == ticket_id:
            mark, self._next = self._next, None
            return mark
        if not self._asked or self._error:
            return {"checked": False, "reason": self._error or "not asked"}
        return None

    def state(self):
        if not self._asked or self._error:
            return {"checked": False, "reason": self._error or "not asked"}
        return {"checked": True}
