"""A month of tickets for the statistics' and the reports' unit tests: November 2026 in
a street of two communities, compared with October and with November 2025."""
import datetime as dt

from tickets.models import Dispatch, SlaBreach, Ticket

UTC = dt.timezone.utc
NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
ROOT, WEST, EAST = "320508019", "320508019044", "320508019045"
T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
HOUR = dt.timedelta(hours=1)


def ticket(n, at=T0, **fields):
    base = dict(id=f"t{n}", number=f"{at:%Y%m%d}-{n:05d}", grid_code=f"{WEST}001", source="grid_patrol",
                description=f"第{n}件", status="reported", category="UM01", grade="daily", reported_at=at,
                resolve_due=at + dt.timedelta(days=3), reopen_count=0, suspended=False, suspended_seconds=0,
                meeting_disposal=False, anonymous=False, attachments=[], version=1)
    base.update(fields)
    return Ticket(**base)


def solved(n, at=T0, hours=10, **fields):
    return ticket(n, at, status="closed", accepted_at=at + HOUR, resolved_at=at + hours * HOUR,
                  resolved_level="grid", outcome="fixed", **fields)


def fill(handle):
    """The tickets of November 2026 in street ROOT (and one outside it), of the month
    before and of November 2025; a whistle for one with its breach."""
    october, last_year = dt.datetime(2026, 10, 20, 2, tzinfo=UTC), dt.datetime(2025, 11, 20, 2, tzinfo=UTC)
    with handle.transaction() as session:
        session.add_all([
            # November: four in the west community, one in the east, one outside the root
            solved(1, satisfaction=5, reporter_name="张三", reporter_phone_masked="139****5678"),
            solved(2, hours=100, satisfaction=2, category="SF01"),
            ticket(3, status="handling", level="department", category="SF01", lead_department="environment",
                   whistle_level="community"),
            ticket(4, anonymous=True),
            solved(5, grid_code=f"{EAST}001", at=T0 + 24 * HOUR),
            ticket(6, grid_code="320508014021001"),
            # the month before: two, both solved; November last year: five, one solved
            solved(7, at=october), solved(8, at=october),
            solved(9, at=last_year), *(ticket(n, at=last_year) for n in range(10, 14)),
        ])
        session.flush()
        session.add(Dispatch(ticket_id="t3", department="environment", lead=True, dispatched_at=T0 + 2 * HOUR,
                             sign_due=T0 + 3 * HOUR, contact_due=T0 + 26 * HOUR, attend_due=T0 + 72 * HOUR,
                             signed_at=T0 + 2.5 * HOUR))
        session.add(SlaBreach(ticket_id="t3", clock="attend:environment", due=T0, breached_at=T0 + HOUR))
