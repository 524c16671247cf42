import uuid

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UtcDateTime, utcnow
from common.jobs import jobs_table
from common.tables import service_base

Base = service_base()
JOBS = jobs_table(Base.metadata)  # large roster imports run as jobs (common.jobs)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    grid_scope: Mapped[str | None] = mapped_column(String(24), nullable=True)
    department_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    person_id: Mapped[str | None] = mapped_column(String(36), nullable=True, unique=True, index=True)
    resident_id: Mapped[str | None] = mapped_column(String(36), nullable=True, unique=True, index=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until = mapped_column(UtcDateTime, nullable=True)
    last_failed_at = mapped_column(UtcDateTime, nullable=True)
    last_login_at = mapped_column(UtcDateTime, nullable=True)
    # Rises whenever the account's tokens must end (disabled, password changed or reset,
    # signed out everywhere): the gateway refuses a token carrying an older one.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    tokens_revoked_at = mapped_column(UtcDateTime, nullable=True, index=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class AccountEvent(Base):
    """Who did what to an account (disabled, enabled, password reset or changed,
    unlocked, tokens revoked), and when: ids and usernames, no passwords."""
    __tablename__ = "account_events"
    __table_args__ = (Index("ix_account_events_account_id", "account_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(30))
    by_account_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    by_username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class ApiKey(Base):
    """A department system's key: found by its public prefix, checked against the
    SHA-256 digest of the whole key (shown once, never stored)."""
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    department_code: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    last_used_at = mapped_column(UtcDateTime, nullable=True)
    revoked_at = mapped_column(UtcDateTime, nullable=True)
    replaced_by: Mapped[str | None] = mapped_column(String(36), nullable=True)  # the key a rotation made


class LoginFailure(Base):
    """Wrong sign-ins to a username that has no account, from every address,
    counted and locked as an account's are (``failed_logins``, ``locked_until``), so
    that the answers do not tell which usernames exist. Kept by a keyed hash of the
    name, and deleted once its failures and lock have lapsed: guessed names do not
    pile up."""

    __tablename__ = "login_failures"

    name_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # keyed: typed names are not kept
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until = mapped_column(UtcDateTime, nullable=True)
    last_failed_at = mapped_column(UtcDateTime, nullable=True, index=True)


class AddressLoginFailure(Base):
    """Wrong sign-ins to one name (an account's or not) from one client address: the
    count that locks the name for that address only. Kept by a keyed hash of the
    address and the name together; deleted once lapsed, like ``LoginFailure``."""

    __tablename__ = "login_address_failures"

    name_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # keyed: (address, name)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until = mapped_column(UtcDateTime, nullable=True)
    last_failed_at = mapped_column(UtcDateTime, nullable=True, index=True)


def _uuid():
    return str(uuid.uuid4())


class Person(Base):
    """Anyone with a role in the grids (staff). ID and phone: see common.pii."""

    __tablename__ = "persons"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str | None] = mapped_column(String(10))
    birth_date = mapped_column(Date, nullable=True)
    phone_enc: Mapped[str | None] = mapped_column(String(200))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_enc: Mapped[str | None] = mapped_column(String(200))
    id_number_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    party_member: Mapped[bool] = mapped_column(Boolean, default=False)
    smartphone_user: Mapped[bool] = mapped_column(Boolean, default=True)
    violation_recorded: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class Assignment(Base):
    """A person in a role in a grid, from ``start_date`` until ``end_date`` (open when None)."""

    __tablename__ = "assignments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    role: Mapped[str] = mapped_column(String(40))
    start_date = mapped_column(Date, nullable=False)
    end_date = mapped_column(Date, nullable=True)
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)  # in its events: the newest snapshot wins

    __mapper_args__ = {"version_id_col": version}


class Department(Base):
    """A functional department, town, community or property company: whom tickets
    are dispatched to. Liaisons are persons."""

    __tablename__ = "departments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    grid_code: Mapped[str | None] = mapped_column(String(24))
    liaison_ids: Mapped[list] = mapped_column(JSON, default=list)
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


# text_pattern_ops: PostgreSQL uses these indexes for the code-prefix (LIKE 'x%') subtree
# filter whatever the database's collation.
PREFIX_OPS = {"grid_code": "text_pattern_ops"}


class Household(Base):
    __tablename__ = "households"
    __table_args__ = (Index("ix_households_grid_id", "grid_code", "id", postgresql_ops=PREFIX_OPS),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    place_code: Mapped[str] = mapped_column(String(24), index=True)
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    # Registered residents (kept with each registration, under the household's lock): the
    # count is part of the household's snapshot, so a registration is a new version.
    residents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)  # in its events: the newest snapshot wins

    __mapper_args__ = {"version_id_col": version}


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(10))
    birth_date = mapped_column(Date, nullable=False)
    id_number_enc: Mapped[str] = mapped_column(String(200))
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    phone_enc: Mapped[str | None] = mapped_column(String(200))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(11))
    household_id: Mapped[str | None] = mapped_column(ForeignKey("households.id"), index=True)
    grid_code: Mapped[str | None] = mapped_column(String(24), index=True)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class PiiAccess(Base):
    """Every clear read of an ID or phone number: who, when, whose record."""

    __tablename__ = "pii_access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    viewer_account_id: Mapped[str] = mapped_column(String(36), index=True)
    viewer_username: Mapped[str] = mapped_column(String(64))
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(36), index=True)
    fields: Mapped[list] = mapped_column(JSON)
    at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class Reward(Base):
    __tablename__ = "rewards"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    cost: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int | None] = mapped_column(Integer)


