"""Party building (党建引领), free of nameko: every seed opens with the party leading the
grid. Seed 000 names grid party branches, two-way registration (双报到), the grid's
monthly service day (网格服务日), party-member households and 三带去三带回; seed 001 tells
of Ma'anshan's and Dunhuang's branches on the grid.

Branches (网格党支部 / 党小组): a branch or a group attached to a grid or a community,
with its secretary and its members, all staff persons who are party members. A staffed
grid is covered by a branch of its own, or by one of its community's; a community's
secretary may be its general grid chief, and coverage says when they are.

Two-way registration (双报到): a party member employed elsewhere (在职党员) registers
with the community they live in, naming their employer (a registered department); they
log their service there, and the employer reads it back by month (双报告).

Service day (网格服务日): one a month per grid, with a sign-in by each party member
who came.

Party-member households (党员中心户): a member linked to 10 to 15 neighbouring households
of their grid (a grid of a branch they belong to, or of a post they hold), each
household linked to one member at most.

Events and logs carry ids, grid codes, hours and counts: never a name.
"""
import datetime as dt
from collections import defaultdict

from sqlalchemy import func, literal, or_, select
from sqlalchemy.exc import IntegrityError

from common import keyset
from common.errors import InvalidInput
from people import pages
from people.exceptions import (AlreadyAMember, AlreadyRegistered, AlreadySignedIn, BranchNotFound, HouseholdLinked,
                               HouseholdOutsideGrid, LinkNotFound, MembershipNotFound, NotAPartyMember,
                               PersonNotFound, RegistrationNotFound, ServiceDayExists, ServiceDayNotFound,
                               TooManyHouseholds)
from people.models import (Assignment, Household, PartyBranch, PartyHousehold, PartyMembership, PartyRegistration,
                           PartyServiceEntry, Person, ServiceDay, ServiceDaySignIn)

KINDS = {"branch": ("党支部", "party branch"), "group": ("党小组", "party group")}
# Levels a branch does not attach to: it sits on a grid or a community, not above.
ABOVE_COMMUNITY = frozenset({"district", "town", "street"})
MIN_HOURS, MAX_HOURS = 0.5, 12
MIN_HOUSEHOLDS, MAX_HOUSEHOLDS = 10, 15   # a party-member household's neighbours (党员中心户)


def party_member(session, person_id, field="person_id"):
    """The staff person, if they are a party member: 400 naming ``field`` otherwise
    (UNKNOWN_PERSON for an id nobody has, NOT_A_PARTY_MEMBER for one who is not)."""
    person = session.get(Person, person_id) if person_id else None
    if person is None:
        raise InvalidInput(f"No staff person has the id {person_id}.", code="UNKNOWN_PERSON",
                           details={"field": field})
    if not person.party_member:
        raise NotAPartyMember("This person is not on record as a party member (staff record: party_member).",
                              details={"field": field})
    return person


def require_attachable(grid, field="grid_code"):
    """A branch sits on a grid or a community: 400 naming ``field`` for a town or above."""
    if grid["level"] in ABOVE_COMMUNITY:
        raise InvalidInput(f"Grid {grid['code']} is a {grid['level']}: a branch sits on a grid or a community.",
                           code="VALIDATION_FAILED",
                           details={"fields": {field: ["must be a grid or a community, not a town or above"]}})


def _meets(reach, code):
    """Whether a caller of ``reach`` (None: the whole district) meets ``code``: above it
    or inside it (a grid chief of a community's grid works in that community)."""
    return reach is None or bool(reach) and (code.startswith(reach) or reach.startswith(code))


# --- branches ---------------------------------------------------------------------------

def found_branch(session, data, *, by, today):
    """A branch with its secretary, who is its first member."""
    party_member(session, data["secretary_id"], "secretary_id")
    branch = PartyBranch(kind=data["kind"], name=data["name"], grid_code=data["grid_code"],
                         secretary_id=data["secretary_id"], created_by=by)
    session.add(branch)
    session.flush()
    session.add(PartyMembership(branch_id=branch.id, person_id=data["secretary_id"], joined_on=today, added_by=by))
    session.flush()
    return branch


