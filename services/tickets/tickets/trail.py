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
"""
import datetime as dt
import hashlib
import json

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


def verify(entries, head, row=None):
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
