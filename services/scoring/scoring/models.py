from sqlalchemy import JSON, Boolean, Date, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UtcDateTime
from common.tables import service_base

Base = service_base()


class ReportedTicket(Base):
    """Read-copy of each reported ticket, fed by ``ticket_reported`` events: the
    raw material of the reporting indicators."""

    __tablename__ = "reported_tickets"

    ticket_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    source: Mapped[str] = mapped_column(String(30))
    reported_at = mapped_column(UtcDateTime, nullable=False)
    received_at = mapped_column(UtcDateTime, nullable=False)


class TicketMove(Base):
    """Where a ticket lives now, if a grid split or merge re-homed it: the latest
    ``ticket_rehomed`` by its time. The per-grid figures count the ticket here; it
    may arrive before the ticket's ``ticket_reported`` (another queue)."""

    __tablename__ = "ticket_moves"

    ticket_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(24))
    moved_at = mapped_column(UtcDateTime, nullable=False)


class TrailWitness(Base):
    """The newest entry of each ticket's trail that its events announced (``trail_seq``,
    ``trail_head``): kept here, outside the tickets database, so deleting a trail's last
    entries together with its head there is caught by ``tickets.verify``."""

    __tablename__ = "trail_witnesses"

    ticket_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    trail_seq: Mapped[int] = mapped_column(Integer)
    trail_head: Mapped[str] = mapped_column(String(64))
    witnessed_at = mapped_column(UtcDateTime, nullable=False)


# --- facts: scoring's read model of the owners' records ----------------------------------
# One row per record, the latest snapshot its owner announced (scoring.facts builds each
# row from an event payload or from the owner's paged RPC alike). Each row carries the
# Shanghai days that periods are counted by, so a period is a range on an index, and
# ``written_at``: the database's time of the transaction that last wrote it, by the feed
# or a rebuild (a rebuild removes the rows it did not write that were older than itself).

def _written_at():
    return mapped_column(UtcDateTime, nullable=True)


class TicketFact(Base):
    __tablename__ = "ticket_facts"

    ticket_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(20))
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    source: Mapped[str] = mapped_column(String(30))
    category: Mapped[str] = mapped_column(String(10))
    reported_category: Mapped[str] = mapped_column(String(10))
    grade: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    level: Mapped[str | None] = mapped_column(String(12), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(30), nullable=True)
    satisfaction: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reopen_count: Mapped[int] = mapped_column(Integer)
    duplicate_of: Mapped[str | None] = mapped_column(String(36), nullable=True)
    resolved_level: Mapped[str | None] = mapped_column(String(12), nullable=True)
    reporter_person_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    responsible_person_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    responsible_grid_code: Mapped[str | None] = mapped_column(String(24), nullable=True)
    # Integrity's: who resolved it (a staff member's step), and the description's
    # common.textsig (the text stays with tickets). None for rows from before them.
    resolved_by_person_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    description_sig: Mapped[str | None] = mapped_column(String(256), nullable=True)
    reported_at = mapped_column(UtcDateTime, nullable=False)
    accepted_at = mapped_column(UtcDateTime, nullable=True)
    resolved_at = mapped_column(UtcDateTime, nullable=True)
    feedback_at = mapped_column(UtcDateTime, nullable=True)
    rated_at = mapped_column(UtcDateTime, nullable=True)
    closed_at = mapped_column(UtcDateTime, nullable=True)
    resolve_due = mapped_column(UtcDateTime, nullable=True)
    on_time: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    reported_day = mapped_column(Date, nullable=False)
    resolved_day = mapped_column(Date, nullable=True)
    rated_day = mapped_column(Date, nullable=True)
    written_at = _written_at()

    __table_args__ = (
        Index("ix_ticket_facts_reporter_day", "reporter_person_id", "reported_day"),
        Index("ix_ticket_facts_responsible_resolved", "responsible_person_id", "resolved_day"),
        Index("ix_ticket_facts_responsible_rated", "responsible_person_id", "rated_day"),
        Index("ix_ticket_facts_resolver_resolved", "resolved_by_person_id", "resolved_day"),
    )


class PatrolFact(Base):
    __tablename__ = "patrol_facts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64))
    grid_codes: Mapped[list] = mapped_column(JSON, default=list)
    located_grid_code: Mapped[str | None] = mapped_column(String(24), nullable=True)
    inside: Mapped[bool] = mapped_column(Boolean)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)  # WGS-84; None: from before points
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    occurred_at = mapped_column(UtcDateTime, nullable=False)
    received_at = mapped_column(UtcDateTime, nullable=True)
    day = mapped_column(Date, nullable=False)
    written_at = _written_at()

    __table_args__ = (Index("ix_patrol_facts_person_day", "person_id", "day"),)


