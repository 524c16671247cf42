"""Party-member households (党员中心户) and their tickets, free of nameko: a party member
linked to 10 to 15 neighbouring households (people keeps the links) carries their
problems up (三带去) and sees what became of them (三带回).

- **Carrying up**: only the member themself, from their own account (the account's
  ``person_id``), for a household linked to them now; the ticket lies in the
  household's grid, names the household, and is reported by the member (source
  ``grid_patrol``: brought in from the grid, as grid staff bring what they find).
- **A resident's own report** names the resident's household when it lies in the
  grid of their home and is not anonymous: an anonymous report names nobody, not even
  a household; one about somewhere else is not the household's problem.
- **Reading**: the tickets naming one of the member's households (linked now: one
  unlinked drops out), for the member and for those people lets read the member's
  households; staff other than the member see those within their own reach only.
  What is shown is what the member follows up (number, category, status, outcome,
  grid, description, times), never who reported it or how to reach them.
"""
from common.errors import InvalidInput
from tickets.exceptions import LinkNotFound, NotAPartyMember, NotTheMember
from tickets.schemas import TicketSchema

CARRIED_SOURCE = "grid_patrol"
# What a member is shown of a household's ticket: no reporter, name, phone or account.
_view = TicketSchema(only=("id", "number", "household_id", "category", "grade", "source", "description",
                           "grid_code", "status", "level", "outcome", "reported_at", "accepted_at", "resolved_at",
                           "closed_at", "resolve_due"))


def require_member(actor, person_id):
    """Nothing if ``actor`` (a workflow.Actor) is the member ``person_id`` themself;
    403 NOT_THE_MEMBER otherwise (decided before anything is looked up, so the answer
    tells nothing of the member or the household)."""
    if actor is None:
        raise InvalidInput("A problem is carried up by the member, from their own account.",
                           code="VALIDATION_FAILED", details={"fields": {"actor": ["required"]}})
    if not actor.person_id or actor.person_id != person_id:
        raise NotTheMember("Only the party member carries up their households' problems, from their own account "
                           "(linked to their staff record).", details={"field": "person_id"})


def linked_household(member, household_id):
    """The member's household ``household_id`` (from people's ``party_households``):
    400 NOT_A_PARTY_MEMBER naming ``person_id`` for one who is no longer a member, 404
    LINK_NOT_FOUND naming ``household_id`` for a household not linked to them."""
    if not member.get("party_member"):
        raise NotAPartyMember("This person is not a party member.", details={"field": "person_id"})
    found = next((h for h in member["households"] if h["household_id"] == household_id), None)
    if found is None:
        raise LinkNotFound("The household is not linked to this member.",
                           details={"field": "household_id", "household_id": household_id})
    return found


def carried_report(data, household):
    """The report a carried-up problem makes: the household's grid, no point, no
    reporter's name or phone (the member is the reporter). The household it names is
    one of intake.report's ``marks``."""
    return dict(data, source=CARRIED_SOURCE, grid_code=household["grid_code"], lon=None, lat=None, anonymous=False,
                reporter_name=None, reporter_phone=None)


def resident_household(home, grid_code, anonymous):
    """The household a resident's report is for: their home (people's ``resident_home``,
    None for a resident without one), when the report lies in its grid and is not
    anonymous; else None."""
    if anonymous or not home or home.get("grid_code") != grid_code:
        return None
    return home.get("household_id")


def list_filters(member, filters, *, own, reach):
    """The filters of ``queries.list_tickets`` for a member's households: ``member`` as
    people's ``party_households`` answers it, ``filters`` as HouseholdTicketFilterSchema
    loads them; ``own`` when the member reads them; ``reach`` the reader's (None: the
    whole district). A ``household_id`` not linked to the member: 404 LINK_NOT_FOUND."""
    linked = [h["household_id"] for h in member["households"]]
    if filters.get("household_id"):
        if filters["household_id"] not in linked:
            raise LinkNotFound("The household is not linked to this member.",
                               details={"field": "household_id", "household_id": filters["household_id"]})
        linked = [filters["household_id"]]
    if not (own or reach is None or reach):
        linked = []  # a reader of no subtree who is not the member: nothing (people lets none through)
    return {"household_ids": linked, "status": filters.get("status"), "before": filters.get("before"),
            "limit": filters["limit"], "root": None if own else reach}


def household_view(ticket, addresses):
    view = _view.dump(ticket)
    view["address"] = addresses.get(ticket.household_id)
    return view


def page_view(member, tickets, after):
    addresses = {h["household_id"]: h.get("address") for h in member["households"]}
    return {"person_id": member["person_id"], "households": len(member["households"]),
            "items": [household_view(t, addresses) for t in tickets], "next": after}