def get_branch(session, branch_id, reach=None, for_update=False):
    """The branch, if ``reach`` holds its grid; otherwise answered as an id nobody has."""
    branch = session.get(PartyBranch, branch_id, with_for_update=for_update)
    if branch is None or not (reach is None or (reach and branch.grid_code.startswith(reach))):
        raise BranchNotFound(f"No party branch has the id {branch_id}.", details={"branch_id": branch_id})
    return branch


def add_member(session, branch, person_id, *, by, today):
    """409 ALREADY_A_MEMBER for a member of it now; one who left joins again."""
    party_member(session, person_id)
    row = session.scalar(select(PartyMembership).where(PartyMembership.branch_id == branch.id,
                                                       PartyMembership.person_id == person_id))
    if row is not None and row.left_on is None:
        raise AlreadyAMember("This person is a member of the branch already.", details={"field": "person_id"})
    if row is None:
        row = PartyMembership(branch_id=branch.id, person_id=person_id, joined_on=today, added_by=by)
        session.add(row)
    else:
        row.joined_on, row.left_on, row.added_by = today, None, by
    try:
        session.flush()
    except IntegrityError:  # the same person added at this very moment
        raise AlreadyAMember("This person was just added to the branch.", details={"field": "person_id"}) from None
    return row


def leave(session, branch, person_id, *, today):
    """The member leaves (their membership stays on record with the day; leaving again
    changes nothing); the secretary does not leave the branch they lead (409
    SECRETARY_LEAVING); someone who never was a member is 404 MEMBERSHIP_NOT_FOUND."""
    row = session.scalar(select(PartyMembership).where(PartyMembership.branch_id == branch.id,
                                                       PartyMembership.person_id == person_id))
    if row is None:
        raise MembershipNotFound("This person is no member of the branch.", details={"person_id": person_id})
    if person_id == branch.secretary_id:
        raise AlreadyAMember("The secretary cannot leave the branch they lead.", code="SECRETARY_LEAVING",
                             details={"field": "person_id"})
    if row.left_on is not None:
        return row
    row.left_on = today
    session.flush()
    return row


def branches_page(session, root=None, after=None, limit=100):
    """Branches on ``root`` or inside it, by grid and name: ``{"items", "next"}``."""
    query = select(PartyBranch).order_by(PartyBranch.grid_code, PartyBranch.name, PartyBranch.id).limit(limit + 1)
    if root:
        query = query.where(PartyBranch.grid_code.startswith(root, autoescape=True))
    if after:
        query = query.where(keyset.after(session, (PartyBranch.grid_code, PartyBranch.name, PartyBranch.id),
                                         PartyBranch.id, after, "party branch"))
    rows = session.scalars(query).all()
    shown = rows[:limit]
    counts = _member_counts(session, [b.id for b in shown])
    names = _names(session, [b.secretary_id for b in shown])
    return {"items": [branch_view(b, names, members=counts.get(b.id, 0)) for b in shown],
            "next": shown[-1].id if len(rows) > limit else None}


def _member_counts(session, branch_ids):
    if not branch_ids:
        return {}
    return dict(session.execute(select(PartyMembership.branch_id, func.count()).where(
        PartyMembership.branch_id.in_(branch_ids), PartyMembership.left_on.is_(None))
        .group_by(PartyMembership.branch_id)).all())


def _names(session, person_ids):
    wanted = sorted(set(person_ids))
    if not wanted:
        return {}
    return dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted))).all())


