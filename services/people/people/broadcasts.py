"""Broadcasts (policy notices, emergency orders, missing-person notices) to every
account in a scope, with inboxes and read receipts, free of nameko.

A scope is a grid code (accounts whose own scope lies within it), a role, both, or
neither (the whole district). Residents are reached where they live: a notice to the
``resident`` role reaches the resident accounts whose household lies in the grid (a
resident's account has no grid scope of its own), so a worker can keep a residents'
group informed (seed 003). Delivery writes one inbox row per recipient in a single
bulk insert, in the broadcast's own transaction.
"""
from sqlalchemy import func, insert, select

from common import keyset
from common.db import utcnow
from common.errors import NotFound
from common.roles import require_in_reach
from people.models import Account, Broadcast, Household, InboxItem, Resident

RESIDENTS = "resident"


def _residents(session, scope_grid):
    """(account id, household grid) of the resident accounts living under ``scope_grid``
    (None: every resident account, housed or not)."""
    query = (select(Account.id, Household.grid_code).join(Resident, Resident.id == Account.resident_id)
             .outerjoin(Household, Household.id == Resident.household_id).where(Account.disabled.is_(False)))
    if scope_grid:
        query = query.where(Household.grid_code.startswith(scope_grid))
    return [tuple(row) for row in session.execute(query)]


def recipients(session, scope_grid=None, scope_role=None):
    if scope_role == RESIDENTS:
        return _residents(session, scope_grid)
    query = select(Account.id, Account.roles, Account.grid_scope).where(Account.disabled.is_(False))
    if scope_grid:
        query = query.where(Account.grid_scope.startswith(scope_grid))
    rows = session.execute(query).all()
    return [(account_id, scope) for account_id, roles, scope in rows if not scope_role or scope_role in roles]


def send(session, data, sender):
    chosen = recipients(session, data.get("scope_grid"), data.get("scope_role"))
    broadcast = Broadcast(title=data["title"], body=data["body"], scope_grid=data.get("scope_grid"),
                          scope_role=data.get("scope_role"), sender=sender, recipient_count=len(chosen))
    session.add(broadcast)
    session.flush()
    now = utcnow()
    if chosen:
        session.execute(insert(InboxItem), [
            {"broadcast_id": broadcast.id, "account_id": account_id, "recipient_scope": scope, "delivered_at": now}
            for account_id, scope in chosen])
    return broadcast


def inbox(session, account_id, unread_only=False, limit=100, after=None):
    """(notice, read_at) newest first, a page at a time (``keyset.Page``)."""
    query = (select(Broadcast, InboxItem.read_at).join(InboxItem, InboxItem.broadcast_id == Broadcast.id)
             .where(InboxItem.account_id == account_id))
    if unread_only:
        query = query.where(InboxItem.read_at.is_(None))
    return keyset.page(session, query, (Broadcast.created_at, Broadcast.id), cursor=after, limit=limit,
                       noun="notice", descending=True)


def mark_read(session, broadcast_id, account_id):
    item = session.get(InboxItem, (broadcast_id, account_id))
    if item is None:
        raise NotFound("This notice is not in your inbox.", code="NOTICE_NOT_FOUND",
                       details={"broadcast_id": broadcast_id})
    if item.read_at is None:  # the first reading counts; reading again changes nothing
        item.read_at = utcnow()
    return item


def read_rate(session, broadcast_id, group_digits=9, scope=None, viewer=None):
    """Who got a broadcast and who read it, by town-sized scope. ``scope``: the viewer's
    grid scope (None: the whole district); a notice sent beyond it, by someone else,
    is 403."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound(f"No broadcast has the id {broadcast_id}.", code="BROADCAST_NOT_FOUND",
                       details={"broadcast_id": broadcast_id})
    if broadcast.sender != viewer:
        require_in_reach(scope, broadcast.scope_grid or "")
    group = func.substr(func.coalesce(InboxItem.recipient_scope, ""), 1, group_digits)
    rows = session.execute(
        select(group, func.count(), func.count(InboxItem.read_at))
        .where(InboxItem.broadcast_id == broadcast_id).group_by(group)).all()
    total = sum(r[1] for r in rows)
    read = sum(r[2] for r in rows)
    return broadcast, {
        "recipients": total, "read": read, "read_rate": round(read / total, 4) if total else None,
        "by_scope": {(scope or "district"): {"recipients": n, "read": r, "read_rate": round(r / n, 4)}
                     for scope, n, r in rows},
    }