class VisitFact(Base):
    __tablename__ = "visit_facts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[str] = mapped_column(String(64))
    grid_code: Mapped[str | None] = mapped_column(String(24), nullable=True)
    # common.textsig of the notes (they stay with people); None: too short to sign, or
    # from before signatures.
    notes_sig: Mapped[str | None] = mapped_column(String(256), nullable=True)
    occurred_at = mapped_column(UtcDateTime, nullable=False)
    received_at = mapped_column(UtcDateTime, nullable=True)
    day = mapped_column(Date, nullable=False)
    written_at = _written_at()

    __table_args__ = (Index("ix_visit_facts_person_day", "person_id", "day"),)


class PostFact(Base):
    """A staff post (assignment): who answers for which grid, in which role, when."""

    __tablename__ = "post_facts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    role: Mapped[str] = mapped_column(String(40))
    start_date = mapped_column(Date, nullable=False)
    end_date = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    written_at = _written_at()


class HouseholdFact(Base):
    __tablename__ = "household_facts"

    household_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    # Registered residents, as of the household's version (a registration is a new one);
    # None: not known (a row or an event from before the count), never "nobody".
    residents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    written_at = _written_at()


class SentimentFact(Base):
    """A sentiment record (社情民意) as people last announced it: who recorded it, where,
    its category and source, and how far its follow-up got. The content stays in people
    (its common.textsig signature comes here)."""

    __tablename__ = "sentiment_facts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[str] = mapped_column(String(64))
    grid_code: Mapped[str] = mapped_column(String(24))
    household_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    category: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    follow_up_count: Mapped[int] = mapped_column(Integer)
    followed_up_at = mapped_column(UtcDateTime, nullable=True)
    closed_at = mapped_column(UtcDateTime, nullable=True)
    ticket_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    content_sig: Mapped[str | None] = mapped_column(String(256), nullable=True)
    occurred_at = mapped_column(UtcDateTime, nullable=False)
    received_at = mapped_column(UtcDateTime, nullable=True)
    day = mapped_column(Date, nullable=False)
    written_at = _written_at()

    __table_args__ = (Index("ix_sentiment_facts_person_day", "person_id", "day"),)


# A party member's service (党建引领, issue 19 §4): facts of the member's own doing, each
# dated by the Shanghai day it counts in. No activity text and no wish's words come here.

class PartyServiceFact(Base):
    """An entry of service a registered member (双报到) logged: hours and households."""

    __tablename__ = "party_service_facts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    registration_id: Mapped[str] = mapped_column(String(36))
    person_id: Mapped[str] = mapped_column(String(64))
    grid_code: Mapped[str] = mapped_column(String(24))  # the community registered with
    hours: Mapped[float] = mapped_column(Float)
    households: Mapped[int] = mapped_column(Integer)
    day = mapped_column(Date, nullable=False)
    written_at = _written_at()

    __table_args__ = (Index("ix_party_service_facts_person_day", "person_id", "day"),)


class WishFact(Base):
    """A small wish (点亮微心愿) confirmed by its poster, credited to who fulfilled it."""

    __tablename__ = "wish_facts"

    wish_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[str] = mapped_column(String(64))  # the claimant, who fulfilled it
    grid_code: Mapped[str] = mapped_column(String(24))
    category: Mapped[str] = mapped_column(String(20))
    points: Mapped[int | None] = mapped_column(Integer, nullable=True)
    confirmed_at = mapped_column(UtcDateTime, nullable=False)
    day = mapped_column(Date, nullable=False)
    written_at = _written_at()

    __table_args__ = (Index("ix_wish_facts_person_day", "person_id", "day"),)


class ServiceDayFact(Base):
    """A grid's service day (网格服务日) as held: what attendance is counted against."""

    __tablename__ = "service_day_facts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(24))
    month: Mapped[str] = mapped_column(String(7))
    day = mapped_column(Date, nullable=False)
    written_at = _written_at()

    __table_args__ = (Index("ix_service_day_facts_day_grid", "day", "grid_code"),)


class ServiceDayAttendanceFact(Base):
    """A party member's sign-in at a service day, dated by the service day."""

    __tablename__ = "service_day_attendance_facts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the sign-in's
    service_day_id: Mapped[str] = mapped_column(String(36))
    person_id: Mapped[str] = mapped_column(String(64))
    grid_code: Mapped[str] = mapped_column(String(24))
    day = mapped_column(Date, nullable=False)
    signed_at = mapped_column(UtcDateTime, nullable=False)
    written_at = _written_at()

    __table_args__ = (Index("ix_service_day_attendance_facts_person_day", "person_id", "day"),)


# --- judgement: plans, entries, ratings, assessments ----------------------------------------

class PlanVersion(Base):
    """A plan document as it was stored: a new version never changes an old one, and an
    assessment names the version it ran."""

    __tablename__ = "plan_versions"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict] = mapped_column(JSON)
    created_at = mapped_column(UtcDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(64))


class SelfAssessment(Base):
    """A village's monthly self-assessment of one grid (月度自考): items with points."""

    __tablename__ = "self_assessments"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(24), primary_key=True)
    items: Mapped[list] = mapped_column(JSON)
    points: Mapped[float] = mapped_column(Float)
    max_points: Mapped[float] = mapped_column(Float)
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at = mapped_column(UtcDateTime, nullable=False)


