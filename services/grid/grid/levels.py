"""Level schemes: the levels of a deployment's grids, the level grid workers are posted
to, and how each kind of grid is sized, declared as data with the seed each rule comes
from (the seeds are the source documents in /work/shared/seeds; the README's grid
section is generated from here: ``python -m grid.levels --write``).

A deployment picks a scheme with ``GRID_LEVEL_SCHEME`` and may adjust it with
``GRID_STAFFED_LEVEL`` and ``GRID_SIZING``; ``configured_scheme(config)`` reads all
three and refuses a bad value, naming the variable, when the grid service starts.

Codes grow by a fixed number of digits per level: 6 (county, GB/T 2260), +3
(town/street, GB/T 10114), +3 (village/community), +3 (grid sequence inside its
community), then +3 or +5 (buildings are numbered 00001-99999). ``grid_level`` marks
the level where basic and exclusive grids are numbered (001-899, 901-999).

Sizing (``Sizing``): a grid is sized by the rule of its level and its class, which is
its zone type if it has one, else its kind (``basic`` or ``exclusive``). A grid is
within range when its households *or* its population is (seed 000); a whole natural
village has no range at all. Classes a scheme does not size are not checked.
"""
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from common import config as cfg
from common.generated import Block, readme_main
from grid.exceptions import InvalidGridSettings


@dataclass(frozen=True)
class Level:
    key: str
    depth: int
    code_length: int
    label_zh: str
    label_en: str
    segment: tuple = (1, 999)          # allowed range of the digits this level adds
    grid_level: bool = False           # basic / exclusive grids are numbered here


@dataclass(frozen=True)
class Sizing:
    """How grids of one level and class are sized: ``households`` and ``population``
    are (low, high) ranges or None (that measure does not apply). ``natural_village``:
    the grid is one whole natural village (自然村) and no range applies."""
    households: tuple | None = None
    population: tuple | None = None
    natural_village: bool = False
    why: str = ""


@dataclass(frozen=True)
class Scheme:
    """A deployment's levels (iterating a scheme gives them, top first), the key of
    the level grid workers are posted to (``staffed``), and the sizing rules
    ``{(level key, grid class): Sizing}``."""
    name: str
    levels: tuple
    staffed: str
    sizing: dict = field(default_factory=dict)
    why: str = ""
    staffed_why: str = ""

    def __iter__(self):
        return iter(self.levels)

    def __len__(self):
        return len(self.levels)

    def level(self, key):
        return level_by_key(self.levels, key)

    @property
    def staffed_level(self):
        return self.level(self.staffed)

    @property
    def grid_level(self):
        return next(level for level in self.levels if level.grid_level)

    def sizing_for(self, level_key, kind, zone_type=None):
        """The rule a grid of this level, kind and zone type is sized by, or None."""
        return self.sizing.get((level_key, grid_class(kind, zone_type)))

    def zones(self, level_key):
        """The zone types basic grids of this level may carry: those it sizes."""
        return tuple(zone for (level, zone) in self.sizing if level == level_key and zone in ZONE_TYPES)


def grid_class(kind, zone_type=None):
    """What a grid is sized as: its zone type, else its kind."""
    return zone_type or kind


# The three digits a grid adds to its community: basic grids count up from 001,
# exclusive grids (parks, enterprises, markets, schools ...) from 901, so the code
# alone tells them apart.
BASIC_SEQUENCE = (1, 899)
EXCLUSIVE_SEQUENCE = (901, 999)

_TOWN = (1, 399)        # 001-099 street, 100-199 town, 200-399 township
_COMMUNITY = (1, 399)   # 001-199 residents' committee, 200-399 villagers' committee

KINDS = ("basic", "exclusive")
UNIT_TYPES = ("industrial_park", "enterprise", "institution", "business_district", "market",
              "school", "hospital", "other")
