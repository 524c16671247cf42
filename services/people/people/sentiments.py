"""Sentiment records (社情民意), free of nameko: what residents tell a grid worker, kept
with its category, source, grid (and household) and its follow-up.

Seed 000 makes collecting them the second of a full-time worker's eight tasks
(社情民意收集) and names a sentiment index (民情指数) among the assessment's bases; seed
004's street collected 7,900 of them in a year beside 11,000 events reported. A record
that needs handling becomes a ticket (the closed loop): people reports it to tickets,
and keeps the ticket's id on the record.

Who: a worker records what they heard in a grid they were posted in that day (a
supervisor may record for a worker of their reach, as for a visit); the recorder and
supervisors follow it up or report it as a ticket; staff and auditors read the records
of their scope, and the content and the follow-up notes (what residents said) only the
recorder, supervisors and auditors (as a visit's notes).
"""
from sqlalchemy import select

from common import keyset, textsig
from common.errors import Forbidden, InvalidInput
from common.roles import SUPERVISOR_READERS, SUPERVISORS, in_scope, require_in_reach
from common.shanghai import shanghai_date
from people.exceptions import HouseholdOutsideGrid, SentimentClosed, SentimentNotFound
from people.models import SentimentFollowUp, SentimentRecord
from people.residents import get_household
from people.staff import get_person, posted_grids

# The catalogue, as data: code -> (zh, en, the ticket category a record of it is reported
# under by default). The ticket category is the one the desk would pick for most such
# records (tickets.catalogue); the caller may name another when reporting.
CATEGORIES = {
    "livelihood": ("民生诉求", "livelihood request", "LS02"),
    "dispute_sign": ("矛盾纠纷苗头", "early sign of a dispute", "DM01"),
    "safety_hazard": ("安全隐患", "safety hazard", "PS01"),
    "suggestion": ("意见建议", "opinion or suggestion", "OT99"),
    "policy_inquiry": ("政策咨询", "policy inquiry", "LS06"),
    "other": ("其他", "other", "OT99"),
}
# Where the worker heard it. Seed 000: 常态走访知民情 (visits), 民事民议 (residents'
# meetings); seed 003: each worker runs a residents' group (online).
SOURCES = {
    "home_visit": ("入户走访", "home visit"),
    "patrol": ("巡查", "patrol"),
    "phone": ("电话", "phone call"),
    "walk_in": ("来访", "walk-in"),
    "online": ("网络", "online (residents' group, messages)"),
    "meeting": ("议事座谈", "residents' meeting"),
}
STATUSES = {"open": ("待跟进", "open"), "followed_up": ("已跟进", "followed up"), "closed": ("已办结", "closed")}
# A follow-up leaves the record in one of these; a closed record takes none.
FOLLOW_UP_STATUSES = ("followed_up", "closed")
TICKET_GRADES = ("daily", "urgent", "major")  # tickets' grades (三上报), which tickets owns
CONTENT_MAX = 2000  # a ticket's description takes as much: a record reports whole


def catalogue():
    """The vocabularies with their labels, for a client's pickers."""
    return {
        "categories": [{"code": code, "zh": zh, "en": en, "ticket_category": ticket}
                       for code, (zh, en, ticket) in CATEGORIES.items()],
        "sources": [{"code": code, "zh": zh, "en": en} for code, (zh, en) in SOURCES.items()],
        "statuses": [{"code": code, "zh": zh, "en": en} for code, (zh, en) in STATUSES.items()],
    }


# --- recording ------------------------------------------------------------------------

def may_record(session, data, reach):
    """403 OUT_OF_SCOPE unless the record's grid lies in the actor's ``reach`` (None:
    the whole district); 400 naming the field unless the recorder was posted in a grid
    holding it on the record's day, and the household (if any) lies in it."""
    require_in_reach(reach, data["grid_code"])
    get_person(session, data["person_id"])
    day = shanghai_date(data["occurred_at"])
    grids = posted_grids(session, data["person_id"], day)
    if not any(data["grid_code"].startswith(code) for code in grids):
        raise InvalidInput(f"The person held no post in grid {data['grid_code']} on {day.isoformat()}: a record is "
                           "made in a grid its recorder works in.", code="NOT_ASSIGNED",
                           details={"field": "grid_code"})
    if data.get("household_id"):
        household = get_household(session, data["household_id"])
        if not in_scope(data["grid_code"], household.grid_code):
            raise HouseholdOutsideGrid(f"The household lies in another grid than {data['grid_code']}.",
                                       details={"field": "household_id", "grid_code": data["grid_code"]})


