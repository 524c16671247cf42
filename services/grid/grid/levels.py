"""Level schemes. A deployment picks one with ``GRID_LEVEL_SCHEME``:

- ``five`` (default, Dianbai): district > town/street > village/community >
  villager group > household group (30-50 households).
- ``four`` (street-community-grid-building): street > community > grid > building.
- ``three`` (Pinggu micro-grids): village > grid > household.

Codes grow by a fixed number of digits per level: 6 (county, GB/T 2260), +3
(town/street, GB/T 10114), +3 (village/community), +3 (grid sequence inside its
community), then +3 or +5 (buildings are numbered 00001-99999). ``grid_level``
marks the level of basic and exclusive grids, the one staffed and sized.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    key: str
    depth: int
    code_length: int
    label_zh: str
    label_en: str
    segment: tuple = (1, 999)          # allowed range of the digits this level adds
    households: tuple | None = None    # default sizing range for basic grids of this level
    grid_level: bool = False           # basic / exclusive grids live here


# The three digits a grid adds to its community: basic grids count up from 001,
# exclusive grids (parks, enterprises, markets, schools ...) from 901, so the code
# alone tells them apart.
BASIC_SEQUENCE = (1, 899)
EXCLUSIVE_SEQUENCE = (901, 999)

_TOWN = (1, 399)        # 001-099 street, 100-199 town, 200-399 township
_COMMUNITY = (1, 399)   # 001-199 residents' committee, 200-399 villagers' committee

SCHEMES = {
    "five": (
        Level("district", 1, 6, "区", "district", segment=None),
        Level("town", 2, 9, "镇(街道)", "town / street", _TOWN),
        Level("community", 3, 12, "村(社区)", "village / community", _COMMUNITY),
        Level("villager_group", 4, 15, "村(居)民小组", "villager group", (1, 999), (300, 500), True),
        Level("household_group", 5, 18, "住户小组", "household group", (1, 999), (30, 50)),
    ),
    "four": (
        Level("street", 1, 9, "街道", "street", segment=None),
        Level("community", 2, 12, "社区", "community", _COMMUNITY),
        Level("grid", 3, 15, "网格", "grid", (1, 999), (300, 500), True),
        Level("building", 4, 20, "楼栋", "building", (1, 99999)),
    ),
    "three": (
        Level("village", 1, 12, "村", "village", segment=None),
        Level("grid", 2, 15, "网格", "micro-grid", (1, 999), (10, 50), True),
        Level("household", 3, 18, "户", "household", (1, 999)),
    ),
}
DEFAULT_SCHEME = "five"

KINDS = ("basic", "exclusive")
UNIT_TYPES = ("industrial_park", "enterprise", "institution", "business_district", "market",
              "school", "hospital", "other")
ZONE_TYPES = ("residential", "transitional", "ecological")


def scheme(name=DEFAULT_SCHEME):
    try:
        return SCHEMES[name]
    except KeyError:
        raise ValueError(f"unknown GRID_LEVEL_SCHEME {name!r}; known: {', '.join(SCHEMES)}") from None


def level_by_key(levels, key):
    return next((level for level in levels if level.key == key), None)


def level_by_code(levels, code):
    return next((level for level in levels if level.code_length == len(code)), None)


def sizing_ranges(text):
    """``GRID_SIZING`` such as ``villager_group:basic=300-500,household_group:basic=30-50``
    -> {(level, kind): (low, high)}; these override the scheme's defaults."""
    ranges = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        try:
            key, bounds = item.split("=")
            level, kind = key.split(":")
            low, high = (int(n) for n in bounds.split("-"))
        except ValueError:
            raise ValueError(f"GRID_SIZING item {item!r} is not level:kind=low-high") from None
        if kind not in KINDS or low > high:
            raise ValueError(f"GRID_SIZING item {item!r}: kind must be one of {KINDS} and low <= high")
        ranges[(level, kind)] = (low, high)
    return ranges
