"""Bulk SQL for the benchmarks' generated data."""
import sys
import time

from sqlalchemy import create_engine, text


def run_steps(url, steps, what):
    """Run ``steps`` ((name, statement) pairs) in one transaction, logging each one's
    time as ``<what> <name>``, then ANALYZE so the planner sees the new rows."""
    engine = create_engine(url)
    with engine.begin() as connection:
        for name, statement in steps:
            started = time.perf_counter()
            connection.execute(text(statement))
            print(f"bench: {what} {name} in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    engine.dispose()
