from common.migrations import run_migrations
from scoring.models import Base

run_migrations(Base.metadata)