def branch_detail(session, branch):
    """The branch with its present members (and those who left, with the day)."""
    rows = session.scalars(select(PartyMembership).where(PartyMembership.branch_id == branch.id)
                           .order_by(PartyMembership.joined_on, PartyMembership.id)).all()
    names = _names(session, [r.person_id for r in rows] + [branch.secretary_id])
    present = [r for r in rows if r.left_on is None]
    return {**branch_view(branch, names, members=len(present)),
            "member_list": [{"person_id": r.person_id, "name": names.get(r.person_id),
                             "joined_on": r.joined_on.isoformat(),
                             "left_on": r.left_on.isoformat() if r.left_on else None} for r in rows]}


def branch_view(branch, names, members):
    return {"id": branch.id, "kind": branch.kind, "kind_label": dict(zip(("zh", "en"), KINDS[branch.kind])),
            "name": branch.name, "grid_code": branch.grid_code, "secretary_id": branch.secretary_id,
            "secretary_name": names.get(branch.secretary_id), "members": members,
            "created_by": branch.created_by, "created_at": branch.created_at.isoformat()}


def coverage(session, grids, root, today):
    """The staffed ``grids`` (grid's ``staffed_grids(root)``) and the branch each is led
    by: one of its own, or its community's; totals per community and town, and whether
    a community branch's secretary is also the community's general grid chief today."""
    communities = {g["community_code"] for g in grids if g.get("community_code")}
    wanted = sorted({g["code"] for g in grids} | communities)
    branches = session.scalars(select(PartyBranch).where(PartyBranch.grid_code.in_(wanted))
                               .order_by(PartyBranch.grid_code, PartyBranch.name, PartyBranch.id)).all() \
        if wanted else []
    by_code = defaultdict(list)
    for branch in branches:
        by_code[branch.grid_code].append(branch)
    chiefs = set()
    if branches:
        chiefs = set(session.execute(select(Assignment.person_id, Assignment.grid_code).where(
            Assignment.role == "general_grid_chief", Assignment.grid_code.in_(sorted(by_code)),
            Assignment.person_id.in_(sorted({b.secretary_id for b in branches})),
            Assignment.start_date <= today,
            or_(Assignment.end_date.is_(None), Assignment.end_date >= today))).all())
    names = _names(session, [b.secretary_id for b in branches])

    def brief(branch):
        return {"id": branch.id, "kind": branch.kind, "name": branch.name, "grid_code": branch.grid_code,
                "secretary_id": branch.secretary_id, "secretary_name": names.get(branch.secretary_id),
                "secretary_is_general_grid_chief": (branch.secretary_id, branch.grid_code) in chiefs}

    totals = {"community": defaultdict(lambda: [0, 0, 0]), "town": defaultdict(lambda: [0, 0, 0])}
    rows = []
    for grid in grids:
        own = [brief(b) for b in by_code.get(grid["code"], ())]
        community = grid.get("community_code")
        above = [brief(b) for b in by_code.get(community, ())] if community and community != grid["code"] else []
        led_by = "own" if own else "community" if above else None
        rows.append({"code": grid["code"], "name": grid["name"], "kind": grid["kind"], "community_code": community,
                     "town_code": grid.get("town_code"), "covered": led_by is not None, "led_by": led_by,
                     "branches": own, "community_branches": above})
        for level in ("community", "town"):
            code = grid.get(f"{level}_code")
            if code:
                figures = totals[level][code]
                figures[0] += 1
                figures[1] += led_by == "own"
                figures[2] += led_by is not None
    covered = sum(r["covered"] for r in rows)

    def rolled(level):
        out = []
        for code, (count, own, led) in sorted(totals[level].items()):
            item = {"code": code, "grids": count, "with_own_branch": own, "covered": led,
                    "coverage": round(led / count, 4) if count else None}
            if level == "community":
                item["branches"] = [brief(b) for b in by_code.get(code, ())]
            out.append(item)
        return out

    return {"root": root, "grids": len(rows), "covered": covered,
            "coverage": round(covered / len(rows), 4) if rows else None,
            "with_own_branch": sum(r["led_by"] == "own" for r in rows),
            "communities": rolled("community"), "towns": rolled("town"), "items": rows}


