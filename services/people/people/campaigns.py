"""Campaign tasks (专项任务), free of nameko: a district or a town launches a task over
every household of a scope, workers tick households off, and completion shows per grid.

Seed 003 (Dianbai) runs its residents' groups this way: "install the anti-fraud app",
and all 55 households of one group were done. A campaign covers the households that lie
in its scope now (a household moved in counts, one moved out no longer does); a tick is
kept once per household, with who ticked it, when and a note.

    launch(session, data, *, by) -> Campaign
    tick(session, campaign, household, *, person_id, by, note) -> (CampaignTick, created)
    close(session, campaign, *, now) -> Campaign
    progress(session, campaign, part) -> {"households", "done", "rate", "grids": [...]}
    households(session, campaign, part, *, status, after, limit) -> {"items", "next"}

``part`` is the piece of the campaign a caller reaches: the campaign's scope, or the
caller's own subtree inside it (``part_of``).
"""
from sqlalchemy import and_, func, literal, or_, select

from common import keyset
from common.roles import in_scope
from people.exceptions import CampaignClosed, CampaignNotFound, HouseholdNotInCampaign
from people.models import Campaign, CampaignTick, Household

STATUSES = {"open": ("进行中", "open"), "closed": ("已结束", "closed")}


def launch(session, data, *, by, now):
    campaign = Campaign(title=data["title"], description=data.get("description"), scope=data["scope"],
                        status="open", due_date=data.get("due_date"), launched_by=by, launched_at=now)
    session.add(campaign)
    session.flush()
    return campaign


def get(session, campaign_id, reach=None, for_update=False):
    """The campaign, if ``reach`` (None: the whole district) overlaps its scope; one that
    does not is answered as an id nobody has."""
    campaign = session.get(Campaign, campaign_id, with_for_update=for_update)
    if campaign is None or part_of(campaign, reach) is None:
        raise CampaignNotFound(f"No campaign has the id {campaign_id}.", details={"campaign_id": campaign_id})
    return campaign


def part_of(campaign, reach):
    """The subtree of ``campaign`` that ``reach`` covers: its whole scope for a reach
    above it, the reach itself inside it, None when they do not meet."""
    if reach is None or in_scope(reach, campaign.scope):
        return campaign.scope
    if reach and in_scope(campaign.scope, reach):
        return reach
    return None


def find(session, root=None, status=None, limit=100, after=None):
    """Campaigns that meet ``root`` (launched over it, inside it or above it), newest first,
    a page at a time (``keyset.Page``)."""
    query = select(Campaign)
    if root:
        query = query.where(or_(Campaign.scope.startswith(root, autoescape=True),
                                literal(root).startswith(Campaign.scope)))
    if status:
        query = query.where(Campaign.status == status)
    return keyset.page(session, query, (Campaign.launched_at, Campaign.id), cursor=after, limit=limit,
                       noun="campaign", descending=True)


def tick(session, campaign, household, *, person_id, by, note, now):
    """Tick ``household`` off: 409 CAMPAIGN_CLOSED for a closed campaign, 400
    HOUSEHOLD_NOT_IN_CAMPAIGN naming ``household_id`` for a household outside its scope.
    A household ticked already answers its first tick (created False)."""
    if campaign.status != "open":
        raise CampaignClosed("The campaign is closed: it takes no more ticks.",
                             details={"campaign_id": campaign.id, "field": "status"})
    if not in_scope(campaign.scope, household.grid_code):
        raise HouseholdNotInCampaign(f"The household lies outside the campaign's scope {campaign.scope}.",
                                     details={"field": "household_id", "scope": campaign.scope})
    existing = session.scalar(select(CampaignTick).where(CampaignTick.campaign_id == campaign.id,
                                                         CampaignTick.household_id == household.id))
    if existing is not None:
        return existing, False
    row = CampaignTick(campaign_id=campaign.id, household_id=household.id, grid_code=household.grid_code,
                       person_id=person_id, ticked_by=by, note=note, ticked_at=now)
    session.add(row)
    session.flush()
    return row, True


def close(session, campaign, *, now):
    if campaign.status != "open":
        raise CampaignClosed("The campaign is closed already.", details={"campaign_id": campaign.id,
                                                                         "field": "status"})
    campaign.status, campaign.closed_at = "closed", now
    session.flush()
    return campaign


def _ticked(campaign):
    return and_(CampaignTick.campaign_id == campaign.id, CampaignTick.household_id == Household.id)


def progress(session, campaign, part):
    """Households of ``part`` and how many are ticked, per grid (one grouped query)."""
    rows = session.execute(
        select(Household.grid_code, func.count(Household.id), func.count(CampaignTick.id))
        .outerjoin(CampaignTick, _ticked(campaign))
        .where(Household.grid_code.startswith(part, autoescape=True))
        .group_by(Household.grid_code).order_by(Household.grid_code)).all()
    grids = [{"grid_code": code, "households": total, "done": done, "rate": _rate(done, total)}
             for code, total, done in rows]
    households, done = sum(g["households"] for g in grids), sum(g["done"] for g in grids)
    return {"part": part, "households": households, "done": done, "rate": _rate(done, households), "grids": grids}


def _rate(done, total):
    return round(done / total, 4) if total else None


def households(session, campaign, part, *, status=None, after=None, limit=100):
    """The households of ``part`` in grid order, with their tick (None: not yet), a page
    at a time: ``{"items", "next"}``. ``status`` "pending" or "done" keeps one kind."""
    query = (select(Household, CampaignTick).outerjoin(CampaignTick, _ticked(campaign))
             .where(Household.grid_code.startswith(part, autoescape=True))
             .order_by(Household.grid_code, Household.id).limit(limit + 1))
    if status == "pending":
        query = query.where(CampaignTick.id.is_(None))
    elif status == "done":
        query = query.where(CampaignTick.id.is_not(None))
    if after:
        query = query.where(keyset.after(session, (Household.grid_code, Household.id), Household.id, after,
                                         "household"))
    rows = session.execute(query).all()
    shown = rows[:limit]
    return {"items": [{"household_id": h.id, "grid_code": h.grid_code, "address": h.address,
                       "place_code": h.place_code, "tick": tick_view(t) if t is not None else None}
                      for h, t in shown],
            "next": shown[-1][0].id if len(rows) > limit else None}


def view(campaign):
    return {"id": campaign.id, "title": campaign.title, "description": campaign.description,
            "scope": campaign.scope, "status": campaign.status,
            "status_label": dict(zip(("zh", "en"), STATUSES[campaign.status])),
            "due_date": campaign.due_date.isoformat() if campaign.due_date else None,
            "launched_by": campaign.launched_by, "launched_at": campaign.launched_at.isoformat(),
            "closed_at": campaign.closed_at.isoformat() if campaign.closed_at else None}


def tick_view(row):
    return {"household_id": row.household_id, "grid_code": row.grid_code, "person_id": row.person_id,
            "ticked_by": row.ticked_by, "note": row.note, "ticked_at": row.ticked_at.isoformat()}
