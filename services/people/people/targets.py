"""Visit and patrol targets (巡查走访制度) per post and grid class: a JSON document
(``targets.json`` is the shipped default, each target with why, from the seeds),
checked here, stored as versions, read by the coverage report. Free of nameko.

    load_targets(document=None) -> Targets    # 400 VALIDATION_FAILED naming the field
    targets_in_force(session) -> Targets      # the newest stored version, else the default
    save_targets(session, document, author=...) -> Targets

A document gives, per post role (``people.staff.STAFF_ROLES``) and grid class (a kind,
``basic`` or ``exclusive``, or a basic grid's zone type such as ``ecological``: the
grid registry's classes), a ``visits`` target (the ``share`` of the grid's households,
0-1, visited at least once every ``every_months``, 1-12) and a ``patrols`` target
(``per_week``, 0-100), either or both. A grid with a zone type takes its zone's target
when the document gives one, else its kind's; a post whose role and class it leaves
out has no target. A new version replaces the whole document (a role left
out has no target from then on), so what is in force is always one document.
``follow_ups`` gives each special group (a resident tag, ``people.residents.TAGS``)
and group rentals their cadence (``every_days``, 1-366; ``people.followups``); a
version saved before it existed takes the shipped default's. Unknown
roles, kinds or fields, negative or non-numeric values are refused, nothing stored.
"""
import copy
import functools
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from marshmallow import Schema, fields, validate
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from common.db import utcnow
from common.errors import Conflict
from common.generated import Block, readme_main
from common.validation import Number, Text, Whole, load
from people.models import CoverageTargets
from people.residents import TAGS
from people.staff import STAFF_ROLES

DEFAULT_FILE = Path(__file__).with_name("targets.json")
README = Path(__file__).resolve().parents[3] / "README.md"
# The grid registry's classes: kinds, then the zone types a basic grid may carry
# (grid.levels.GRID_CLASSES; tests/unit/test_api_schemas.py keeps them equal).
GRID_CLASSES = ("basic", "exclusive", "urban", "natural_village", "residential", "transitional", "ecological")
MAX_PER_WEEK = 100  # fourteen rounds a day; more is a typo
MAX_FOLLOW_UP_DAYS = 366
WHY = validate.Length(max=2000)


# --- the loaded form -------------------------------------------------------------------

@dataclass(frozen=True)
class VisitTarget:
    share: float         # of the grid's households
    every_months: int    # each of them once in this many months

    def share_in(self, months):
        """The share of the households to visit in ``months`` (a period's length):
        prorated, and never more than the target's share (distinct households count,
        so a year asks each household once, not four times)."""
        return self.share * min(1.0, months / self.every_months)


@dataclass(frozen=True)
class PatrolTarget:
    per_week: float


@dataclass(frozen=True)
class PostTarget:
    visits: VisitTarget | None = None
    patrols: PatrolTarget | None = None


@dataclass(frozen=True)
class Targets:
    posts: dict                  # (role, grid class) -> PostTarget
    follow_ups: dict = field(default_factory=dict)   # resident tag -> days between follow-ups
    group_rental_days: int | None = None              # days between visits to a group rental
    document: dict = field(default_factory=dict, compare=False)   # as checked
    version: int = 0             # 0: the shipped default
    created_at: str | None = None
    created_by: str | None = None

    def of(self, role, kind, zone_type=None):
        """The target of a post in ``role`` in a grid of ``kind`` (and ``zone_type``):
        its zone's when the document gives one, else its kind's; or None."""
        return (zone_type and self.posts.get((role, zone_type))) or self.posts.get((role, kind))

    @property
    def roles(self):
        return sorted({role for role, _ in self.posts})


# --- the document's schema -------------------------------------------------------------

class VisitsSchema(Schema):
    share = Number(required=True, validate=validate.Range(min=0, max=1))
    every_months = Whole(required=True, validate=validate.Range(min=1, max=12))
    why = Text(load_default=None, validate=WHY)


