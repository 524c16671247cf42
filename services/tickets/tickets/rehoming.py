"""Re-homing: the open tickets of a grid split or merged away moved to the new grids
(by where they were reported, when known) and to those grids' responsible workers."""
from shapely.geometry import Point, shape
from shapely.prepared import prep as prepared
from sqlalchemy import select

from tickets import staff, trail, workflow
from tickets.models import Ticket


def open_tickets_in(session, grid_codes):
    return session.scalars(select(Ticket).where(Ticket.grid_code.in_(grid_codes),
                                                Ticket.status.in_(workflow.OPEN_STATES))).all()


def homes_in(parts, located):
    """{ticket id: the part (code -> GeoJSON outline) covering its (id, lon, lat)};
    a point in a sliver between parts is left out (the first part takes it)."""
    outlines = {code: prepared(shape(outline)) for code, outline in parts.items()}
    homes = {}
    for ticket_id, lon, lat in located:
        point = Point(lon, lat)
        home = next((code for code, outline in outlines.items() if outline.covers(point)), None)
        if home is not None:
            homes[ticket_id] = home
    return homes


def rehome(session, how, *, old_codes, new_codes, homes, now):
    """Move the open tickets of retired grids to the new grids: to ``homes[id]`` (the
    grid now covering the ticket's location) or else the first new grid, and to that
    grid's responsible worker (people carries the retired grid's posts over, maybe
    after this runs: until then the retired grid's worker answers), each move in the
    ticket's trail. Returns the moves: (ticket, the grid it left)."""
    answering = {}  # (new grid, retired grid) -> the responsible worker: one lookup each
    moves = []
    for ticket in open_tickets_in(session, old_codes):
        before, located = ticket.grid_code, homes.get(ticket.id)
        code = located if located in new_codes else new_codes[0]
        ticket.grid_code = code
        staff.assign_responsible(session, ticket, now=now, known=answering, previous=before)
        trail.append_trail(session, ticket, change=workflow.Change(
            "rehome", ticket.status, ticket.status, ticket.level, ticket.level,
            f"grid {before} was {how}; the ticket moved to grid {code}",
            {"from_grid": before, "to_grid": code, "located": code == located,
             "responsible_person_id": ticket.responsible_person_id}), actor=workflow.SYSTEM, now=now)
        moves.append((ticket, before))
    return moves