# Zone types a basic grid may carry; which ones a level may carry is its scheme's sizing.
ZONE_TYPES = ("urban", "natural_village", "residential", "transitional", "ecological")
ZONE_LABELS = {"urban": "城区", "natural_village": "自然村", "residential": "集中居住",
               "transitional": "连接过渡", "ecological": "生态管护"}
GRID_CLASSES = KINDS + ZONE_TYPES
CLASS_LABELS = {"basic": "basic (no zone type)", "exclusive": "exclusive"}
MEASURES = ("households", "population")

# --- the rules, each with its seed ------------------------------------------------------------

URBAN_GRID = Sizing(households=(300, 500), population=(800, 1200), why=(
    "seed 000: urban basic grids of 300-500 households or about 1,000 people (城区300—500户或1000人左右); "
    "'about' is read as ±20%"))
NATURAL_VILLAGE = Sizing(natural_village=True, why=(
    "seed 000: in rural areas the natural village is the grid (农区以自然村为单元), whatever its size"))
HOUSEHOLD_GROUP = Sizing(households=(30, 50), why=(
    "seed 003 (Dianbai): a household group is 30-50 households (住户小组由30—50户住户组成)"))
MICRO_RESIDENTIAL = Sizing(households=(10, 50), why=(
    "seed 002 (Pinggu): 208 households in 12 concentrated-residential micro-grids, about 17 each, "
    "one micro-grid worker each; 50 is a household group's upper bound (seed 003)"))
MICRO_FEW = Sizing(households=(0, 50), why=(
    "seed 002 (Pinggu): transitional and ecological micro-grids hold few households by nature, so none is "
    "too small; above a residential micro-grid's 50 it is no longer one worker's load"))

_FIVE_LEVELS = (
    Level("district", 1, 6, "区", "district", segment=None),
    Level("town", 2, 9, "镇(街道)", "town / street", _TOWN),
    Level("community", 3, 12, "村(社区)", "village / community", _COMMUNITY),
    Level("villager_group", 4, 15, "村(居)民小组", "villager group", (1, 999), True),
    Level("household_group", 5, 18, "住户小组", "household group", (1, 999)),
)
_BASIC_GRID_SIZING = {"basic": URBAN_GRID, "urban": URBAN_GRID, "natural_village": NATURAL_VILLAGE}

SCHEMES = {scheme.name: scheme for scheme in (
    Scheme(
        "five", _FIVE_LEVELS, staffed="villager_group",
        sizing={**{("villager_group", c): rule for c, rule in _BASIC_GRID_SIZING.items()},
                ("household_group", "basic"): HOUSEHOLD_GROUP},
        why="seed 003's five levels with seed 000's basic grid at the fourth (the default, as deployed so far)",
        staffed_why="seed 000: the basic grid is staffed one chief, one police officer, one full-time worker, "
                    "several part-timers (一格一长一警一专多兼)"),
    Scheme(
        "dianbai", _FIVE_LEVELS, staffed="household_group",
        sizing={("household_group", "basic"): HOUSEHOLD_GROUP},
        why="seed 003 (Dianbai): district > town/street > village/community > villager group > household group",
        staffed_why="seed 003: in principle only fifth-level grid workers are recruited "
                    "(电白原则上只对第五级网格人员进行选聘)"),
    Scheme(
        "four", (
            Level("street", 1, 9, "街道", "street", segment=None),
            Level("community", 2, 12, "社区", "community", _COMMUNITY),
            Level("grid", 3, 15, "网格", "grid", (1, 999), True),
            Level("building", 4, 20, "楼栋", "building", (1, 99999)),
        ), staffed="grid",
        sizing={("grid", c): rule for c, rule in _BASIC_GRID_SIZING.items()},
        why="street > community > grid > building (街道—社区—网格—楼栋; seed 001 runs four levels)",
        staffed_why="seed 000: the basic grid is staffed (一格一长一警一专多兼)"),
    Scheme(
        "three", (
            Level("village", 1, 12, "村", "village", segment=None),
            Level("grid", 2, 15, "网格", "micro-grid", (1, 999), True),
            Level("household", 3, 18, "户", "household", (1, 999)),
        ), staffed="grid",
        sizing={("grid", "basic"): MICRO_RESIDENTIAL, ("grid", "residential"): MICRO_RESIDENTIAL,
                ("grid", "transitional"): MICRO_FEW, ("grid", "ecological"): MICRO_FEW},
        why="seed 002 (Pinggu micro-grids): village > micro-grid > household (村—网格—户)",
        staffed_why="seed 002: one micro-grid worker per micro-grid (15 micro-grids, 15 workers)"),
)}
DEFAULT_SCHEME = "five"


