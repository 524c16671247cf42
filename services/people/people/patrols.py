"""Patrols and household visits, free of nameko.

A phone that was offline sends its records later with their original time and a
client id; the pair (person, client id) is unique, so a resubmission returns the
record stored the first time instead of storing it twice.
"""
from sqlalchemy import String, cast, or_, select

from common import keyset, textsig
from common.errors import Forbidden, InvalidInput
from common.roles import SUPERVISOR_READERS, SUPERVISORS, require_in_reach
from common.shanghai import shanghai_date
from people.idcard import mask_numbers_in
from people.models import PatrolCheckin, Visit
from people.residents import get_household
from people.staff import person_in_reach, posted_grids, require_works_in


def previous(session, model, person_id, client_id):
    return session.scalar(select(model).where(model.person_id == person_id, model.client_id == client_id))


def own_round(data, actor):
    """A grid worker's patrols and visits are their own: ``person_id`` defaults to the
    staff member the actor is, and naming someone else is 403 NOT_YOUR_ROUND. A
    supervisor may log for the workers in reach (checked with the round's day)."""
    if not isinstance(data, dict) or actor is None or not actor.person_id:
        return data
    data = dict(data)
    if data.get("person_id") is None:
        data["person_id"] = actor.person_id
    if data["person_id"] != actor.person_id and not actor.has_role(SUPERVISORS):
        raise Forbidden("A grid worker logs their own patrols and visits.", code="NOT_YOUR_ROUND",
                        details={"field": "person_id", "your_person_id": actor.person_id})
    return data


def assigned_grids(session, person_id, when, scope=None):
    """The grids the person was posted in on ``when``'s day: 403 first unless one lies
    in ``scope`` (so a caller outside it learns nothing of the person's posts), then
    NOT_ASSIGNED if there are none."""
    day = shanghai_date(when)
    grids = sorted(posted_grids(session, person_id, day))
    require_works_in(scope, grids)
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
    """403 unless the visitor held a post in ``scope`` on the visit's day and the
    household lies in it (None: the whole district); 404 for an unknown person or
    household. A phone uploading last week's visits after a post ended still may."""
    person_in_reach(session, data["person_id"], scope, shanghai_date(data["occurred_at"]))
    require_in_reach(scope, get_household(session, data["household_id"]).grid_code)


def record_visit(session, data):
    """The visit keeps the grid its household lies in now: a later move does not
    carry past visits along (they were made in the old grid, by its workers); and the
    signature of its notes (common.textsig), which is what leaves people of them."""
    household = get_household(session, data["household_id"])
    visit = Visit(person_id=data["person_id"], household_id=household.id, grid_code=household.grid_code,
                  client_id=data["client_id"], notes=data["notes"], notes_sig=textsig.signature(data["notes"]),
                  occurred_at=data["occurred_at"])
    session.add(visit)
    session.flush()
    return visit


# The records as their events (``patrol_logged``, ``visit_logged``) and paged reads
# carry them: one function each, so the two cannot differ. No notes (their signature
# only), no place, no name. A patrol's point is the worker's own track (WGS-84, as
# stored): scoring checks it for impossible movement.
def patrol_payload(checkin):
    return {"id": checkin.id, "person_id": checkin.person_id, "grid_codes": list(checkin.assigned_grid_codes),
            "located_grid_code": checkin.located_grid_code, "inside": checkin.inside,
            "lon": checkin.lon, "lat": checkin.lat,
            "occurred_at": checkin.occurred_at.isoformat(), "received_at": checkin.received_at.isoformat()}


def visit_payload(visit):
    return {"id": visit.id, "person_id": visit.person_id, "household_id": visit.household_id,
            "grid_code": visit.grid_code, "notes_sig": visit.notes_sig, "occurred_at": visit.occurred_at.isoformat(),
            "received_at": visit.received_at.isoformat()}


def patrols(session, person_id=None, since=None, limit=200, root=None, after=None):
    """Newest first. ``root``: those made in the subtree or by someone posted in it on
    the round's day (a round that strayed outside still shows to the worker's own
    community; rounds made after the worker left it do not). The grids a worker was
    posted in that day are stored with the round (``assigned_grid_codes``, digits
    only), so a quote before ``root`` in their JSON text marks a code starting with it.
    A page at a time (``keyset.Page``)."""
    query = select(PatrolCheckin)
    if person_id:
        query = query.where(PatrolCheckin.person_id == person_id)
    if root:
        posted_there = cast(PatrolCheckin.assigned_grid_codes, String).contains(f'"{root}', autoescape=True)
        query = query.where(or_(PatrolCheckin.located_grid_code.startswith(root), posted_there))
    if since:
        query = query.where(PatrolCheckin.occurred_at >= since)
    return keyset.page(session, query, (PatrolCheckin.occurred_at, PatrolCheckin.id), cursor=after, limit=limit,
                       noun="patrol", descending=True)


def visit_notes(session, visit_ids):
    return dict(session.execute(select(Visit.id, Visit.notes).where(Visit.id.in_(list(visit_ids)))).all())


def may_read_notes(actor, visit):
    """A visit's notes are what its visitor heard at a door: the visitor reads them,
    and so do those who check the visits of the caller's scope (supervisors,
    auditors); a colleague reading the list sees that the visit was made, not what
    was said. None: an internal call."""
    return actor is None or actor.person_id == visit.person_id or actor.has_role(SUPERVISOR_READERS)


def visit_view(visit, show_notes):
    """A visit as ``GET /visits`` lists it: the notes for a reader who may read them
    (numbers typed into them masked, as everywhere), else None."""
    return {"id": visit.id, "person_id": visit.person_id, "household_id": visit.household_id,
            "grid_code": visit.grid_code, "client_id": visit.client_id,
            "notes": mask_numbers_in(visit.notes) if show_notes else None, "notes_shown": bool(show_notes),
            "occurred_at": visit.occurred_at.isoformat(), "received_at": visit.received_at.isoformat()}


def visits_page(session, root=None, person_id=None, since=None, after=None, limit=100, actor=None):
    """Visits newest first, a page at a time: ``{"items", "next"}``, ``next`` the last
    visit's id to pass back as ``after`` (None on the last page). ``root``: visits of
    households lying in the subtree when visited (the grid the visit keeps); None:
    the whole district. ``after`` naming no visit is a 400 naming it."""
    query = select(Visit).order_by(Visit.occurred_at.desc(), Visit.id.desc()).limit(limit + 1)
    if root:
        query = query.where(Visit.grid_code.startswith(root, autoescape=True))
    if person_id:
        query = query.where(Visit.person_id == person_id)
    if since:
        query = query.where(Visit.occurred_at >= since)
    if after:
        query = query.where(keyset.after(session, (Visit.occurred_at, Visit.id), Visit.id, after, "visit",
                                         descending=True))
    rows = session.scalars(query).all()
    page = rows[:limit]
    return {"items": [visit_view(visit, may_read_notes(actor, visit)) for visit in page],
            "next": page[-1].id if len(rows) > limit else None}
