from common.migrations import run_migrations
from tickets.models import Base

run_migrations(Base.metadata)
