"""Judgement: indicators built from other services' events; from issue 6 ratings,
assessments, rankings and integrity flags."""
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
