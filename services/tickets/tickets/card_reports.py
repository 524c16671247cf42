"""Reports through a grid's public card (上岗公示): a resident scans the QR code on the
board, and the report carries that grid with no account behind it (seed 004: boards
and QR codes; issue 19). With nobody signed in, three things stand in for an account:

- limits per client address, counted on a keyed hash of the address (never the address):
  ``per_grid`` reports an hour from one address to one grid, ``per_address`` to all grids;
- a burst flag: when a grid's card brings ``burst_reports`` reports within
  ``burst_window``, each further one is flagged ``burst`` for an officer to look at
  first (a crowd at one board, or someone cycling addresses); it still runs the loop;
- a tracking code given once to the reporter (only its keyed hash is kept), to follow
  the report's progress with no account.

Free of nameko: the service passes the session, the cipher and the clock.
"""
import dataclasses
import datetime as dt
import secrets

from sqlalchemy import func, select

from common.errors import InvalidInput, TooManyRequests
from tickets.models import Ticket

SOURCE = "qr_card"
BURST = "burst"
# Crockford's base32: no I, L, O or U, so a code read out on the phone is not misheard.
TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TRACKING_LENGTH = 12  # 60 bits: not guessable, still typed from a slip of paper
HOUR = dt.timedelta(hours=1)
# What the reporter reads of the loop (zh, en): its steps as a resident would name them.
STATUS_LABELS = {
    "reported": ("已提交，待受理", "reported, waiting to be taken on"), "accepted": ("已受理", "taken on"),
    "handling": ("处理中", "being handled"), "resolved": ("已办结，待回访", "resolved, to be followed up"),
    "feedback_given": ("已回访", "followed up"), "rated": ("已评价", "rated"), "closed": ("已办结", "closed"),
    "merged": ("已并入同一问题办理", "handled with an earlier report of the same problem"),
}
OUTCOME_LABELS = {
    "fixed": ("已解决", "fixed"), "not_our_responsibility": ("不属本级职责，已说明", "not ours to fix, explained"),
    "cannot_fix": ("暂无法解决，已说明", "cannot be fixed now, explained"), "duplicate": ("重复反映", "a duplicate"),
    "withdrawn": ("已撤回", "withdrawn"),
}


@dataclasses.dataclass(frozen=True)
class CardRules:
    """The deployment's limits (CARD_REPORTS_PER_HOUR, CARD_REPORTS_PER_ADDRESS_PER_HOUR,
    CARD_BURST_REPORTS, CARD_BURST_MINUTES)."""
    per_grid: int = 3
    per_address: int = 10
    burst_reports: int = 5
    burst_window: dt.timedelta = dt.timedelta(minutes=10)


def new_tracking_code():
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def normalise_tracking_code(code, field="tracking_code"):
    """The code as issued: upper case, without the spaces or dashes a reader adds, and
    O/I/L read as 0/1/1 (Crockford); 400 naming ``field`` for anything else."""
    cleaned = str(code or "").upper().replace("-", "").replace(" ", "")
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    if len(cleaned) != TRACKING_LENGTH or any(ch not in TRACKING_ALPHABET for ch in cleaned):
        raise InvalidInput(f"A tracking code is {TRACKING_LENGTH} letters and digits, as the report's answer "
                           "gave it.", code="VALIDATION_FAILED", details={"field": field})
    return cleaned


def check_limits(session, *, grid_code, address_hash, now, rules):
    """429 when this address has sent its hour's reports to this grid, or to all grids."""
    since = now - HOUR
    mine = select(Ticket.grid_code, func.count()).where(
        Ticket.client_address_hash == address_hash, Ticket.reported_at > since).group_by(Ticket.grid_code)
    counts = dict(session.execute(mine).all())
    if counts.get(grid_code, 0) >= rules.per_grid:
        raise TooManyRequests(f"This address has sent {rules.per_grid} reports to this grid in the last hour; "
                              "call the duty line on the card, or try again later.",
                              details={"retry_after_seconds": int(HOUR.total_seconds()), "limit": rules.per_grid})
    if sum(counts.values()) >= rules.per_address:
        raise TooManyRequests(f"This address has sent {rules.per_address} reports in the last hour; "
                              "try again later.",
                              details={"retry_after_seconds": int(HOUR.total_seconds()), "limit": rules.per_address})


def review_flag(session, *, grid_code, now, rules):
    """``burst`` when the grid's card brought ``burst_reports`` or more reports in the
    window before this one, else None."""
    recent = session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.grid_code == grid_code, Ticket.source == SOURCE, Ticket.reported_at > now - rules.burst_window))
    return BURST if recent >= rules.burst_reports else None


def stamp(ticket, *, address_hash, tracking_hash, flag):
    """What a card report keeps beyond any other report."""
    ticket.client_address_hash, ticket.tracking_hash, ticket.review_flag = address_hash, tracking_hash, flag


def tracked(session, tracking_hash):
    """The ticket a tracking code was given for, or None."""
    return session.scalar(select(Ticket).where(Ticket.tracking_hash == tracking_hash))


def progress(ticket, category_name):
    """What the holder of a tracking code sees: where the report is in the loop, never
    who handles it or anything of the reporter."""
    status, outcome = STATUS_LABELS[ticket.status], OUTCOME_LABELS.get(ticket.outcome)
    return {"number": ticket.number, "grid_code": ticket.grid_code, "category": ticket.category,
            "category_name": category_name, "status": ticket.status,
            "status_label": {"zh": status[0], "en": status[1]}, "outcome": ticket.outcome,
            "outcome_label": outcome and {"zh": outcome[0], "en": outcome[1]},
            "reported_at": ticket.reported_at.isoformat(),
            "accepted_at": ticket.accepted_at and ticket.accepted_at.isoformat(),
            "resolved_at": ticket.resolved_at and ticket.resolved_at.isoformat(),
            "closed_at": ticket.closed_at and ticket.closed_at.isoformat(),
            "merged": ticket.duplicate_of is not None}