# --- two-way registration (双报到) --------------------------------------------------------

def register(session, data, *, by, now):
    """409 ALREADY_REGISTERED for a member registered already (in any community)."""
    party_member(session, data["person_id"])
    existing = session.scalar(select(PartyRegistration.id).where(PartyRegistration.person_id == data["person_id"]))
    if existing is not None:
        raise AlreadyRegistered("This party member is registered with a community already.",
                                details={"field": "person_id", "registration_id": existing})
    row = PartyRegistration(person_id=data["person_id"], employer_code=data["employer_code"],
                            community_code=data["community_code"], registered_by=by, registered_at=now)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise AlreadyRegistered("This party member was just registered.", details={"field": "person_id"}) from None
    return row


def get_registration(session, registration_id, actor_view):
    """The registration, for ``actor_view`` = (reach, person_id, department): the member
    themself, a caller whose reach meets the community, or (department given) the
    employer's accounts. Anyone else is answered as for an id nobody has."""
    row = session.get(PartyRegistration, registration_id)
    if row is None or not may_see(row, *actor_view):
        raise RegistrationNotFound(f"No registration has the id {registration_id}.",
                                   details={"registration_id": registration_id})
    return row


def may_see(row, reach, person_id=None, department=None, internal=False):
    if internal or (person_id and person_id == row.person_id):
        return True
    if department and department == row.employer_code:
        return True
    return reach != "" and _meets(reach, row.community_code)


def registrations_page(session, root=None, after=None, limit=100):
    """Registrations with communities on or inside ``root``, or above it (a grid's staff
    see their community's), by community and time: ``{"items", "next"}``."""
    query = (select(PartyRegistration)
             .order_by(PartyRegistration.community_code, PartyRegistration.registered_at, PartyRegistration.id)
             .limit(limit + 1))
    if root:
        query = query.where(or_(PartyRegistration.community_code.startswith(root, autoescape=True),
                                literal(root).startswith(PartyRegistration.community_code)))
    if after:
        query = query.where(keyset.after(
            session, (PartyRegistration.community_code, PartyRegistration.registered_at, PartyRegistration.id),
            PartyRegistration.id, after, "registration"))
    rows = session.scalars(query).all()
    shown = rows[:limit]
    names = _names(session, [r.person_id for r in shown])
    hours = dict(session.execute(select(PartyServiceEntry.registration_id, func.sum(PartyServiceEntry.hours))
                                 .where(PartyServiceEntry.registration_id.in_([r.id for r in shown]))
                                 .group_by(PartyServiceEntry.registration_id)).all()) if shown else {}
    return {"items": [{**registration_view(r, names), "hours_total": round(float(hours.get(r.id) or 0), 2)}
                      for r in shown],
            "next": shown[-1].id if len(rows) > limit else None}


def registration_view(row, names):
    return {"id": row.id, "person_id": row.person_id, "name": names.get(row.person_id),
            "employer_code": row.employer_code, "community_code": row.community_code,
            "registered_by": row.registered_by, "registered_at": row.registered_at.isoformat()}


def log_service(session, registration, data, *, by, today, now):
    """An entry of service: 0.5 to 12 hours, on a day not in the future (400 naming
    ``day``; the schema checks the hours)."""
    if data["day"] > today:
        raise InvalidInput("The day of service is in the future.", code="VALIDATION_FAILED",
                           details={"fields": {"day": ["must not be in the future"]}})
    row = PartyServiceEntry(registration_id=registration.id, community_code=registration.community_code,
                            activity=data["activity"], hours=data["hours"], households=data["households"],
                            day=data["day"], logged_by=by, logged_at=now)
    session.add(row)
    session.flush()
    return row


