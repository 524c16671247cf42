"""The territory: grid hierarchy, codes and (from issue 3) geometry and places."""
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
