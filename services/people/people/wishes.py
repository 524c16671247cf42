"""Small wishes (点亮微心愿), free of nameko: a resident posts a small wish, a community
officer approves it, a party member or a volunteer claims and fulfils it, the resident
confirms, and the claimant earns volunteer points through the ledger.

Seed 001 opens with party building leading the grid, and Ma'anshan and Dunhuang run
点亮微心愿: a wheelchair for a parent, help with a form. The flow:

    posted -> approved -> claimed -> fulfilled -> confirmed
           -> rejected (with a reason)
    posted, approved -> withdrawn (by the poster, before anyone claims it)

Who:
- the **poster** is a resident's own account (``accounts.resident_id``): the wish lies in
  the grid of the resident's household, and only the poster withdraws or confirms it;
- **reviewers** (staff managers reaching the grid) approve or reject a posted wish;
- a **claimant** is a staff member signing in with an account linked to their staff
  record, who is a party member (``Person.party_member``) or holds a ``volunteer`` or
  ``party_member_in_service`` post running today, and whose reach holds the wish's grid.
  Nobody claims a wish of their own: a staff record with the poster's ID or phone number
  is the poster (a staff member who lives in the grid keeps two accounts);
- only the claimant fulfils it, with a note.

Privacy: every staff reader of the scope sees a wish once approved (its title,
description, category, grid); supervisors and auditors see every status and the poster;
the claimant sees the poster's name, masked phone and address while the wish is theirs
to fulfil (claimed, fulfilled), and nothing of the poster before. ID numbers never. A
title, description, note or reason holding a mobile or ID number is refused (400 naming
the field): the text goes to volunteers, and the contact they need is shown masked.
"""
from sqlalchemy import func, select

from common import keyset
from common.errors import Forbidden, InvalidInput
from common.roles import STAFF_MANAGERS, SUPERVISOR_READERS
from common.shanghai import shanghai_date
from people import pages
from people.exceptions import NoHome, OwnWish, WishClaimed, WishNotFound, WishOutOfOrder
from people.idcard import mask_numbers_in
from people.models import Account, Household, Person, Resident, Wish
from people.staff import assignments, get_person

CATEGORIES = {
    "goods": ("物品", "goods"),
    "service": ("服务", "service"),
    "paperwork": ("代办帮办", "help with paperwork"),
    "other": ("其他", "other"),
}
STATUSES = {
    "posted": ("待审核", "posted, awaiting approval"),
    "approved": ("待认领", "approved, open to claim"),
    "rejected": ("未通过", "rejected"),
    "claimed": ("已认领", "claimed"),
    "fulfilled": ("已实现", "fulfilled, awaiting the poster's confirmation"),
    "confirmed": ("已确认", "confirmed"),
    "withdrawn": ("已撤回", "withdrawn"),
}
# Each step: the statuses it acts from, and the status it leaves.
STEPS = {
    "approve": (("posted",), "approved"),
    "reject": (("posted",), "rejected"),
    "withdraw": (("posted", "approved"), "withdrawn"),
    "claim": (("approved",), "claimed"),
    "fulfil": (("claimed",), "fulfilled"),
    "confirm": (("fulfilled",), "confirmed"),
}
LIT = ("approved", "claimed", "fulfilled", "confirmed")   # every staff reader of the scope sees these
CLAIMANT_SEES_POSTER = ("claimed", "fulfilled")            # while it is the claimant's to fulfil
OPEN = ("posted", "approved", "claimed", "fulfilled")      # not yet confirmed, rejected or withdrawn
CLAIM_POSTS = ("volunteer", "party_member_in_service")     # people.staff.STAFF_ROLES
TITLE_MAX, DESCRIPTION_MAX, NOTE_MAX = 50, 1000, 500
# Every level scheme numbers villages and communities with 12 digits (grid.levels): a
# grid's community is the first 12 digits of its code.
COMMUNITY_LENGTH = 12
POINTS_DEFAULT = 10          # WISH_POINTS
POINTS_MAX = 1000            # the most one ledger entry credits (POST /points/earn)
POINTS_APPROVER = "wish-confirmation"  # the ledger's approver: the poster's confirmation, not a username


def wish_points(value):
    """WISH_POINTS as configured: a whole number of points from 1 to 1,000 (what one
    ledger entry may credit); anything else stops people at start, naming it."""
    try:
        points = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValueError(f"WISH_POINTS must be a whole number of points, got {value!r}") from None
    if not 1 <= points <= POINTS_MAX:
        raise ValueError(f"WISH_POINTS must be 1-{POINTS_MAX} (one ledger entry), got {points}")
    return points


