"""Who answers for a ticket: the grid's responsible worker, picked from people's
assignments as this service keeps them (``GridStaff``), free of nameko.

The copy is filled by people's ``person_assigned`` and ``person_left`` events and
healed by a periodic snapshot of every assignment (which also fills it when tickets
starts after the assignments were made). An assignment only ever gains an end date,
so a snapshot older than an event cannot undo that event: it adds rows this service
has not heard of and ends rows it still holds open, nothing else. An assignment
made after the snapshot was taken is simply not in it, and stays as its event left it.
"""
import datetime as dt

from sqlalchemy import Date, bindparam, or_, select, text

from common.shanghai import shanghai_date
from tickets.models import GridStaff

# Nearest grid first; within a grid, the full-time worker (专职网格员) answers for it,
# else its chief, else a part-time worker; the general grid chief last.
RESPONSIBLE_ROLES = ("full_time_worker", "grid_chief", "part_time_worker", "general_grid_chief")
MIN_CODE_LENGTH = 6  # the district: codes are hierarchical, every ancestor a prefix


def _fields(view):
    return dict(person_id=view["person_id"], grid_code=view["grid_code"], role=view["role"],
                role_label=view.get("role_label"), start_date=dt.date.fromisoformat(view["start_date"]),
                end_date=dt.date.fromisoformat(view["end_date"]) if view.get("end_date") else None)


# One statement per event, as text so its compiled form is cached (a roster import
# sends one event per post). An end date, once heard of, stays: the two events come
# through separate queues, so a late person_assigned must not reopen a post.
_RECORD = text(
    "INSERT INTO grid_staff (assignment_id, person_id, grid_code, role, role_label, start_date, end_date) "
    "VALUES (:assignment_id, :person_id, :grid_code, :role, :role_label, :start_date, :end_date) "
    "ON CONFLICT (assignment_id) DO UPDATE SET person_id = excluded.person_id, grid_code = excluded.grid_code, "
    "role = excluded.role, role_label = excluded.role_label, start_date = excluded.start_date, "
    "end_date = COALESCE(excluded.end_date, grid_staff.end_date)"
).bindparams(bindparam("start_date", type_=Date()), bindparam("end_date", type_=Date()))


def record_assignment(session, view):
    """An assignment as a ``person_assigned`` or ``person_left`` event states it."""
    session.execute(_RECORD, dict(assignment_id=view["id"], **_fields(view)))


def merge_snapshot(session, views):
    """People's assignments, all of them: rows not held yet are added, held open rows
    the snapshot shows ended are ended; returns (added, ended)."""
    held = {row.assignment_id: row for row in session.scalars(select(GridStaff))}
    added = ended = 0
    for view in views:
        row = held.get(view["id"])
        if row is None:
            session.add(GridStaff(assignment_id=view["id"], **_fields(view)))
            added += 1
        elif row.end_date is None and view.get("end_date"):
            row.end_date = dt.date.fromisoformat(view["end_date"])
            ended += 1
    return added, ended


# Built once: every intake runs it. The few posts in a grid and the grids above it
# are ranked here rather than in SQL, which keeps the statement the same for all.
_RUNNING_POSTS = (
    select(GridStaff.assignment_id, GridStaff.person_id, GridStaff.role, GridStaff.grid_code,
           GridStaff.start_date)
    .where(GridStaff.grid_code.in_(bindparam("codes", expanding=True)), GridStaff.role.in_(RESPONSIBLE_ROLES),
           GridStaff.start_date <= bindparam("on"),
           or_(GridStaff.end_date.is_(None), GridStaff.end_date >= bindparam("on")))
)
_ROLE_RANK = {role: rank for rank, role in enumerate(RESPONSIBLE_ROLES)}


def responsible_for(session, grid_code, on, previous=None):
    """The post (``assignment_id, person_id, role, grid_code``) answering for
    ``grid_code`` on day ``on``, or None: in the grid itself, else in ``previous``
    (the retired grid a re-homed ticket came from, whose posts people carries over
    to the new grid), else in the nearest grid above."""
    codes = [grid_code[:length] for length in range(len(grid_code), MIN_CODE_LENGTH - 1, -1)]
    if previous and previous not in codes:
        codes.insert(1, previous)
    nearness = {code: rank for rank, code in enumerate(codes)}
    posts = session.execute(_RUNNING_POSTS, {"codes": codes, "on": on}).all()
    return min(posts, default=None, key=lambda post: (
        nearness[post.grid_code], _ROLE_RANK[post.role], post.start_date, post.assignment_id))


def assign_responsible(session, ticket, *, now, known=None, previous=None):
    """Give the ticket to its grid's responsible worker (or to nobody, if the grid and
    those above it have none today). ``known``: a dict remembering the answer per grid,
    for callers moving many tickets at once; ``previous``: see ``responsible_for``."""
    known = {} if known is None else known
    key = (ticket.grid_code, previous)
    if key not in known:
        known[key] = responsible_for(session, ticket.grid_code, shanghai_date(now), previous)
    staff = known[key]
    ticket.responsible_person_id = staff.person_id if staff else None
    ticket.responsible_role = staff.role if staff else None
    ticket.responsible_grid_code = staff.grid_code if staff else None
    return staff
