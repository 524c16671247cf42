"""Notifications in the app (issue 20): what a ticket event asks of someone lands in
their inbox, as a notice does, free of nameko. The responsible worker hears of a ticket
given to them, of a clock of it about to run out (at 80% of its time) and of its
reopening; the officers of the level a ticket is escalated to
hear of it; the town's leaders hear when a department it summoned runs late. People
consumes the tickets service's events and writes the items in the event's transaction.

A notification names the ticket (number, category code, grid, level) and what happened:
never its description or anything of the reporter.
"""
import datetime as dt

from sqlalchemy import insert, select

from common.shanghai import SHANGHAI

from people.models import Account, Broadcast, InboxItem

KIND = "notification"
SENDER = "system"
# The level a ticket reaches -> (the role that answers for it there, its grid code's length)
LEVEL_OFFICERS = {"community": ("community_officer", 12), "town": ("town_leader", 9)}
LEVEL_NAMES = {"community": "社区", "town": "街道（乡镇）"}
CLOCK_NAMES = {"sign": "签收", "contact": "联系", "attend": "办结反馈"}
TOWN_CODE_LENGTH = 9
TICKET_CLOCK_NAMES = {"accept": "受理", "respond": "响应", "resolve": "办结"}


def _shanghai(moment):
    """An ISO moment as a reader in the district reads it (MM-DD HH:MM, Beijing time)."""
    try:
        return dt.datetime.fromisoformat(moment).astimezone(SHANGHAI).strftime("%m-%d %H:%M")
    except (TypeError, ValueError):
        return str(moment)


def _accounts_of_person(session, person_id):
    if not person_id:
        return []
    return list(session.scalars(select(Account.id).where(Account.person_id == person_id,
                                                         Account.disabled.is_(False))))


def _officers(session, role, scope):
    rows = session.execute(select(Account.id, Account.roles).where(Account.grid_scope == scope,
                                                                   Account.disabled.is_(False))).all()
    return [account_id for account_id, roles in rows if role in roles]


def _message(event_type, payload):
    """(recipients' kind, title, body) for an event, or None when it tells nobody."""
    number, category = payload.get("number"), payload.get("category")
    if event_type == "ticket_reported" and payload.get("responsible_person_id"):
        return "responsible", f"新工单待处理：{number}", f"工单 {number}（{category}）已分派给您，请及时受理。"
    if event_type == "sla_warning":
        kind = str(payload.get("clock") or "").split("#", 1)[0]
        due = _shanghai(payload.get("due"))
        return ("responsible", f"工单即将超时：{number}",
                f"工单 {number}（{category}）的{TICKET_CLOCK_NAMES.get(kind, kind)}时限将于 {due} 到期，请抓紧办理。")
    if event_type == "ticket_reopened":
        return "responsible", f"工单被重新打开：{number}", f"工单 {number}（{category}）经群众评价不满意，已重新打开。"
    if event_type == "ticket_escalated" and payload.get("level") in LEVEL_OFFICERS:
        level = LEVEL_NAMES[payload["level"]]
        why = "超时自动上报" if payload.get("clock") else "上报"
        return "level", f"工单{why}至{level}：{number}", f"工单 {number}（{category}）已{why}至{level}，请处置。"
    if event_type == "sla_breached":
        kind, _, rest = str(payload.get("clock") or "").partition(":")
        if kind in CLOCK_NAMES and rest:
            department = rest.split("#", 1)[0]
            return ("town", f"部门超时：{number}",
                    f"工单 {number} 派至 {department}，{CLOCK_NAMES[kind]}已超时，请督办。")
    return None


def recipients(session, event_type, payload, kind):
    grid = payload.get("grid_code") or ""
    if kind == "responsible":
        return _accounts_of_person(session, payload.get("responsible_person_id"))
    if kind == "level":
        role, length = LEVEL_OFFICERS[payload["level"]]
        return _officers(session, role, grid[:length]) if len(grid) >= length else []
    if kind == "town":
        return _officers(session, "town_leader", grid[:TOWN_CODE_LENGTH]) if len(grid) >= TOWN_CODE_LENGTH else []
    return []


def notify(session, envelope, now):
    """The inbox items an event makes; how many."""
    payload, event_type = envelope["payload"], envelope["event_type"]
    message = _message(event_type, payload)
    if message is None:
        return 0
    kind, title, body = message
    accounts = recipients(session, event_type, payload, kind)
    if not accounts:
        return 0
    notice = Broadcast(title=title, body=body, scope_grid=payload.get("grid_code"), scope_role=None, sender=SENDER,
                       recipient_count=len(accounts), kind=KIND, ticket_id=payload.get("ticket_id"), created_at=now)
    session.add(notice)
    session.flush()
    session.execute(insert(InboxItem), [{"broadcast_id": notice.id, "account_id": account_id,
                                         "recipient_scope": None, "delivered_at": now} for account_id in accounts])
    return len(accounts)