def refuse_numbers(data, fields):
    """400 naming each of ``fields`` whose text holds a mobile or ID number: a wish's
    words go to volunteers; the contact they need is shown to the claimant, masked."""
    found = {name: ["holds a phone or ID number: leave it out (the claimant is shown your contact, masked)"]
             for name in fields if data.get(name) and mask_numbers_in(data[name]) != data[name]}
    if found:
        raise InvalidInput("A wish's text may not hold phone or ID numbers.", code="VALIDATION_FAILED",
                           details={"fields": found})


# --- posting ------------------------------------------------------------------------------

def poster_home(session, account_id):
    """The resident the account belongs to and their household: 409 NO_HOME when the
    account is no resident's or the resident has no household (a wish lies in the
    poster's home grid)."""
    row = None
    if account_id is not None:
        row = session.execute(
            select(Resident, Household).join(Household, Resident.household_id == Household.id)
            .join(Account, Account.resident_id == Resident.id).where(Account.id == account_id)).first()
    if row is None:
        raise NoHome("A wish is posted from a resident's own account, in the grid of their household: this account "
                     "belongs to no resident with a household.", details={"account_id": account_id})
    return row


def post(session, data, *, account_id, now):
    refuse_numbers(data, ("title", "description"))
    resident, household = poster_home(session, account_id)
    wish = Wish(account_id=account_id, resident_id=resident.id, household_id=household.id,
                grid_code=household.grid_code, title=data["title"], description=data["description"],
                category=data["category"], status="posted", posted_at=now, updated_at=now)
    session.add(wish)
    session.flush()
    return wish


# --- who sees what --------------------------------------------------------------------------

def is_poster(actor, wish):
    return actor is not None and actor.account_id == wish.account_id


def is_claimant(actor, wish):
    return actor is not None and actor.person_id is not None and actor.person_id == wish.claimed_by_person_id


def may_see(actor, wish):
    """The poster; supervisors and auditors reaching its grid, every status; other
    staff reaching it once approved. None: an internal call."""
    if actor is None or is_poster(actor, wish):
        return True
    if not actor.reaches(wish.grid_code):
        return False
    return actor.has_role(SUPERVISOR_READERS) or wish.status in LIT


def sees_poster(actor, wish):
    """Who the poster is: the poster, supervisors and auditors, and the claimant while
    the wish is theirs to fulfil."""
    return actor is None or is_poster(actor, wish) or actor.has_role(SUPERVISOR_READERS) \
        or (is_claimant(actor, wish) and wish.status in CLAIMANT_SEES_POSTER)


def get(session, wish_id, actor=None, for_update=False):
    """The wish, if ``actor`` may see it (``may_see``); any other is answered as an id
    nobody has (wish ids are no way to learn what residents asked for elsewhere)."""
    wish = session.get(Wish, wish_id, with_for_update=for_update)
    if wish is None or not may_see(actor, wish):
        raise WishNotFound(f"No wish has the id {wish_id}.", details={"wish_id": wish_id})
    return wish


def page(session, *, root=None, own_account=None, lit_only=False, status=None, after=None, limit=100):
    """Wishes newest first, a page at a time: ``{"items": [Wish], "next"}``. ``root``:
    of grids in the subtree; ``own_account``: only that account's; ``lit_only``: only
    approved ones onwards."""
    query = select(Wish).order_by(Wish.posted_at.desc(), Wish.id.desc()).limit(limit + 1)
    if root:
        query = query.where(Wish.grid_code.startswith(root, autoescape=True))
    if own_account is not None:
        query = query.where(Wish.account_id == own_account)
    if lit_only:
        query = query.where(Wish.status.in_(LIT))
    if status:
        query = query.where(Wish.status == status)
    if after:
        query = query.where(keyset.after(session, (Wish.posted_at, Wish.id), Wish.id, after, "wish",
                                         descending=True))
    rows = session.scalars(query).all()
    shown = rows[:limit]
    return {"items": shown, "next": shown[-1].id if len(rows) > limit else None}


# --- the steps -------------------------------------------------------------------------------

def _step(wish, action, now):
    """Move ``wish`` by ``action``: 409 WISH_OUT_OF_ORDER naming its status otherwise."""
    sources, target = STEPS[action]
    if wish.status not in sources:
        raise WishOutOfOrder(f"The wish is {wish.status}: it is {action}ed only when {' or '.join(sources)}.",
                             details={"field": "status", "status": wish.status, "allowed_from": list(sources)})
    wish.status, wish.updated_at = target, now


