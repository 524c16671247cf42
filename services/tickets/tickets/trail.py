"""The tamper-evident trail (可追溯): every action appended with actor, role, time,
from/to state and note; each entry's hash covers its content and the previous
entry's hash, and the ticket keeps the newest hash (the head). Editing any entry
breaks its hash; deleting one breaks the chain or the head; reordering breaks both.
"""
import hashlib
import json

GENESIS = "0" * 64
HASHED_FIELDS = ("ticket_id", "seq", "action", "actor_account_id", "actor_username", "actor_role", "at",
                 "from_state", "to_state", "from_level", "to_level", "note", "data")


def canonical(entry):
    values = {name: entry[name] for name in HASHED_FIELDS}
    values["at"] = values["at"] if isinstance(values["at"], str) else values["at"].isoformat()
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(prev_hash, entry):
    return hashlib.sha256((prev_hash + canonical(entry)).encode("utf-8")).hexdigest()


def verify(entries, head):
    """Problems found in a ticket's trail (entries as dicts, ordered by seq); [] if intact."""
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
    return problems