class PatrolsSchema(Schema):
    per_week = Number(required=True, validate=validate.Range(min=0, max=MAX_PER_WEEK))
    why = Text(load_default=None, validate=WHY)


class KindSchema(Schema):
    visits = fields.Nested(VisitsSchema, load_default=None)
    patrols = fields.Nested(PatrolsSchema, load_default=None)


RoleSchema = Schema.from_dict({"why": Text(load_default=None, validate=WHY),
                               **{kind: fields.Nested(KindSchema, load_default=None) for kind in GRID_CLASSES}},
                              name="TargetsRole")


class CadenceSchema(Schema):
    every_days = Whole(required=True, validate=validate.Range(min=1, max=MAX_FOLLOW_UP_DAYS))
    why = Text(load_default=None, validate=WHY)


class FollowUpsSchema(Schema):
    why = Text(load_default=None, validate=WHY)
    tags = fields.Nested(Schema.from_dict({tag: fields.Nested(CadenceSchema, load_default=None) for tag in TAGS},
                                          name="FollowUpTags"), load_default=dict)
    group_rentals = fields.Nested(CadenceSchema, load_default=None)


class TargetsSchema(Schema):
    why = Text(load_default=None, validate=WHY)
    roles = fields.Nested(Schema.from_dict({role: fields.Nested(RoleSchema, load_default=None)
                                            for role in STAFF_ROLES}, name="TargetsRoles"), required=True)
    # special groups (特殊人群) and group rentals (群租房): how often each is followed up
    follow_ups = fields.Nested(FollowUpsSchema, load_default=None)


# --- loading ---------------------------------------------------------------------------