def scheme(name=DEFAULT_SCHEME):
    try:
        return SCHEMES[name]
    except KeyError:
        raise InvalidGridSettings(f"unknown GRID_LEVEL_SCHEME {name!r}; known: {', '.join(SCHEMES)}",
                                  details={"field": "GRID_LEVEL_SCHEME", "known": list(SCHEMES)}) from None


def level_by_key(levels, key):
    return next((level for level in levels if level.key == key), None)


def level_by_code(levels, code):
    return next((level for level in levels if level.code_length == len(code)), None)


# --- the deployment's adjustments ----------------------------------------------------------------

def with_staffed_level(base, key):
    """``base`` with grid workers posted to level ``key`` (``GRID_STAFFED_LEVEL``)."""
    if not key:
        return base
    if base.level(key) is None:
        raise InvalidGridSettings(
            f"GRID_STAFFED_LEVEL {key!r} is not a level of the {base.name} scheme; its levels: "
            f"{', '.join(level.key for level in base)}",
            details={"field": "GRID_STAFFED_LEVEL", "levels": [level.key for level in base]})
    return replace(base, staffed=key, staffed_why="set by GRID_STAFFED_LEVEL")


_ITEM = re.compile(r"^(?P<level>[a-z_]+):(?P<cls>[a-z_]+)(?::(?P<measure>[a-z_]+))?=(?P<value>.*)$")
_RANGE = re.compile(r"^\s*(-?\d+)\s*-\s*(-?\d+)\s*$")


def _refuse(item, problem, **details):
    raise InvalidGridSettings(f"GRID_SIZING item {item!r}: {problem}",
                              details={"field": "GRID_SIZING", "item": item, **details})


def parse_sizing(text, base):
    """``GRID_SIZING`` such as ``villager_group:basic=250-600,grid:ecological=0-20,
    villager_group:urban:population=700-1300,villager_group:basic:population=none`` ->
    {(level, class): {measure: (low, high) or None}}. The measure is households unless
    named; ``none`` drops it. Unknown levels, classes or measures, negative or inverted
    ranges are refused, naming the item."""
    changes = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        match = _ITEM.match(item)
        if match is None:
            _refuse(item, "is not level:class[:measure]=low-high")
        level, cls, measure = match["level"], match["cls"], match["measure"] or "households"
        if base.level(level) is None:
            _refuse(item, f"{level!r} is not a level of the {base.name} scheme", levels=[lv.key for lv in base])
        if cls not in GRID_CLASSES:
            _refuse(item, f"class must be one of {', '.join(GRID_CLASSES)}", classes=list(GRID_CLASSES))
        if measure not in MEASURES:
            _refuse(item, f"measure must be one of {', '.join(MEASURES)}", measures=list(MEASURES))
        value = match["value"].strip()
        if value == "none":
            bounds = None
        else:
            numbers = _RANGE.match(value)
            if numbers is None:
                _refuse(item, "the range must be low-high (whole numbers) or none")
            low, high = int(numbers[1]), int(numbers[2])
            if low < 0:
                _refuse(item, f"the {measure} range starts below 0")
            if low > high:
                _refuse(item, f"the {measure} range is inverted ({low} > {high})")
            bounds = (low, high)
        changes.setdefault((level, cls), {})[measure] = bounds
    return changes