def may_review(actor):
    if actor is not None and not actor.has_role(STAFF_MANAGERS):
        raise Forbidden("Community officers and those above them approve and reject wishes.",
                        code="NOT_A_REVIEWER", details={"required_any_of": STAFF_MANAGERS.ordered()})


def approve(session, wish, *, actor, by, now):
    may_review(actor)
    _step(wish, "approve", now)
    wish.reviewed_by, wish.reviewed_at = by, now
    session.flush()
    return wish


def reject(session, wish, reason, *, actor, by, now):
    may_review(actor)
    refuse_numbers({"reason": reason}, ("reason",))
    _step(wish, "reject", now)
    wish.reviewed_by, wish.reviewed_at, wish.reject_reason = by, now, reason
    session.flush()
    return wish


def _poster_only(actor, wish, what):
    if actor is not None and not is_poster(actor, wish):
        raise Forbidden(f"Only the resident who posted a wish {what} it.", code="NOT_YOUR_WISH",
                        details={"wish_id": wish.id})


def withdraw(session, wish, *, actor, now):
    _poster_only(actor, wish, "withdraws")
    _step(wish, "withdraw", now)
    wish.withdrawn_at = now
    session.flush()
    return wish


def claimant(session, person_id, day=None):
    """The staff member, if they may claim wishes: a party member, or holding a
    volunteer or in-service party member post running on ``day`` (default today).
    403 NOT_A_VOLUNTEER otherwise (also for an account linked to no staff record)."""
    refused = Forbidden("A party member or a volunteer claims a wish: an account linked to a staff record that is a "
                        "party member or holds a volunteer or in-service party member post.",
                        code="NOT_A_VOLUNTEER", details={"posts": list(CLAIM_POSTS)})
    if person_id is None:
        raise refused
    person = get_person(session, person_id)
    if person.party_member:
        return person
    if any(post.role in CLAIM_POSTS for post in assignments(session, person_id=person_id,
                                                            on=day or shanghai_date())):
        return person
    raise refused


def _same_human(person, resident):
    return bool(person.id_number_hash and person.id_number_hash == resident.id_number_hash) or \
        bool(person.phone_hash and person.phone_hash == resident.phone_hash)


def claim(session, wish, person, *, by, now):
    """``person`` (``claimant``) claims ``wish``: 403 OWN_WISH for the poster themself
    (a staff record with the poster's ID or phone number); 409 WISH_CLAIMED for a wish
    claimed already (by anyone, the claimant too), 409 WISH_OUT_OF_ORDER for one not
    approved."""
    if _same_human(person, session.get(Resident, wish.resident_id)):
        raise OwnWish("You posted this wish: another party member or volunteer fulfils it.",
                      details={"wish_id": wish.id})
    if wish.claimed_by_person_id is not None:
        raise WishClaimed("The wish is claimed already.",
                          details={"field": "status", "status": wish.status,
                                   "claimed_by_you": wish.claimed_by_person_id == person.id})
    _step(wish, "claim", now)
    wish.claimed_by_person_id, wish.claimed_by, wish.claimed_at = person.id, by, now
    session.flush()
    return wish


def fulfil(session, wish, note, *, actor, now):
    if actor is not None and not is_claimant(actor, wish):
        raise Forbidden("Only the one who claimed a wish fulfils it.", code="NOT_THE_CLAIMANT",
                        details={"wish_id": wish.id})
    refuse_numbers({"note": note}, ("note",))
    _step(wish, "fulfil", now)
    wish.fulfil_note, wish.fulfilled_at = note, now
    session.flush()
    return wish


def confirm(session, wish, *, actor, now):
    """The poster confirms: the wish is done. The caller credits the points (in the
    same transaction) and records them with ``awarded``."""
    _poster_only(actor, wish, "confirms")
    _step(wish, "confirm", now)
    wish.confirmed_at = now
    session.flush()
    return wish


def awarded(session, wish, entry):
    wish.points, wish.points_entry_id = entry.delta, entry.id
    session.flush()
    return wish


def activity(wish):
    """The ledger entry's activity: the wish's id, not its words."""
    return f"点亮微心愿 {wish.id}"


# --- views -------------------------------------------------------------------------------

def _label(table, code):
    zh, en = table.get(code, (code, code))
    return {"zh": zh, "en": en}


def _iso(moment):
    return moment.isoformat() if moment is not None else None