class PointsBalance(Base):
    __tablename__ = "points_balances"

    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    balance: Mapped[int] = mapped_column(Integer, default=0)


class PointsEntry(Base):
    """Append-only: points earned (positive) and redeemed (negative)."""

    __tablename__ = "points_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    delta: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # earn | redeem
    activity: Mapped[str | None] = mapped_column(String(200))
    hours: Mapped[float | None] = mapped_column(Float)
    reward_code: Mapped[str | None] = mapped_column(String(40))
    approver: Mapped[str] = mapped_column(String(64))
    balance_after: Mapped[int] = mapped_column(Integer)
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class PatrolCheckin(Base):
    """A grid worker's GPS check-in. ``client_id`` comes from the phone: a
    resubmission after being offline is recognised by it."""

    __tablename__ = "patrol_checkins"
    __table_args__ = (UniqueConstraint("person_id", "client_id", name="uq_patrol_client"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    occurred_at = mapped_column(UtcDateTime, nullable=False, index=True)
    received_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    assigned_grid_codes: Mapped[list] = mapped_column(JSON)
    located_grid_code: Mapped[str | None] = mapped_column(String(24))
    inside: Mapped[bool] = mapped_column(Boolean)


class Visit(Base):
    __tablename__ = "household_visits"
    __table_args__ = (UniqueConstraint("person_id", "client_id", name="uq_visit_client"),
                      Index("ix_visits_grid_time", "grid_code", "occurred_at", postgresql_ops=PREFIX_OPS),
                      # covering (PostgreSQL): the coverage report reads a period's visits from it alone
                      Index("ix_visits_household_time", "household_id", "occurred_at",
                            postgresql_include=["person_id", "grid_code"]))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    grid_code: Mapped[str] = mapped_column(String(24))  # the household's grid when visited
    client_id: Mapped[str] = mapped_column(String(64))
    notes: Mapped[str] = mapped_column(Text)
    # common.textsig of the notes, computed once when stored: the notes never leave people,
    # their signature goes to scoring (copied notes). None: notes too short to sign.
    notes_sig: Mapped[str | None] = mapped_column(String(256), nullable=True)
    occurred_at = mapped_column(UtcDateTime, nullable=False, index=True)
    received_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class SentimentRecord(Base):
    """What residents said, as a grid worker recorded it (社情民意): its category and
    source from people.sentiments' catalogue, the grid (and household) it concerns, and
    its follow-up (open -> followed_up -> closed). The follow-up figures are kept on the
    record (not counted from its follow-ups) so that its snapshot, which its events and
    the paged read carry, is read from the row alone. ``client_id`` as for a visit."""

    __tablename__ = "sentiment_records"
    __table_args__ = (UniqueConstraint("person_id", "client_id", name="uq_sentiment_client"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    household_id: Mapped[str | None] = mapped_column(ForeignKey("households.id"), nullable=True)
    category: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(30))
    content: Mapped[str] = mapped_column(Text)
    # common.textsig of the content, computed once when stored: the text stays in people.
    content_sig: Mapped[str | None] = mapped_column(String(256), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    follow_up_count: Mapped[int] = mapped_column(Integer, default=0)
    followed_up_at = mapped_column(UtcDateTime, nullable=True)  # the first follow-up
    closed_at = mapped_column(UtcDateTime, nullable=True)
    ticket_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    ticket_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    occurred_at = mapped_column(UtcDateTime, nullable=False, index=True)
    received_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)  # in its events: the newest snapshot wins

    __mapper_args__ = {"version_id_col": version}


class SentimentFollowUp(Base):
    """One follow-up of a record: who, when, the note, the status it left the record in."""

    __tablename__ = "sentiment_follow_ups"
    __table_args__ = (UniqueConstraint("sentiment_id", "client_id", name="uq_sentiment_follow_up_client"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    sentiment_id: Mapped[str] = mapped_column(ForeignKey("sentiment_records.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str | None] = mapped_column(String(36), nullable=True)  # the staff member, if the account is one
    account_id: Mapped[str] = mapped_column(String(36))
    note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    ticket_id: Mapped[str | None] = mapped_column(String(36), nullable=True)  # the follow-up that reported it
    occurred_at = mapped_column(UtcDateTime, nullable=False)
    received_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    scope_grid: Mapped[str | None] = mapped_column(String(24))
    scope_role: Mapped[str | None] = mapped_column(String(40))
    sender: Mapped[str] = mapped_column(String(64))
    recipient_count: Mapped[int] = mapped_column(Integer)
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    # "notice" (someone sent it) or "notification" (a ticket event asked it of someone: people.notifications)
    kind: Mapped[str] = mapped_column(String(20), default="notice", server_default="notice")
    ticket_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class InboxItem(Base):
    __tablename__ = "inbox_items"

    broadcast_id: Mapped[str] = mapped_column(ForeignKey("broadcasts.id"), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True, index=True)
    recipient_scope: Mapped[str | None] = mapped_column(String(24))
    delivered_at = mapped_column(UtcDateTime, nullable=False)
    read_at = mapped_column(UtcDateTime, nullable=True)


class CoverageTargets(Base):
    """The visit and patrol targets as versioned documents (people.targets checks
    them); the newest version applies, none stored: the shipped default."""

    __tablename__ = "coverage_targets"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    document: Mapped[dict] = mapped_column(JSON)
    created_at = mapped_column(UtcDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(64))


class Campaign(Base):
    """A campaign task (专项任务) a district or a town launched over every household of a
    scope: seed 003's "install the anti-fraud app", all 55 households of one group done.
    Open until its launcher closes it; a closed one takes no more ticks."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    scope: Mapped[str] = mapped_column(String(24), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    due_date = mapped_column(Date, nullable=True)
    launched_by: Mapped[str] = mapped_column(String(64))
    launched_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    closed_at = mapped_column(UtcDateTime, nullable=True)


class CampaignTick(Base):
    """A household ticked off a campaign, once: by whom, when, with a note. The grid is
    the household's when ticked."""

    __tablename__ = "campaign_ticks"
    __table_args__ = (UniqueConstraint("campaign_id", "household_id", name="uq_campaign_household"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"))
    grid_code: Mapped[str] = mapped_column(String(24))
    person_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    ticked_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    ticked_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class RecruitmentOverride(Base):
    """A post given against the recruitment rules by a district officer, with the
    rules it failed and the reason (seed 003's rules say "generally")."""

    __tablename__ = "recruitment_overrides"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    assignment_id: Mapped[str] = mapped_column(ForeignKey("assignments.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    role: Mapped[str] = mapped_column(String(40))
    failed: Mapped[list] = mapped_column(JSON)          # the rules' names
    reason: Mapped[str] = mapped_column(Text)
    by_account_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    by_username: Mapped[str] = mapped_column(String(64))
    at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class PersonChange(Base):
    """One edit of a staff record: which fields changed (names, never values: the values
    may be personal), by whom, when."""

    __tablename__ = "person_changes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    fields: Mapped[list] = mapped_column(JSON)
    by_account_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    by_username: Mapped[str] = mapped_column(String(64))
    at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class Organisation(Base):
    """An organisation registered in a grid (组织, the sixth of 人地事物情组织): an
    enterprise, a social organisation, a property company or an owners' committee."""

    __tablename__ = "organisations"
    __table_args__ = (Index("ix_organisations_grid_name", "grid_code", "name", postgresql_ops=PREFIX_OPS),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(100))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True, nullable=True)
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    place_code: Mapped[str | None] = mapped_column(String(24), nullable=True)
    address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    employees: Mapped[int | None] = mapped_column(Integer, nullable=True)
    contact_name: Mapped[str | None] = mapped_column(String(50), nullable=True)
    department_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class ResidentSignup(Base):
    """A resident's sign-up, waiting for a community officer to approve it and link it to
    a registered resident (approval stands in for an SMS code: people.signups). The
    password is kept hashed; the phone encrypted, with its search hash and mask; the
    client's address only as a keyed hash, for the per-address limit."""

    __tablename__ = "resident_signups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    username: Mapped[str] = mapped_column(String(64), index=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    phone_enc: Mapped[str] = mapped_column(String(200))
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str] = mapped_column(String(11))
    address: Mapped[str] = mapped_column(String(200))
    grid_code: Mapped[str | None] = mapped_column(String(24), nullable=True, index=True)
    verification: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    address_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow, index=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at = mapped_column(UtcDateTime, nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class Wish(Base):
    """A small wish (点亮微心愿) a resident posted from their own account, in the grid of
    their household: approved or rejected by a community officer, claimed and fulfilled
    by a party member or a volunteer, confirmed by the poster, who may withdraw it before
    anyone claims it (people.wishes). The points the claimant earned are a ledger entry."""

    __tablename__ = "wishes"
    __table_args__ = (Index("ix_wishes_grid_posted", "grid_code", "posted_at", postgresql_ops=PREFIX_OPS),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)    # the poster's own account
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"))            # the home when posted
    grid_code: Mapped[str] = mapped_column(String(24))                                 # the household's grid
    title: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="posted")
    reviewed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)        # who approved or rejected it
    reviewed_at = mapped_column(UtcDateTime, nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    claimed_by_person_id: Mapped[str | None] = mapped_column(ForeignKey("persons.id"), nullable=True, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)         # the claimant's username
    claimed_at = mapped_column(UtcDateTime, nullable=True)
    fulfil_note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    fulfilled_at = mapped_column(UtcDateTime, nullable=True)
    confirmed_at = mapped_column(UtcDateTime, nullable=True)
    withdrawn_at = mapped_column(UtcDateTime, nullable=True)
    points: Mapped[int | None] = mapped_column(Integer, nullable=True)                 # credited on confirmation
    points_entry_id: Mapped[int | None] = mapped_column(ForeignKey("points_ledger.id"), nullable=True)
    posted_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class PartyBranch(Base):
    """A party branch or group (网格党支部 / 党小组) on a grid or a community, led by its
    secretary, a staff person who is a party member (seed 000, seed 001)."""

    __tablename__ = "party_branches"
    __table_args__ = (Index("ix_party_branches_grid_name", "grid_code", "name", postgresql_ops=PREFIX_OPS),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    secretary_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class PartyMembership(Base):
    """A party member in a branch, from the day they joined until the day they left (a
    member who joins again takes up the same row)."""

    __tablename__ = "party_memberships"
    __table_args__ = (UniqueConstraint("branch_id", "person_id", name="uq_party_membership"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    branch_id: Mapped[str] = mapped_column(ForeignKey("party_branches.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    joined_on = mapped_column(Date, nullable=False)
    left_on = mapped_column(Date, nullable=True)
    added_by: Mapped[str] = mapped_column(String(64))


class PartyRegistration(Base):
    """Two-way registration (双报到): a party member employed elsewhere (在职党员)
    registered with the community they live in; their employer is a department, whose
    accounts read the member's service back (双报告). One registration a member."""

    __tablename__ = "party_registrations"
    __table_args__ = (Index("ix_party_registrations_community", "community_code", "registered_at",
                            postgresql_ops={"community_code": "text_pattern_ops"}),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), unique=True)
    employer_code: Mapped[str] = mapped_column(String(40), index=True)
    community_code: Mapped[str] = mapped_column(String(24))
    registered_by: Mapped[str] = mapped_column(String(64))
    registered_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class PartyServiceEntry(Base):
    """Service a registered member gave in their community: what, how long, how many
    households, which day."""

    __tablename__ = "party_service_entries"
    __table_args__ = (Index("ix_party_service_registration_day", "registration_id", "day"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    registration_id: Mapped[str] = mapped_column(ForeignKey("party_registrations.id"))
    community_code: Mapped[str] = mapped_column(String(24))
    activity: Mapped[str] = mapped_column(String(200))
    hours: Mapped[float] = mapped_column(Float)
    households: Mapped[int] = mapped_column(Integer, default=0)
    day = mapped_column(Date, nullable=False)
    logged_by: Mapped[str] = mapped_column(String(64))
    logged_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class ServiceDay(Base):
    """A grid's monthly service day (网格服务日): one a grid a month."""

    __tablename__ = "service_days"
    __table_args__ = (UniqueConstraint("grid_code", "month", name="uq_service_day_grid_month"),
                      Index("ix_service_days_month_grid", "month", "grid_code"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    grid_code: Mapped[str] = mapped_column(String(24))
    month: Mapped[str] = mapped_column(String(7))   # "2026-12", Shanghai
    day = mapped_column(Date, nullable=False)
    activity: Mapped[str] = mapped_column(String(200))
    branch_id: Mapped[str | None] = mapped_column(ForeignKey("party_branches.id"), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class ServiceDaySignIn(Base):
    """A party member who came to a service day, once."""

    __tablename__ = "service_day_sign_ins"
    __table_args__ = (UniqueConstraint("service_day_id", "person_id", name="uq_service_day_person"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    service_day_id: Mapped[str] = mapped_column(ForeignKey("service_days.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    signed_by: Mapped[str] = mapped_column(String(64))
    signed_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class PartyHousehold(Base):
    """A party-member household (党员中心户): a member linked to a neighbouring household of
    their grid, 10 to 15 each; a household is linked to one member at most."""

    __tablename__ = "party_households"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), unique=True)
    grid_code: Mapped[str] = mapped_column(String(24))
    linked_by: Mapped[str] = mapped_column(String(64))
    linked_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class WebhookSubscription(Base):
    """A department's URL for ticket events that concern it (people.webhooks); its
    secret kept encrypted, since signing needs it back."""
    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    department_code: Mapped[str] = mapped_column(String(40), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret_enc: Mapped[str] = mapped_column(String(200))
    events: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    deactivated_at = mapped_column(UtcDateTime, nullable=True)


class WebhookDelivery(Base):
    """One event for one subscription: pending (due at ``next_attempt_at``), delivered,
    or dead after its last attempt; its log is the last attempt's answer."""
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_webhook_delivery_event"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(40))
    body: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at = mapped_column(UtcDateTime, nullable=False)
    last_attempt_at = mapped_column(UtcDateTime, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    delivered_at = mapped_column(UtcDateTime, nullable=True)