def entry_view(row):
    return {"id": row.id, "registration_id": row.registration_id, "community_code": row.community_code,
            "activity": row.activity, "hours": float(row.hours), "households": row.households,
            "day": row.day.isoformat(), "logged_by": row.logged_by, "logged_at": row.logged_at.isoformat()}


def entry_payload(row, person_id):
    """``party_service_logged``: ids, community, hours and counts (no activity text)."""
    return {"id": row.id, "registration_id": row.registration_id, "person_id": person_id,
            "grid_code": row.community_code, "hours": float(row.hours), "households": row.households,
            "day": row.day.isoformat()}


def report(session, registration, year):
    """双报告: the member's service in ``year`` with totals by month (all twelve)."""
    rows = session.execute(select(PartyServiceEntry.day, PartyServiceEntry.hours, PartyServiceEntry.households)
                           .where(PartyServiceEntry.registration_id == registration.id,
                                  PartyServiceEntry.day >= dt.date(year, 1, 1),
                                  PartyServiceEntry.day <= dt.date(year, 12, 31))).all()
    months = {m: {"month": f"{year}-{m:02d}", "entries": 0, "hours": 0.0, "households": 0} for m in range(1, 13)}
    for day, hours, households in rows:
        month = months[day.month]
        month["entries"] += 1
        month["hours"] += float(hours)
        month["households"] += households
    for month in months.values():
        month["hours"] = round(month["hours"], 2)
    names = _names(session, [registration.person_id])
    return {"registration": registration_view(registration, names), "year": year,
            "entries": len(rows), "hours": round(sum(float(h) for _, h, _ in rows), 2),
            "households": sum(n for _, _, n in rows), "months": list(months.values())}


# --- service days (网格服务日) ----------------------------------------------------------------

def hold_service_day(session, data, *, by, now):
    """409 SERVICE_DAY_EXISTS for a second one in a grid's month."""
    month = data["day"].strftime("%Y-%m")
    existing = session.scalar(select(ServiceDay.id).where(ServiceDay.grid_code == data["grid_code"],
                                                          ServiceDay.month == month))
    if existing is not None:
        raise ServiceDayExists(f"Grid {data['grid_code']} has its service day of {month} already.",
                               details={"field": "day", "service_day_id": existing})
    row = ServiceDay(grid_code=data["grid_code"], month=month, day=data["day"], activity=data["activity"],
                     branch_id=data.get("branch_id"), created_by=by, created_at=now)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise ServiceDayExists(f"Grid {data['grid_code']}'s service day of {month} was just set.",
                               details={"field": "day"}) from None
    return row


def get_service_day(session, service_day_id, reach=None, own=False):
    """The service day, for a caller whose reach holds its grid, or (``own``) a party
    member signing themself in; otherwise as for an id nobody has."""
    row = session.get(ServiceDay, service_day_id)
    if row is None or not (reach is None or (reach and row.grid_code.startswith(reach)) or own):
        raise ServiceDayNotFound(f"No service day has the id {service_day_id}.",
                                 details={"service_day_id": service_day_id})
    return row


def sign_in(session, day, person_id, *, by, today, now):
    """A party member who came: once (409 ALREADY_SIGNED_IN), not before the day (409
    SERVICE_DAY_NOT_YET)."""
    party_member(session, person_id)
    if day.day > today:
        raise AlreadySignedIn(f"The service day is on {day.day.isoformat()}: sign-in opens that day.",
                              code="SERVICE_DAY_NOT_YET", details={"service_day_id": day.id, "field": "day"})
    if session.scalar(select(ServiceDaySignIn.id).where(ServiceDaySignIn.service_day_id == day.id,
                                                        ServiceDaySignIn.person_id == person_id)) is not None:
        raise AlreadySignedIn("This member signed in to the service day already.", details={"field": "person_id"})
    row = ServiceDaySignIn(service_day_id=day.id, person_id=person_id, signed_by=by, signed_at=now)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise AlreadySignedIn("This member was just signed in.", details={"field": "person_id"}) from None
    return row