def posters(session, wishes):
    """{resident_id: (name, masked phone, address)} of the residents behind ``wishes``."""
    ids = {wish.resident_id for wish in wishes}
    if not ids:
        return {}
    rows = session.execute(select(Resident.id, Resident.name, Resident.phone_masked, Household.address)
                           .outerjoin(Household, Household.id == Resident.household_id)
                           .where(Resident.id.in_(ids))).all()
    return {row.id: {"name": row.name, "phone": row.phone_masked, "address": row.address} for row in rows}


def claimant_names(session, wishes):
    ids = {wish.claimed_by_person_id for wish in wishes if wish.claimed_by_person_id}
    if not ids:
        return {}
    return dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())


def views(session, wishes, actor):
    """The wishes as ``actor`` sees them (one query each for posters and claimants)."""
    shown = [wish for wish in wishes if sees_poster(actor, wish)]
    who, names = posters(session, shown), claimant_names(session, wishes)
    return [view(wish, who.get(wish.resident_id) if sees_poster(actor, wish) else None,
                 names.get(wish.claimed_by_person_id), yours=is_poster(actor, wish)) for wish in wishes]


def view(wish, poster=None, claimant_name=None, yours=False):
    """A wish as the API shows it: ``poster`` (name, masked phone, address) only for
    those who may see who posted it, ``poster_shown`` saying whether it is given. No
    resident, household or account id, and never an ID number."""
    return {
        "id": wish.id, "grid_code": wish.grid_code, "community_code": wish.grid_code[:COMMUNITY_LENGTH],
        "title": wish.title, "description": wish.description, "category": wish.category,
        "category_label": _label(CATEGORIES, wish.category), "status": wish.status,
        "status_label": _label(STATUSES, wish.status), "yours": yours,
        "poster": poster, "poster_shown": poster is not None,
        "reviewed_by": wish.reviewed_by, "reviewed_at": _iso(wish.reviewed_at), "reject_reason": wish.reject_reason,
        "claimed_by_person_id": wish.claimed_by_person_id, "claimant_name": claimant_name,
        "claimed_at": _iso(wish.claimed_at), "fulfil_note": wish.fulfil_note, "fulfilled_at": _iso(wish.fulfilled_at),
        "confirmed_at": _iso(wish.confirmed_at), "withdrawn_at": _iso(wish.withdrawn_at), "points": wish.points,
        "posted_at": wish.posted_at.isoformat(), "updated_at": wish.updated_at.isoformat(), "version": wish.version,
    }


def payload(wish):
    """``wish_confirmed``: ids, grid, points and times, no personal data and no text (a
    member's service, as a fact scoring may keep)."""
    return {"wish_id": wish.id, "grid_code": wish.grid_code, "community_code": wish.grid_code[:COMMUNITY_LENGTH],
            "category": wish.category, "claimant_person_id": wish.claimed_by_person_id, "points": wish.points,
            "points_entry_id": wish.points_entry_id, "posted_at": wish.posted_at.isoformat(),
            "claimed_at": _iso(wish.claimed_at), "fulfilled_at": _iso(wish.fulfilled_at),
            "confirmed_at": _iso(wish.confirmed_at), "version": wish.version}


def confirmed_page(session, after, limit):
    """``wish_confirmed`` of every confirmed wish (scoring's rebuild): only a confirmed wish
    was announced, and is a fact of scoring's."""
    return pages.page(session, Wish, payload, after, limit, where=(Wish.confirmed_at.is_not(None),))


# --- the summary per community -------------------------------------------------------------------

def summary(session, root=None):
    """Counts per status and the points awarded, per community under ``root`` (None: the
    whole district), in one grouped query; ``open``: not yet confirmed, rejected or
    withdrawn."""
    community = func.substr(Wish.grid_code, 1, COMMUNITY_LENGTH)
    query = (select(community, Wish.status, func.count(Wish.id), func.coalesce(func.sum(Wish.points), 0))
             .group_by(community, Wish.status).order_by(community))
    if root:
        query = query.where(Wish.grid_code.startswith(root, autoescape=True))
    communities = {}
    for code, status, count, points in session.execute(query).all():
        counts = communities.setdefault(code, _zero(code))
        counts[status] = count
        counts["points"] += int(points)
    rows = list(communities.values())
    total = _zero(None)
    for counts in rows:
        counts["open"] = sum(counts[status] for status in OPEN)
        for key in (*STATUSES, "points"):
            total[key] += counts[key]
    total["open"] = sum(total[status] for status in OPEN)
    del total["community_code"]
    return {"root": root, "communities": rows, "total": total}


def _zero(code):
    return {"community_code": code, **{status: 0 for status in STATUSES}, "open": 0, "points": 0}
