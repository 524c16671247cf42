"""The closed loop: intake, routing, escalation, SLA clocks, feedback and ratings.
Issue 2 builds intake through the outbox; issue 5 the full loop."""
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
