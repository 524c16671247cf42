"""Command-line check of every ticket's tamper-evident trail and row:

    python -m tickets.verify               # exit 0 when every ticket is intact, 1 otherwise
    python -m tickets.verify --no-witness  # the tickets database alone

Reads the tickets database named by TICKETS_DB_URL (or the SQLite file in DATA_DIR),
and the witness scoring keeps of each trail's head over RPC (the broker at AMQP_URI),
when a broker answers. Prints a summary line, then one line per broken ticket.
"""
import argparse
import json
import logging
import sys

from common import config as cfg
from common.cli import configure_logging, open_database
from common.launcher import broker_answers
from tickets import MIGRATIONS_DIR, trail

log = logging.getLogger("tickets.verify")
PAGE = 500


def witness_marks(rpc):
    """Every mark the witness holds, in ticket id order, a page at a time."""
    after = None
    while True:
        page = rpc.scoring.trail_witnesses(after, PAGE)
        yield from page["items"]
        if page["next"] is None:
            return
        after = page["next"]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tickets.verify", description=__doc__.splitlines()[0])
    parser.add_argument("--no-witness", action="store_true", help="skip the witness kept by scoring")
    args = parser.parse_args(argv)
    configure_logging()
    db = open_database("tickets", MIGRATIONS_DIR)
    amqp_uri = cfg.env("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    try:
        if args.no_witness:
            result = _verify(db, None, "skipped (--no-witness)")
        elif not broker_answers(amqp_uri):
            result = _verify(db, None, "no broker answered at AMQP_URI")
        else:
            from nameko.standalone.rpc import ClusterRpcProxy

            timeout = cfg.env_float("RPC_TIMEOUT_SECONDS", 3)
            with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout) as rpc:
                result = _verify(db, witness_marks(rpc), None)
    finally:
        db.engine.dispose()
    print(json.dumps({"checked": result["checked"], "broken": len(result["broken"]), "witness": result["witness"]},
                     ensure_ascii=False))
    for broken in result["broken"]:
        print(json.dumps(broken, ensure_ascii=False))
    return 1 if result["broken"] else 0


def _verify(db, marks, not_asked):
    with db.read() as session:
        result = trail.verify_all(session, marks)
    if not_asked:
        result["witness"] = {"checked": False, "reason": not_asked}
    if not result["witness"]["checked"]:
        log.warning("trail heads not checked against the witness: %s", result["witness"]["reason"])
    return result


if __name__ == "__main__":
    sys.exit(main())
