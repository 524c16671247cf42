"""Assessment periods live in common.periods (people's coverage report reads the same
periods); kept here so scoring's modules name them where they always have."""
from common.periods import FIRST_YEAR, KINDS, LAST_YEAR, RULE, Period, parse_period, period_of  # noqa: F401
