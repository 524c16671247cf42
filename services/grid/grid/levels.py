"""Level schemes. A deployment picks one with ``GRID_LEVEL_SCHEME``; the default is
the five-level scheme (district > town/street > village/community > villager
group > household group). Codes grow by a fixed number of digits per level."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    key: str
    depth: int
    code_length: int
    label_zh: str
    label_en: str


FIVE_LEVELS = (
    Level("district", 1, 6, "区", "district"),
    Level("town", 2, 9, "镇(街道)", "town / street"),
    Level("community", 3, 12, "村(社区)", "village / community"),
    Level("villager_group", 4, 15, "村(居)民小组", "villager group"),
    Level("household_group", 5, 18, "住户小组", "household group"),
)

SCHEMES = {"five": FIVE_LEVELS}
DEFAULT_SCHEME = "five"


def scheme(name=DEFAULT_SCHEME):
    try:
        return SCHEMES[name]
    except KeyError:
        raise ValueError(f"unknown GRID_LEVEL_SCHEME {name!r}; known: {', '.join(SCHEMES)}") from None


def level_by_key(levels, key):
    return next((level for level in levels if level.key == key), None)


def level_by_code(levels, code):
    return next((level for level in levels if level.code_length == len(code)), None)
