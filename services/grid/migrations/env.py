from common.migrations import run_migrations
from grid.models import Base

run_migrations(Base.metadata)
