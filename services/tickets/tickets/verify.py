"""Command-line check of every ticket's tamper-evident trail:

    python -m tickets.verify          # exit 0 when every trail is intact, 1 otherwise

Reads the tickets database named by TICKETS_DB_URL (or the SQLite file in DATA_DIR).
"""
import json
import sys

from common.cli import configure_logging, open_database
from tickets import MIGRATIONS_DIR, loop


def main():
    configure_logging()
    db = open_database("tickets", MIGRATIONS_DIR)
    with db.read() as session:
        result = loop.verify_all(session)
    db.engine.dispose()
    print(json.dumps({"checked": result["checked"], "broken": len(result["broken"])}, ensure_ascii=False))
    for broken in result["broken"]:
        print(json.dumps(broken, ensure_ascii=False))
    return 1 if result["broken"] else 0


if __name__ == "__main__":
    sys.exit(main())