class StreetItems(Base):
    """The street's own items for one subject in one period (街道考核的自有项目)."""

    __tablename__ = "street_items"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    items: Mapped[list] = mapped_column(JSON)
    points: Mapped[float] = mapped_column(Float)
    max_points: Mapped[float] = mapped_column(Float)
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at = mapped_column(UtcDateTime, nullable=False)


class Rating(Base):
    """One rater's rating of one worker in one period: residents, departments, the
    village, the worker themself, or an outside rater whose sheet a town entered."""

    __tablename__ = "ratings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(20))
    rater_key: Mapped[str] = mapped_column(String(200))  # the account, and an outside rater's name
    rater_account_id: Mapped[str] = mapped_column(String(64))
    subject_person_id: Mapped[str] = mapped_column(String(64))
    # The staff member the rater's account is (a chief, a community officer, the worker
    # themself): integrity reads what each person gave. None: a resident, a department.
    rater_person_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    score: Mapped[int] = mapped_column(Integer)
    scale_max: Mapped[int] = mapped_column(Integer)
    created_at = mapped_column(UtcDateTime, nullable=False)
    # When the rater's account was created (people's, asked when rating): accounts made
    # in bulk just before a period closes. None: an internal entry, or from before this.
    rater_account_created_at = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("period", "kind", "rater_key", "subject_person_id", name="uq_ratings_once"),
        Index("ix_ratings_period_subject", "period", "subject_person_id"),
        Index("ix_ratings_rater_person", "rater_person_id", "created_at"),
    )


class Assessment(Base):
    """A plan run for a period and scope. A draft may be run again; publishing makes it
    immutable; a correction is the next version, with its reason."""

    __tablename__ = "assessments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    plan_code: Mapped[str] = mapped_column(String(60))
    plan_version: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))
    scope: Mapped[str] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # draft, published, superseded
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    summary: Mapped[dict] = mapped_column(JSON)
    created_at = mapped_column(UtcDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(64))
    published_at = mapped_column(UtcDateTime, nullable=True)
    published_by: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (
        UniqueConstraint("plan_code", "period", "scope", "version", name="uq_assessments_version"),
    )


class AssessmentResult(Base):
    __tablename__ = "assessment_results"

    assessment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(10))
    grid_code: Mapped[str] = mapped_column(String(24))
    score: Mapped[float] = mapped_column(Float)
    ranked_score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    band: Mapped[str | None] = mapped_column(String(20), nullable=True)
    pay_tier: Mapped[str | None] = mapped_column(String(20), nullable=True)
    volume: Mapped[int] = mapped_column(Integer)
    eligible: Mapped[bool] = mapped_column(Boolean)
    commended: Mapped[bool] = mapped_column(Boolean)
    reminded: Mapped[bool] = mapped_column(Boolean)
    breakdown: Mapped[dict] = mapped_column(JSON)


class IntegrityFlag(Base):
    """A pattern of fabrication a detector saw in one person's records of one period,
    with its evidence, until a person (an auditor) confirms or dismisses it. The
    fingerprint (pattern, person and evidence ids) keeps a dismissed flag from coming
    back for the same evidence."""

    __tablename__ = "integrity_flags"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pattern: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    period: Mapped[str] = mapped_column(String(7))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # raised, confirmed, dismissed
    evidence: Mapped[list] = mapped_column(JSON)
    figures: Mapped[dict] = mapped_column(JSON)
    raised_at = mapped_column(UtcDateTime, nullable=False)
    reviewed_at = mapped_column(UtcDateTime, nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    deduction: Mapped[float] = mapped_column(Float, default=0.0)  # points, fixed when confirmed

    __table_args__ = (
        UniqueConstraint("pattern", "person_id", "fingerprint", name="uq_integrity_flags_evidence"),
        Index("ix_integrity_flags_period_status", "period", "status"),
    )


class IntegrityReview(Base):
    """The review trail: every decision on a flag, who made it and why."""

    __tablename__ = "integrity_reviews"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    flag_id: Mapped[str] = mapped_column(String(36), index=True)
    decision: Mapped[str] = mapped_column(String(12))  # confirm, dismiss
    note: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(64))
    reviewer_account_id: Mapped[str] = mapped_column(String(64))
    deduction: Mapped[float] = mapped_column(Float)
    reviewed_at = mapped_column(UtcDateTime, nullable=False)


class IntegrityThresholds(Base):
    """The detectors' thresholds as versioned documents (integrity.thresholds checks
    them); the newest version applies, none stored: the shipped defaults."""

    __tablename__ = "integrity_thresholds"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict] = mapped_column(JSON)
    created_at = mapped_column(UtcDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(64))


class IntegrityMark(Base):
    """A person whose facts of a month arrived since the last incremental scan."""

    __tablename__ = "integrity_marks"

    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    marked_at = mapped_column(UtcDateTime, nullable=False)