def attendance(session, day_ids):
    """{service day id: [(sign-in, name), ...]} in order of signing."""
    if not day_ids:
        return {}
    rows = session.execute(select(ServiceDaySignIn, Person.name)
                           .join(Person, Person.id == ServiceDaySignIn.person_id)
                           .where(ServiceDaySignIn.service_day_id.in_(day_ids))
                           .order_by(ServiceDaySignIn.signed_at, ServiceDaySignIn.id)).all()
    found = defaultdict(list)
    for row, name in rows:
        found[row.service_day_id].append((row, name))
    return found


def service_days_page(session, root=None, month=None, after=None, limit=100):
    """Service days of grids on or inside ``root`` (of ``month``), by month and grid,
    each with who signed in: ``{"items", "next"}``."""
    query = select(ServiceDay).order_by(ServiceDay.month, ServiceDay.grid_code, ServiceDay.id).limit(limit + 1)
    if root:
        query = query.where(ServiceDay.grid_code.startswith(root, autoescape=True))
    if month:
        query = query.where(ServiceDay.month == month)
    if after:
        query = query.where(keyset.after(session, (ServiceDay.month, ServiceDay.grid_code, ServiceDay.id),
                                         ServiceDay.id, after, "service day"))
    rows = session.scalars(query).all()
    shown = rows[:limit]
    signed = attendance(session, [d.id for d in shown])
    return {"items": [service_day_view(d, signed.get(d.id, ())) for d in shown],
            "next": shown[-1].id if len(rows) > limit else None}


def service_day_view(day, signed=()):
    return {"id": day.id, "grid_code": day.grid_code, "month": day.month, "day": day.day.isoformat(),
            "activity": day.activity, "branch_id": day.branch_id, "created_by": day.created_by,
            "created_at": day.created_at.isoformat(), "attended": len(signed),
            "sign_ins": [{"person_id": row.person_id, "name": name, "signed_by": row.signed_by,
                          "signed_at": row.signed_at.isoformat()} for row, name in signed]}


def service_day_payload(day):
    """``service_day_held``: ids, the grid, the month and the day (no activity text):
    what scoring counts a member's attendance against."""
    return {"id": day.id, "grid_code": day.grid_code, "month": day.month, "day": day.day.isoformat(),
            "branch_id": day.branch_id, "created_at": day.created_at.isoformat()}


def sign_in_payload(day, row, attended=None):
    """``service_day_attended``: ids, the grid, the month and day of the service day, when
    the member signed in, and the count so far (None in a page: the order of signing is
    the event's to tell). ``day`` may be the sign-in's own row joined to its day."""
    return {"service_day_id": row.service_day_id, "sign_in_id": row.id, "person_id": row.person_id,
            "grid_code": day.grid_code, "month": day.month, "day": day.day.isoformat(),
            "signed_at": row.signed_at.isoformat(), "attended": attended}


# --- scoring's pages (people.pages): each record as its event carries it -------------------------

def service_entries_page(session, after, limit):
    """``party_service_logged`` of every entry, with the member its registration is of."""
    return pages.page(session, PartyServiceEntry, lambda row: entry_payload(row, row.person_id), after, limit,
                      joined={"person_id": PartyRegistration.person_id})


def sign_ins_page(session, after, limit):
    """``service_day_attended`` of every sign-in, with its service day's grid, month and day."""
    return pages.page(session, ServiceDaySignIn, lambda row: sign_in_payload(row, row), after, limit,
                      joined={"grid_code": ServiceDay.grid_code, "month": ServiceDay.month, "day": ServiceDay.day})


# --- party-member households (党员中心户) -----------------------------------------------------

