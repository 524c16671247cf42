"""Everyone with a role: accounts (the "one account"), and from issue 4 staff,
assignments, residents, households, patrols, points and broadcasts."""
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