@functools.cache
def _default_document():
    with open(DEFAULT_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def load_targets(document=None):
    """The targets of ``document`` (None: the shipped default), checked: anything wrong
    is a 400 VALIDATION_FAILED naming the field's path (``roles.grid_chief.basic.
    patrols.per_week``)."""
    if document is None:
        return _default_targets()
    return _build(load(TargetsSchema, document, "targets"), document)


@functools.cache
def _default_targets():
    document = copy.deepcopy(_default_document())
    return _build(load(TargetsSchema, document, "targets"), document)


def _build(data, document, **stored):
    """The loaded form; roles in the order the document gives them (its author's)."""
    data["roles"] = {role: data["roles"][role] for role in document["roles"] if data["roles"].get(role)}
    posts = {}
    for role, entry in data["roles"].items():
        for kind in GRID_CLASSES:
            given = (entry or {}).get(kind) or {}
            visits, patrols = given.get("visits"), given.get("patrols")
            if visits or patrols:
                posts[(role, kind)] = PostTarget(
                    visits=VisitTarget(visits["share"], visits["every_months"]) if visits else None,
                    patrols=PatrolTarget(patrols["per_week"]) if patrols else None)
    if "follow_ups" not in document:   # a version saved before follow-ups were part of it
        data["follow_ups"] = load(TargetsSchema, _default_document(), "targets").get("follow_ups")
    follow_ups = data.get("follow_ups") or {}
    cadences = {tag: entry["every_days"] for tag, entry in (follow_ups.get("tags") or {}).items() if entry}
    rentals = (follow_ups.get("group_rentals") or {}).get("every_days")
    return Targets(posts=posts, follow_ups=cadences, group_rental_days=rentals, document=_shown(data), **stored)


def _shown(data):
    """The checked document without the entries left empty."""
    def prune(value):
        if isinstance(value, dict):
            return {key: prune(item) for key, item in value.items() if item is not None}
        return value
    return prune(data)


# --- the stored versions ---------------------------------------------------------------

def targets_in_force(session):
    """The newest stored version, or the shipped default (version 0) when none is."""
    row = session.scalars(select(CoverageTargets).order_by(CoverageTargets.version.desc()).limit(1)).first()
    if row is None:
        return load_targets()
    return _build(load(TargetsSchema, row.document, "targets"), row.document, version=row.version,
                  created_at=row.created_at.isoformat(), created_by=row.created_by)


def save_targets(session, document, *, author, now=None):
    """A new version (the whole document); a refused document stores nothing, and a
    version saved at the same moment by someone else is a 409 (send it again)."""
    load_targets(document)
    version = (session.scalar(select(func.max(CoverageTargets.version))) or 0) + 1
    session.add(CoverageTargets(version=version, document=document, created_at=now or utcnow(), created_by=author))
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("Another version of the targets was saved at the same moment; send yours again.",
                       code="TARGETS_CHANGED", details={"version": version}) from None
    return targets_in_force(session)


def targets_view(targets):
    """What ``GET /targets`` answers: the version, the document, one row per target."""
    return {"version": targets.version, "created_at": targets.created_at, "created_by": targets.created_by,
            "document": targets.document, "rows": describe(targets)}


# --- shown to people --------------------------------------------------------------------

def describe(targets=None):
    """One row per target, in the document's order: ``{"role", "role_zh", "kind",
    "target": "visits" | "patrols", "value": words, "why"}``."""
    targets = targets or load_targets()
    rows = []
    for role, entry in targets.document["roles"].items():
        for kind in GRID_CLASSES:
            target = targets.of(role, kind)
            for part in ("visits", "patrols"):
                if target is None or getattr(target, part) is None:
                    continue
                rows.append({"role": role, "role_zh": STAFF_ROLES.get(role, (role,))[0], "kind": kind,
                             "target": part, "value": _words(getattr(target, part)),
                             "why": entry[kind][part].get("why") or ""})
    return rows


def _words(target):
    if isinstance(target, PatrolTarget):
        return f"{target.per_week:g} a week"
    households = "every household" if target.share == 1 else f"{target.share:.0%} of the households"
    months = "month" if target.every_months == 1 else f"{target.every_months} months"
    return f"{households} once every {months}"


def markdown(targets=None):
    """The README's block: each post with why it has targets, then its targets per
    grid class (value, why)."""
    targets = targets or load_targets()
    rows = describe(targets)
    lines = []
    for role, entry in targets.document["roles"].items():
        zh, en = STAFF_ROLES.get(role, (role, role))
        lines += [f"**{role}** ({zh}, {en}): {entry.get('why') or ''}", "",
                  "| grid class | target | value | why |", "| --- | --- | --- | --- |"]
        lines += [f"| {row['kind']} | {row['target']} | {row['value']} | {row['why'].replace('|', '/')} |"
                  for row in rows if row["role"] == role]
        lines.append("")
    lines.append(targets.document.get("why") or "")
    follow_ups = targets.document.get("follow_ups")
    if follow_ups:
        lines += ["", f"**Follow-up of special groups and group rentals** (特殊人群, 群租房): {follow_ups.get('why') or ''}",
                  "", "| group | every | why |", "| --- | --- | --- |"]
        for tag, entry in (follow_ups.get("tags") or {}).items():
            lines.append(f"| `{tag}` ({TAGS.get(tag, tag)}) | {entry['every_days']} days | "
                         f"{(entry.get('why') or '').replace('|', '/')} |")
        rentals = follow_ups.get("group_rentals")
        if rentals:
            lines.append(f"| group rentals (群租房) | {rentals['every_days']} days | "
                         f"{(rentals.get('why') or '').replace('|', '/')} |")
    return "\n".join(lines)


README_BLOCK = Block("targets", "python -m people.targets")


def main(argv=None):
    """``--write``: rewrite the README's block; ``--check``: exit 1 if it is stale."""
    return readme_main(README_BLOCK, README, markdown, "The default visit and patrol targets as the README shows them.", argv)


if __name__ == "__main__":
    sys.exit(main())
