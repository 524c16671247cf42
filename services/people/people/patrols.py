"""Patrols and household visits, free of nameko.

A phone that was offline sends its records later with their original time and a
client id; the pair (person, client id) is unique, so a resubmission returns the
record stored the first time instead of storing it twice.
"""
from sqlalchemy import or_, select

from common.errors import InvalidInput
from common.roles import require_in_reach
from common.shanghai import shanghai_date
from people.models import Assignment, PatrolCheckin, Visit
from people.residents import get_household
from people.staff import assignments, person_in_reach


def previous(session, model, person_id, client_id):
    return session.scalar(select(model).where(model.person_id == person_id, model.client_id == client_id))


def assigned_grids(session, person_id, when):
    day = shanghai_date(when)
    grids = sorted({a.grid_code for a in assignments(session, person_id=person_id, on=day)})
    if not grids:
        raise InvalidInput(f"The person has no grid assignment on {day.isoformat()}.", code="NOT_ASSIGNED",
                           details={"field": "person_id"})
    return grids


def record_patrol(session, data, grids, located_code):
    inside = located_code is not None and any(located_code.startswith(code) for code in grids)
    checkin = PatrolCheckin(person_id=data["person_id"], client_id=data["client_id"], lon=data["lon"],
                            lat=data["lat"], occurred_at=data["occurred_at"], assigned_grid_codes=grids,
                            located_grid_code=located_code, inside=inside)
    session.add(checkin)
    session.flush()
    return checkin


def may_record_visit(session, data, scope):
    """403 unless the visitor holds or held a post in ``scope`` and the household lies in
    it (None: the whole district); 404 for an unknown person or household."""
    person_in_reach(session, data["person_id"], scope)
    require_in_reach(scope, get_household(session, data["household_id"]).grid_code)


def record_visit(session, data):
    visit = Visit(person_id=data["person_id"], household_id=data["household_id"], client_id=data["client_id"],
                  notes=data["notes"], occurred_at=data["occurred_at"])
    session.add(visit)
    session.flush()
    return visit


def patrols(session, person_id=None, since=None, limit=200, root=None):
    """Newest first. ``root``: those made in the subtree or by someone holding a post in
    it (a round that strayed outside still shows to the worker's own community)."""
    query = select(PatrolCheckin).order_by(PatrolCheckin.occurred_at.desc()).limit(limit)
    if person_id:
        query = query.where(PatrolCheckin.person_id == person_id)
    if root:
        posted_there = select(Assignment.person_id).where(Assignment.grid_code.startswith(root))
        query = query.where(or_(PatrolCheckin.located_grid_code.startswith(root),
                                PatrolCheckin.person_id.in_(posted_there)))
    if since:
        query = query.where(PatrolCheckin.occurred_at >= since)
    return session.scalars(query).all()
