import pytest

from grid.exceptions import InvalidGridCode, InvalidGridSettings
from grid.levels import scheme
from grid.codes import validate_code

LEVELS = scheme()


@pytest.mark.parametrize("code, parent, level", [
    ("320508", None, "district"),
    ("320508019", "320508", "town"),
    ("320508019044", "320508019", "community"),
    ("320508014202", "320508014", "community"),
    ("320508019044001", "320508019044", "villager_group"),
    ("320508019044001007", "320508019044001", "household_group"),
])
def test_valid_codes_give_their_level(code, parent, level):
    assert validate_code(LEVELS, code, parent).key == level


def test_exclusive_grids_are_told_apart_by_their_sequence():
    assert validate_code(LEVELS, "320508019044901", "320508019044", "exclusive").grid_level
    with pytest.raises(InvalidGridCode, match="901-999"):
        validate_code(LEVELS, "320508019044001", "320508019044", "exclusive")
    with pytest.raises(InvalidGridCode, match="001-899"):
        validate_code(LEVELS, "320508019044901", "320508019044", "basic")


def test_other_schemes_have_their_own_lengths():
    four = scheme("four")
    assert validate_code(four, "320508019044001", "320508019044").key == "grid"
    assert validate_code(four, "32050801904400100012", "320508019044001").key == "building"
    three = scheme("three")
    assert validate_code(three, "110117103201", None).key == "village"
    with pytest.raises(InvalidGridSettings, match="unknown GRID_LEVEL_SCHEME") as caught:
        scheme("seven")
    assert caught.value.details["field"] == "GRID_LEVEL_SCHEME"


@pytest.mark.parametrize("code, parent, fragment", [
    ("32050x", None, "digits only"),
    ("3205080", None, "has 7 digits"),
    ("320500", None, "GB/T 2260"),
    ("990508", None, "GB/T 2260"),
    ("320508400", "320508", "001-399"),
    ("320508000", "320508", "001-399"),
    ("320508019044", "320508014", "must start with its parent"),
    ("320508019044001", None, "needs parent_code"),
    ("320508", "32", "has no parent"),
])
def test_invalid_codes_say_which_rule_they_break(code, parent, fragment):
    with pytest.raises(InvalidGridCode) as caught:
        validate_code(LEVELS, code, parent)
    assert fragment in caught.value.message
