from common.migrations import run_migrations
from people.models import Base

run_migrations(Base.metadata)