def record(session, data):
    entry = SentimentRecord(
        person_id=data["person_id"], client_id=data["client_id"], grid_code=data["grid_code"],
        household_id=data.get("household_id"), category=data["category"], source=data["source"],
        content=data["content"], content_sig=textsig.signature(data["content"]), status="open", follow_up_count=0,
        occurred_at=data["occurred_at"])
    session.add(entry)
    session.flush()
    return entry


def previous(session, person_id, client_id):
    return session.scalar(select(SentimentRecord).where(SentimentRecord.person_id == person_id,
                                                        SentimentRecord.client_id == client_id))


# --- reading ----------------------------------------------------------------------------

def get(session, sentiment_id, reach=None, for_update=False):
    """The record, if ``reach`` (None: the whole district) holds its grid; one beyond it
    is answered as an id nobody has (what residents said in another grid is not for a
    caller outside it to learn of)."""
    entry = session.get(SentimentRecord, sentiment_id, with_for_update=for_update)
    if entry is None or not (reach is None or in_scope(reach, entry.grid_code)):
        raise SentimentNotFound(f"No sentiment record has the id {sentiment_id}.",
                                details={"sentiment_id": sentiment_id})
    return entry


def may_read_content(actor, entry):
    """The content and the notes: for the recorder, supervisors and auditors (who
    check the records of their scope); a colleague sees that a record was made, its
    category and status, not what was said. None: an internal call."""
    return actor is None or (actor.person_id is not None and actor.person_id == entry.person_id) \
        or actor.has_role(SUPERVISOR_READERS)


def may_act(actor, entry):
    """Following a record up, or reporting it as a ticket: the recorder or a supervisor
    (the record already lies in their reach); 403 NOT_YOUR_RECORD otherwise."""
    if actor is None or actor.has_role(SUPERVISORS) or (actor.person_id and actor.person_id == entry.person_id):
        return
    raise Forbidden("The recorder and supervisors follow a record up.", code="NOT_YOUR_RECORD",
                    details={"sentiment_id": entry.id})


def view(entry, show_content, follow_ups=None):
    """A record as the API shows it: ``content`` None (``content_shown`` false) for a
    reader who may not read it; ``follow_ups`` (oldest first) when asked for one record."""
    labels = CATEGORIES.get(entry.category, (entry.category, entry.category, None))
    shown = {
        "id": entry.id, "person_id": entry.person_id, "client_id": entry.client_id, "grid_code": entry.grid_code,
        "household_id": entry.household_id, "category": entry.category,
        "category_label": {"zh": labels[0], "en": labels[1]}, "source": entry.source,
        "content": entry.content if show_content else None, "content_shown": bool(show_content),
        "status": entry.status, "follow_up_count": entry.follow_up_count,
        "followed_up_at": _iso(entry.followed_up_at), "closed_at": _iso(entry.closed_at),
        "ticket_id": entry.ticket_id, "ticket_number": entry.ticket_number,
        "occurred_at": entry.occurred_at.isoformat(), "received_at": entry.received_at.isoformat(),
        "version": entry.version,
    }
    if follow_ups is not None:
        shown["follow_ups"] = [follow_up_view(item, show_content) for item in follow_ups]
    return shown


def follow_up_view(item, show_note=True):
    return {"id": item.id, "client_id": item.client_id, "person_id": item.person_id,
            "note": item.note if show_note else None, "status": item.status, "ticket_id": item.ticket_id,
            "occurred_at": item.occurred_at.isoformat(), "received_at": item.received_at.isoformat()}


def follow_ups_of(session, sentiment_id):
    return session.scalars(select(SentimentFollowUp).where(SentimentFollowUp.sentiment_id == sentiment_id)
                           .order_by(SentimentFollowUp.occurred_at, SentimentFollowUp.received_at)).all()


