"""the planner's estimate of the statistics' tally groups (PostgreSQL only)

Statistics group the tickets in scope by status, category, grade, source, level solved
at and outcome. Without statistics on the columns together, PostgreSQL multiplies
their distinct counts (about 100,000 groups for a few thousand real ones), chooses to
sort a million rows on disk and group them in order; with ndistinct statistics it
hashes them in memory (the tally's query over the district's million tickets: 1.9 s
-> 0.5 s, 2026-12-06). SQLite plans no such thing: nothing to do there.

Revision ID: 0016
"""
from alembic import op

revision = "0016"
down_revision = "0015"

TALLY_COLUMNS = "status, category, grade, source, resolved_level, outcome"  # statistics._DIMENSIONS


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE STATISTICS st_tickets_tally_groups (ndistinct) ON {TALLY_COLUMNS} FROM tickets")
    # the statistics exist only once the table is analysed; autovacuum may not do so for days
    op.execute("ANALYZE tickets")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_tickets_tally_groups")
