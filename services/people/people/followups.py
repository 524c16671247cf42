"""Follow-up of special groups (特殊人群, 重点人员) and group rentals (群租房): who is
overdue. Free of nameko.

    overdue(session, *, root, cadences, rental_days, rentals, now, tag=None, limit=100) -> dict

A resident's tags name the groups they belong to; the targets document in force
(``people.targets``, ``follow_ups``) gives each group its cadence in days. A visit to
the resident's household is a follow-up of everyone in it: the worker who sees an
elderly man living alone at home has followed him up. A resident is due ``every_days``
after the last visit to their household, or after they were registered if none came
since; overdue once that day has passed. A resident of several groups is due by the
strictest cadence. A group rental (a place the grid registry marks so) is followed up
by a visit to any household at the place, on ``rental_days``.

What the list shows of a resident is what the residents' listing shows (name, grid,
household, tags): the caller reads residents in that subtree already. It never shows
ID or phone numbers. The counting is in the database: one query for the tagged
residents with their household's last visit, one for the rentals' last visits.
"""
import datetime as dt
from collections import defaultdict

from sqlalchemy import String, cast, func, or_, select

from people.models import Household, Resident, Visit
from people.residents import TAGS

DAY = dt.timedelta(days=1)


def _due(last, registered, every_days):
    return (last or registered) + every_days * DAY


def _iso(moment):
    return moment.isoformat() if moment is not None else None


def _aware(moment):
    """SQLite gives the aggregate's moment as it was stored: naive UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.timezone.utc)


def _tagged_residents(session, root, tags):
    """(resident, last visit to their household) of the residents under ``root`` with
    any of ``tags``. Tags are names from TAGS, so their quoted form is exact in SQL."""
    last_visit = (select(Visit.household_id, func.max(Visit.occurred_at).label("last"))
                  .where(Visit.grid_code.startswith(root)).group_by(Visit.household_id).subquery())
    text = cast(Resident.tags, String)
    query = (select(Resident, Household.address, last_visit.c.last)
             .outerjoin(Household, Household.id == Resident.household_id)
             .outerjoin(last_visit, last_visit.c.household_id == Resident.household_id)
             .where(Resident.grid_code.startswith(root),
                    or_(*(text.contains(f'"{tag}"', autoescape=True) for tag in tags)))
             .order_by(Resident.grid_code, Resident.id))
    return session.execute(query).all()


def _rental_visits(session, place_codes):
    """{place code: the last visit to any household at it}."""
    if not place_codes:
        return {}
    rows = session.execute(select(Household.place_code, func.max(Visit.occurred_at))
                           .join(Visit, Visit.household_id == Household.id)
                           .where(Household.place_code.in_(list(place_codes)))
                           .group_by(Household.place_code)).all()
    return {code: _aware(last) for code, last in rows}


def overdue(session, *, root, cadences, rental_days, rentals, now, tag=None, limit=100):
    """The residents and group rentals under ``root`` overdue for a follow-up at
    ``now``, most overdue first (``limit`` of each), with totals per grid. ``cadences``:
    {tag: days}; ``rentals``: the grid registry's group rentals under ``root`` as
    ``{"code", "name", "grid_code", "group_rental_marked_at"}``; ``tag`` keeps one group."""
    wanted = {t: days for t, days in cadences.items() if tag is None or t == tag}
    totals = defaultdict(lambda: {"followed": 0, "overdue": 0, "rentals": 0, "rentals_overdue": 0})
    residents = []
    for resident, address, last in (_tagged_residents(session, root, sorted(wanted)) if wanted else ()):
        groups = [t for t in resident.tags if t in wanted]
        if not groups:   # a tag that merely contains another's name: not this group
            continue
        every_days = min(wanted[t] for t in groups)
        last = _aware(last)
        due = _due(last, _aware(resident.created_at), every_days)
        grid = totals[resident.grid_code]
        grid["followed"] += 1
        if due < now:
            grid["overdue"] += 1
            residents.append({
                "resident_id": resident.id, "name": resident.name, "grid_code": resident.grid_code,
                "household_id": resident.household_id, "address": address, "tags": groups,
                "tag_labels": {t: TAGS[t] for t in groups}, "every_days": every_days,
                "last_follow_up_at": _iso(last), "due_at": _iso(due), "days_overdue": (now - due) // DAY})
    places = []
    if rental_days is not None and tag is None:
        last_of = _rental_visits(session, [place["code"] for place in rentals])
        for place in rentals:
            last = last_of.get(place["code"])
            marked = place.get("group_rental_marked_at")
            marked = _aware(dt.datetime.fromisoformat(marked)) if marked else now
            due = _due(last, marked, rental_days)
            grid = totals[place["grid_code"]]
            grid["rentals"] += 1
            if due < now:
                grid["rentals_overdue"] += 1
                places.append({"place_code": place["code"], "name": place["name"], "grid_code": place["grid_code"],
                               "every_days": rental_days, "last_follow_up_at": _iso(last), "due_at": _iso(due),
                               "days_overdue": (now - due) // DAY})
    most_overdue_first = lambda item: (-item["days_overdue"], item["grid_code"])  # noqa: E731
    residents.sort(key=most_overdue_first)
    places.sort(key=most_overdue_first)
    return {"root": root, "as_of": now.isoformat(), "cadences": wanted, "group_rental_days": rental_days,
            "residents_overdue": residents[:limit], "residents_overdue_total": len(residents),
            "group_rentals_overdue": places[:limit], "group_rentals_overdue_total": len(places),
            "grids": [{"grid_code": code, **figures} for code, figures in sorted(totals.items())]}