def page(session, root=None, person_id=None, category=None, status=None, since=None, after=None, limit=100,
         actor=None):
    """Records newest first, a page at a time: ``{"items", "next"}``, ``next`` the last
    record's id to pass back as ``after`` (None on the last page). ``root``: records of
    grids in the subtree (None: the whole district). ``after`` naming no record is a
    400 naming it."""
    query = select(SentimentRecord).order_by(SentimentRecord.occurred_at.desc(), SentimentRecord.id.desc())
    query = query.limit(limit + 1)
    if root:
        query = query.where(SentimentRecord.grid_code.startswith(root, autoescape=True))
    for column, value in ((SentimentRecord.person_id, person_id), (SentimentRecord.category, category),
                          (SentimentRecord.status, status)):
        if value:
            query = query.where(column == value)
    if since:
        query = query.where(SentimentRecord.occurred_at >= since)
    if after:
        query = query.where(keyset.after(session, (SentimentRecord.occurred_at, SentimentRecord.id),
                                         SentimentRecord.id, after, "sentiment record", descending=True))
    rows = session.scalars(query).all()
    shown = rows[:limit]
    return {"items": [view(entry, may_read_content(actor, entry)) for entry in shown],
            "next": shown[-1].id if len(rows) > limit else None}


# --- following up -------------------------------------------------------------------------

def previous_follow_up(session, sentiment_id, client_id):
    return session.scalar(select(SentimentFollowUp).where(SentimentFollowUp.sentiment_id == sentiment_id,
                                                          SentimentFollowUp.client_id == client_id))


def require_open(entry, field="status"):
    """409 SENTIMENT_CLOSED naming ``field`` for a closed record: it takes no more."""
    if entry.status == "closed":
        raise SentimentClosed(f"The sentiment record was closed at {entry.closed_at.isoformat()}; it takes no more "
                              "follow-ups.", details={"field": field, "status": "closed"})


def follow_up(session, entry, data, actor, ticket=None):
    """Append a follow-up to ``entry`` (locked by the caller) and move its status:
    ``data["status"]`` followed_up or closed. ``ticket``: the ticket it reported, if
    this follow-up is the report. Returns the follow-up."""
    require_open(entry)
    if data["occurred_at"] < entry.occurred_at:
        raise InvalidInput("A follow-up cannot come before the record it follows up.", code="VALIDATION_FAILED",
                           details={"fields": {"occurred_at": [f"must not be before {entry.occurred_at.isoformat()}"]}})
    item = SentimentFollowUp(sentiment_id=entry.id, client_id=data["client_id"],
                             person_id=actor.person_id if actor else None,
                             account_id=actor.account_id if actor else "-", note=data["note"],
                             status=data["status"], ticket_id=ticket and ticket["id"],
                             occurred_at=data["occurred_at"])
    session.add(item)
    entry.follow_up_count = (entry.follow_up_count or 0) + 1
    entry.status = data["status"]
    if entry.followed_up_at is None:
        entry.followed_up_at = data["occurred_at"]
    if data["status"] == "closed":
        entry.closed_at = data["occurred_at"]
    if ticket is not None:
        entry.ticket_id, entry.ticket_number = ticket["id"], ticket.get("number")
    session.flush()  # the record's new version, for the event
    return item


# --- reporting as a ticket ---------------------------------------------------------------------

def ticket_report(entry, data):
    """The report tickets takes for ``entry``: its grid, its category's ticket category
    (or the one the caller named), its content as the description, the grade asked."""
    return {"grid_code": entry.grid_code, "category": data.get("category") or CATEGORIES[entry.category][2],
            "grade": data.get("grade") or "daily", "description": entry.content}


def ticket_key(entry):
    """The Idempotency-Key the report is sent with: a retry after a lost answer, by the
    same caller, finds the ticket made the first time instead of reporting it twice."""
    return f"sentiment-{entry.id}"


def ticket_note(ticket):
    return f"已转为事件 {ticket.get('number') or ticket['id']} 办理"


# The records as their events (``sentiment_recorded``, ``sentiment_followed_up``) and the
# paged read carry them: one function, so they cannot differ. No content and no notes
# (the content's signature only), no name.
def payload(entry):
    return {"id": entry.id, "person_id": entry.person_id, "grid_code": entry.grid_code,
            "household_id": entry.household_id, "category": entry.category, "source": entry.source,
            "status": entry.status, "follow_up_count": entry.follow_up_count,
            "followed_up_at": _iso(entry.followed_up_at), "closed_at": _iso(entry.closed_at),
            "ticket_id": entry.ticket_id, "content_sig": entry.content_sig,
            "occurred_at": entry.occurred_at.isoformat(), "received_at": entry.received_at.isoformat(),
            "version": entry.version}


def _iso(moment):
    return moment.isoformat() if moment is not None else None
