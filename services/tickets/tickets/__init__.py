"""The closed loop: intake, routing, escalation, SLA clocks, feedback and ratings.

Modules, each importing only those before it: exceptions (every error), models (the
tables; finding a ticket), catalogue, calendar, workflow (the rules, no I/O),
visibility (who sees what of a ticket), trail (hashing, then the stored trail),
clocks (SLA deadlines and breaches), snapshots (what events carry), queries (reads),
intake (a new ticket), rehoming (after a grid split or merge), actions (acting on a
ticket); service.py holds the nameko entrypoints. Beside them: staff (who answers for a
ticket), schemas, statistics, gauges, responsible (people's assignments kept here) and
verify (the command that checks every trail)."""
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