def member_grids(session, person_id, today):
    """The grids a member's neighbours lie in: those of the branches they belong to now
    and of the posts they hold today."""
    branches = session.scalars(select(PartyBranch.grid_code).join(
        PartyMembership, PartyMembership.branch_id == PartyBranch.id).where(
        PartyMembership.person_id == person_id, PartyMembership.left_on.is_(None))).all()
    posts = session.scalars(select(Assignment.grid_code).where(
        Assignment.person_id == person_id, Assignment.start_date <= today,
        or_(Assignment.end_date.is_(None), Assignment.end_date >= today))).all()
    return sorted(set(branches) | set(posts))


def link_household(session, person_id, household, *, by, today, now):
    """``(link, created)``: the household joins the member's neighbours. It lies in one of
    their grids (400 HOUSEHOLD_OUTSIDE_GRID naming ``household_id``), is nobody else's
    (409 HOUSEHOLD_LINKED) and is at most their 15th (409 TOO_MANY_HOUSEHOLDS); linked to
    them already, it answers the first link."""
    session.get(Person, person_id, with_for_update=True)   # one link at a time per member: the count holds
    party_member(session, person_id)
    existing = session.scalar(select(PartyHousehold).where(PartyHousehold.household_id == household.id))
    if existing is not None:
        if existing.person_id == person_id:
            return existing, False
        raise HouseholdLinked("This household is linked to another party member.",
                              details={"field": "household_id"})
    grids = member_grids(session, person_id, today)
    if not any(household.grid_code.startswith(code) for code in grids):
        raise HouseholdOutsideGrid("The household lies outside the grids of the member's branches and posts.",
                                   details={"field": "household_id", "member_grids": grids})
    linked = session.scalar(select(func.count()).select_from(PartyHousehold)
                            .where(PartyHousehold.person_id == person_id))
    if linked >= MAX_HOUSEHOLDS:
        raise TooManyHouseholds(f"A party member is linked to {MAX_HOUSEHOLDS} households at most.",
                                details={"field": "household_id", "linked": linked})
    row = PartyHousehold(person_id=person_id, household_id=household.id, grid_code=household.grid_code,
                         linked_by=by, linked_at=now)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise HouseholdLinked("This household was just linked to a party member.",
                              details={"field": "household_id"}) from None
    return row, True


def unlink_household(session, person_id, household_id):
    row = session.scalar(select(PartyHousehold).where(PartyHousehold.person_id == person_id,
                                                      PartyHousehold.household_id == household_id))
    if row is None:
        raise LinkNotFound("The household is not linked to this member.", details={"household_id": household_id})
    session.delete(row)
    session.flush()


def member_households(session, person_id, reach, today):
    """The member's households, for a reader whose reach meets one of the member's grids
    or of their households (404 PERSON_NOT_FOUND otherwise, as for an id nobody has)."""
    person = session.get(Person, person_id)
    rows = session.execute(select(PartyHousehold, Household.grid_code, Household.address).join(
        Household, Household.id == PartyHousehold.household_id).where(PartyHousehold.person_id == person_id)
        .order_by(Household.grid_code, PartyHousehold.linked_at, PartyHousehold.id)).all() \
        if person is not None else []
    grids = member_grids(session, person_id, today) if person is not None else []
    if person is None or not (reach is None or any(_meets(reach, code)
                                                   for code in grids + [grid for _, grid, _ in rows])):
        raise PersonNotFound(f"No person has the id {person_id}.", details={"person_id": person_id})
    # Where each household lies now (a household moves: move_household), not where it lay
    # when it was linked: a problem carried up for it is a ticket of that grid.
    return {"person_id": person_id, "name": person.name, "party_member": person.party_member, "grids": grids,
            "linked": len(rows), "minimum": MIN_HOUSEHOLDS, "maximum": MAX_HOUSEHOLDS,
            "short_of_minimum": len(rows) < MIN_HOUSEHOLDS,
            "households": [{"household_id": r.household_id, "grid_code": grid, "address": address,
                            "linked_by": r.linked_by, "linked_at": r.linked_at.isoformat()}
                           for r, grid, address in rows]}