def with_sizing(base, text):
    """``base`` with the ``GRID_SIZING`` changes applied: a named measure replaces the
    scheme's, the other stays; a class the scheme did not size gets a rule of its own."""
    sizing = dict(base.sizing)
    for key, measures in parse_sizing(text, base).items():
        rule = sizing.get(key, Sizing())
        sizing[key] = replace(rule, natural_village=False, why="set by GRID_SIZING",
                              **{measure: bounds for measure, bounds in measures.items()})
    return replace(base, sizing=sizing)


def check(base):
    """Refuse a scheme whose rules contradict themselves: ranges negative or inverted,
    a staffed level or a sized level it does not have, a class no grid can be."""
    if base.staffed_level is None:
        raise InvalidGridSettings(f"the {base.name} scheme staffs level {base.staffed!r}, which it does not have",
                                  details={"field": "staffed", "levels": [lv.key for lv in base]})
    for (level, cls), rule in base.sizing.items():
        where = f"{base.name} scheme, {level}:{cls}"
        if base.level(level) is None or cls not in GRID_CLASSES:
            raise InvalidGridSettings(f"{where}: no such level or grid class", details={"field": "sizing"})
        for measure in MEASURES:
            bounds = getattr(rule, measure)
            if bounds is not None and not (len(bounds) == 2 and 0 <= bounds[0] <= bounds[1]):
                raise InvalidGridSettings(f"{where}: the {measure} range {bounds} must be 0 <= low <= high",
                                          details={"field": f"sizing.{level}.{cls}.{measure}"})
    return base


def configured_scheme(config=None):
    """The deployment's scheme: ``GRID_LEVEL_SCHEME`` adjusted by ``GRID_STAFFED_LEVEL``
    and ``GRID_SIZING``; a bad value is InvalidGridSettings naming the variable."""
    base = scheme(cfg.env("GRID_LEVEL_SCHEME", DEFAULT_SCHEME, config))
    base = with_staffed_level(base, cfg.env("GRID_STAFFED_LEVEL", None, config))
    return check(with_sizing(base, cfg.env("GRID_SIZING", "", config)))


for _scheme in SCHEMES.values():  # the built-in schemes obey their own rules
    check(_scheme)


# --- the README's block ---------------------------------------------------------------------------

README = Path(__file__).resolve().parents[3] / "README.md"
README_BLOCK = Block("grid-schemes", "python -m grid.levels")


def _range(bounds):
    return "—" if bounds is None else f"{bounds[0]:,}–{bounds[1]:,}"


def markdown():
    """Each scheme: its levels, the staffed one and why, then its sizing rules and why."""
    lines = []
    for item in SCHEMES.values():
        levels = " > ".join(f"{lv.label_en} {lv.label_zh}" + (" (staffed)" if lv.key == item.staffed else "")
                            for lv in item)
        default = " (default)" if item.name == DEFAULT_SCHEME else ""
        lines += [f"**`{item.name}`**{default}: {levels}. {item.why}. Staffed level "
                  f"`{item.staffed}`: {item.staffed_why}.", "",
                  "| level | grid class | households | population | why |", "| --- | --- | --- | --- | --- |"]
        for (level, cls), rule in item.sizing.items():
            label = f"{cls} ({ZONE_LABELS[cls]})" if cls in ZONE_LABELS else CLASS_LABELS.get(cls, cls)
            households = "one whole natural village" if rule.natural_village else _range(rule.households)
            lines.append(f"| {level} | {label} | {households} | {_range(rule.population)} | {rule.why} |")
        lines.append("")
    return "\n".join(lines).rstrip()


def main(argv=None):
    """``--write``: rewrite the README's block; ``--check``: exit 1 if it is stale."""
    return readme_main(README_BLOCK, README, markdown, "The grid level schemes as the README shows them.", argv)


if __name__ == "__main__":
    sys.exit(main())
