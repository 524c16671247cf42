import base64
import binascii
import datetime as dt

from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from nameko.timer import timer
from sqlalchemy.exc import IntegrityError

from common import config as cfg
from common.actor import Actor
from common.db import Database, utcnow
from common.errors import Forbidden, InvalidInput, NotFound
from common.events import grid_change
from common.inbox import idempotent_handler
from common.jobs import Jobs
from common.ops import OpsEndpoints
from common.outbox import Outbox
from common.periods import parse_period, period_of
from common.roles import STAFF, SUPERVISOR_READERS, in_scope, require_in_reach
from common.rpc import ServiceRpc, rpc
from common.shanghai import day_bounds, day_start, shanghai_date
from common.validation import load
from people import (MIGRATIONS_DIR, accounts, broadcasts, campaigns, coverage, followups, organisations, pages,
                    party, patrols, points, residents, roster, sentiments, signups, staff, staffing, targets, wishes)
from people.account_endpoints import AccountAdministration
from people.webhook_endpoints import WebhookEndpoints
from people.exceptions import UnknownGrid
from people.models import JOBS, Assignment, Household, PatrolCheckin, SentimentRecord, ServiceDay, Visit
from common.pii import clear_roles, load_cipher
from people.schemas import (
    AccountFilterSchema, AccountSchema, AssignmentInputSchema, BroadcastInputSchema, BroadcastSchema, CampaignHouseholdsQuerySchema,
    CampaignInputSchema, CampaignListQuerySchema, CampaignTickSchema, CoverageQuerySchema, CredentialsSchema,
    FollowUpQuerySchema, NoticeInputSchema, OrganisationEditSchema, SignupApproveSchema, SignupInputSchema,
    SignupListQuerySchema, SignupRejectSchema, OrganisationInputSchema, OrganisationListQuerySchema,
    PersonEditSchema, BranchInputSchema, BranchMemberSchema, PartyCoverageQuerySchema, PartyListQuerySchema,
    RegistrationInputSchema, ReportQuerySchema, ServiceDayInputSchema, ServiceDayListQuerySchema,
    ServiceDaySignInSchema, ServiceEntryInputSchema, HouseholdLinkSchema,
    DepartmentInputSchema, DepartmentSchema, EarnSchema,
    EndAssignmentSchema, HouseholdInputSchema, HouseholdSchema, PatrolInputSchema, PatrolSchema, PersonInputSchema,
    PointsEntrySchema, RecordIdsSchema, RedeemSchema, ResidentInputSchema, ResidentQuerySchema, RewardSchema,
    SentimentFollowUpInputSchema, SentimentInputSchema, SentimentQuerySchema, SentimentTicketInputSchema,
    StaffNamesSchema, VisitInputSchema, VisitQuerySchema, VisitSchema, WishFulfilSchema, WishInputSchema,
    WishListQuerySchema, WishRejectSchema, WishSummaryQuerySchema,
)

account_schema = AccountSchema()
account_filter_schema = AccountFilterSchema()
credentials_schema = CredentialsSchema()
department_schema = DepartmentSchema()
household_schema = HouseholdSchema()
entry_schema = PointsEntrySchema()
reward_schema = RewardSchema()
patrol_schema = PatrolSchema()
broadcast_schema = BroadcastSchema()
visit_schema = VisitSchema()
CLOCK_SKEW = dt.timedelta(minutes=5)
SYSTEM = "system"  # who an internal call (no actor) acts as, where a name is recorded


def _reach(actor):
    """The subtree ``actor`` reaches (see common.actor): None for an internal call."""
    return None if actor is None else actor.reach


def _listing_root(actor, root):
    """The subtree a listing covers: ``root`` checked against the caller's reach, else
    that reach (None: the whole district)."""
    root = root or _reach(actor)
    if actor is not None and root is not None:
        actor.require_reach(root)
    return root


def original_time(data):
    """When it happened, as the phone says; not in the future."""
    now = utcnow()
    when = data.get("occurred_at") or now
    if when > now + CLOCK_SKEW:
        raise InvalidInput("occurred_at is in the future.", code="VALIDATION_FAILED",
                           details={"fields": {"occurred_at": ["is in the future"]}})
    return when


class Pii(DependencyProvider):
    """The cipher for ID and phone numbers (keys from PII_KEY)."""

    def setup(self):
        self.cipher = load_cipher(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.cipher


class Recruitment(DependencyProvider):
    """The recruitment rules (RECRUIT_MAX_AGE, RECRUIT_ROLES), read and checked at start:
    a role the rules name that no post has stops the service with a message."""

    def setup(self):
        config = self.container.config
        self.rules = staffing.recruitment_rules(cfg.env_int("RECRUIT_MAX_AGE", 55, config),
                                                cfg.env("RECRUIT_ROLES", "", config))

    def get_dependency(self, worker_ctx):
        return self.rules


class Signups(DependencyProvider):
    """How residents' sign-ups are checked (SIGNUP_VERIFICATION, default approval by a
    community officer) and how many one address may make an hour (SIGNUP_LIMIT_PER_HOUR)."""

    def setup(self):
        config = self.container.config
        self.check = signups.verification(cfg.env("SIGNUP_VERIFICATION", "approval", config))
        self.limit = cfg.env_int("SIGNUP_LIMIT_PER_HOUR", 5, config)

    def get_dependency(self, worker_ctx):
        return self


class WishPoints(DependencyProvider):
    """The points a confirmed small wish credits its claimant (WISH_POINTS, default 10),
    read and checked at start: a value outside 1-1,000 stops the service, naming it."""

    def setup(self):
        self.points = wishes.wish_points(cfg.env("WISH_POINTS", wishes.POINTS_DEFAULT, self.container.config))

    def get_dependency(self, worker_ctx):
        return self.points


class PeopleService(AccountAdministration, WebhookEndpoints, OpsEndpoints):
    name = "people"

    db = Database(MIGRATIONS_DIR, bootstrap=accounts.ensure_admin)
    outbox = Outbox()
    jobs = Jobs(JOBS)
    pii = Pii()
    recruitment = Recruitment()
    signup_rules = Signups()
    wish_points = WishPoints()
    config = Config()
    grid = ServiceRpc("grid")
    tickets = ServiceRpc("tickets")  # a sentiment record reported as a ticket

    # --- accounts ------------------------------------------------------------------
    @rpc
    def authenticate(self, username, password, client_address=None):
        """``client_address``: where the sign-in comes from (the gateway's view of the
        client); wrong passwords lock a name for that address only (see accounts)."""
        credentials = load(credentials_schema, {"username": username, "password": password,
                                                "client_address": client_address}, "credentials")
        policy = accounts.LoginPolicy.from_config(self.config)
        with self.db.transaction() as session:
            account, error = accounts.authenticate(
                session, credentials["username"], credentials["password"], utcnow(), policy, self._login_name_hash,
                credentials["client_address"])
            result = account_schema.dump(account) if error is None else None
        if error is not None:
            raise error
        return result

    def _login_name_hash(self, name):
        """Keyed, apart from the residents' search hashes (a prefix: no join between
        them tells whose phone someone tried as a username), and never None."""
        return self.pii.search_hash(f"sign-in:{name}")

    @timer(interval=300)
    def forget_lapsed_sign_in_failures(self):
        with self.db.transaction() as session:
            accounts.forget_lapsed_failures(session, utcnow(), accounts.LoginPolicy.from_config(self.config))

    @rpc
    def get_account(self, account_id):
        with self.db.read() as session:
            return account_schema.dump(accounts.get_account(session, account_id))

    @rpc
    def list_accounts(self, after=None, limit=None, filters=None):
        """Accounts by username, a page at a time: ``{"items", "next"}`` (``limit`` None: all);
        ``filters`` as AccountFilterSchema loads them."""
        filters = load(account_filter_schema, filters or {}, "account filters")
        with self.db.read() as session:
            page = accounts.list_accounts(session, after=after, limit=limit, filters=filters)
            return page.answer(account_schema.dump(page.rows, many=True))

    @rpc
    def create_account(self, data):
        data = load(account_schema, data, "account")
        if data.get("grid_scope"):  # a scope naming no grid would reach nothing, or a grid made later
            self._require_active_grid(data["grid_scope"], "grid_scope")
        min_length = 12 if cfg.is_production() else 10
        with self.db.transaction() as session:
            account = accounts.create_account(session, data, min_length)
            self.outbox.add(session, "account_created", accounts.account_payload(account))
            return account_schema.dump(account)

    @rpc
    def account_created_at(self, account_id):
        """{"account_id", "created_at"}: when the account was made; 404 ACCOUNT_NOT_FOUND."""
        with self.db.read() as session:
            return accounts.account_created_at(session, account_id)

    @rpc
    def resident_home(self, account_id):
        """{"household_id", "grid_code"} of the resident whose account this is; 404
        RESIDENT_NOT_FOUND if it is no resident's or they have no household."""
        with self.db.read() as session:
            return accounts.resident_home(session, account_id)

    # --- staff and assignments ---------------------------------------------------------
    def _require_grid(self, code, field="grid_code"):
        try:
            return self.grid.get_grid(code)
        except NotFound:
            raise UnknownGrid(f"Grid {code} does not exist.", details={"field": field}) from None

    def _require_active_grid(self, code, field="grid_code"):
        grid = self._require_grid(code, field)
        if grid["status"] != "active":
            raise UnknownGrid(f"Grid {grid['code']} is retired.", details={"field": field})
        return grid

    @rpc
    def create_person(self, data):
        data = load(PersonInputSchema, data, "person")
        with self.db.transaction() as session:
            return staff.person_view(self.pii, staff.create_person(session, self.pii, data))

    # ``actor`` (here and below): the caller as the gateway knows it (common.actor), a
    # dict off the wire; None for an internal call, which reaches the whole district.
    def _readable_person(self, session, person_id, actor):
        """The person themself, or an actor whose reach holds a post of theirs running today."""
        return staff.may_read_person(session, person_id, _reach(actor), actor and actor.person_id)

    @rpc
    def get_person(self, person_id, actor=None):
        actor = Actor.from_wire(actor)
        with self.db.read() as session:
            return staff.person_view(self.pii, self._readable_person(session, person_id, actor))

    @rpc
    def person_eligibility(self, person_id, actor=None):
        actor = Actor.from_wire(actor)
        with self.db.read() as session:
            verdict = self.recruitment.check(self._readable_person(session, person_id, actor), shanghai_date())
            return {**verdict, "enforced_on": list(self.recruitment.roles)}

    @rpc
    def assign_person(self, person_id, data, actor=None):
        """A post in a grid of the actor's reach, for a person they reach already or
        who holds no post running today (staff.may_post); district-wide actors post
        anyone anywhere. A post the recruitment rules cover goes only to a person who
        meets them (409 NOT_ELIGIBLE with the rules failed), unless a district-wide
        actor overrides them with a reason, which is kept and logged."""
        actor = Actor.from_wire(actor)
        data = load(AssignmentInputSchema, data, "assignment")
        if actor is not None:
            actor.require_reach(data["grid_code"])
        self._require_active_grid(data["grid_code"])
        with self.db.transaction() as session:
            person = staff.may_post(session, person_id, _reach(actor))
            failed = self.recruitment.failed(person, data["role"], shanghai_date())
            staff.may_override(failed, data["override_reason"], actor)
            assignment = staff.assign(session, person_id, data["grid_code"], data["role"],
                                      data["start_date"] or shanghai_date(), data["end_date"])
            if failed:
                staff.record_override(session, assignment, failed, data["override_reason"], actor)
            view = staff.assignment_view(assignment)
            self.outbox.add(session, "person_assigned", view)
        return view

    @rpc
    def edit_person(self, person_id, data, actor=None):
        """Change a staff record (name, phone, party membership, smartphone use, a
        violation on record) of a person posted in the actor's reach today; the fields
        changed (their names) are kept with who and when."""
        actor = Actor.from_wire(actor)
        data = load(PersonEditSchema, data, "staff record")
        with self.db.transaction() as session:
            person = staff.person_in_reach(session, person_id, _reach(actor))
            staff.edit_person(session, self.pii, person, data, actor)
            return staff.person_view(self.pii, person)

    @rpc
    def person_changes(self, person_id, actor=None):
        """The edits of a staff record and the posts given against the recruitment
        rules, newest first."""
        actor = Actor.from_wire(actor)
        with self.db.read() as session:
            self._readable_person(session, person_id, actor)
            return staff.changes_view(session, person_id)

    @rpc
    def end_assignment(self, assignment_id, data, actor=None):
        """The post must lie in the actor's reach; a change outside it is 403 and
        rolls back (so do the household and resident changes below)."""
        actor = Actor.from_wire(actor)
        data = load(EndAssignmentSchema, data, "assignment end")
        with self.db.transaction() as session:
            ended = staff.end_assignment(session, assignment_id, data["end_date"])
            require_in_reach(_reach(actor), ended.grid_code)
            view = staff.assignment_view(ended)
            self.outbox.add(session, "person_left", view)
        return view

    @idempotent_handler("grid", "grid_split")
    def handle_grid_split(self, session, envelope):
        self._carry_posts(session, envelope)

    @idempotent_handler("grid", "grid_merged")
    def handle_grid_merged(self, session, envelope):
        self._carry_posts(session, envelope)

    def _carry_posts(self, session, envelope):
        _, old_codes, new_codes, day = grid_change(envelope)
        ended, created = staff.carry_posts(session, old_codes, new_codes, day)
        for assignment in ended:
            self.outbox.add(session, "person_left", staff.assignment_view(assignment))
        for assignment in created:
            self.outbox.add(session, "person_assigned", staff.assignment_view(assignment))

    @rpc
    def staff_names(self, person_ids):
        """{person_id: name} for the staff among ``person_ids`` (at most 20,000), never a
        resident's; unknown ids are left out. For exports and rankings shown to people."""
        person_ids = load(StaffNamesSchema, {"person_ids": person_ids}, "staff names query")["person_ids"]
        with self.db.read() as session:
            return staff.staff_names(session, person_ids)

    @rpc
    def visit_notes(self, visit_ids):
        """{visit_id: notes} for those of ``visit_ids`` (at most 1,000) that exist: the
        texts behind an integrity flag's evidence, shown to the auditor reading it."""
        visit_ids = load(RecordIdsSchema, {"ids": visit_ids}, "visit notes query")["ids"]
        with self.db.read() as session:
            return patrols.visit_notes(session, visit_ids)

    @rpc
    def party_members(self, person_ids):
        """Which of ``person_ids`` (at most 20,000) are party members: assessment's three
        priorities list the others for party candidacy."""
        person_ids = load(StaffNamesSchema, {"person_ids": person_ids}, "party members query")["person_ids"]
        with self.db.read() as session:
            return staff.party_members(session, person_ids)

    @rpc
    def staff_on_duty(self, grid_code):
        """Names and roles of the staff posted in the grid today: its public card (上岗公示)."""
        with self.db.read() as session:
            return staff.on_duty(session, grid_code, shanghai_date())

    @rpc
    def list_assignments(self, person_id=None, grid_prefix=None, on=None, after=None, limit=None):
        """Posts, a page at a time: ``{"items", "next"}`` (``limit`` None: all, as tickets' snapshot takes them)."""
        with self.db.read() as session:
            page = staff.list_assignments(session, person_id, grid_prefix, on, after=after, limit=limit)
            return page.answer([staff.assignment_view(a) for a in page.rows])

    @rpc
    def staffing_gaps(self, root):
        grids = self.grid.staffed_grids(root)
        rules = {kind: staffing.parse_rule(cfg.env(f"STAFFING_RULE_{kind.upper()}", "", self.config), default)
                 for kind, default in staffing.DEFAULT_RULES.items()}
        with self.db.read() as session:
            active = staff.assignments(session, grid_prefix=root, on=shanghai_date())
            report = staffing.staffing_gaps(grids, active, rules)
        report.update(root=root, rules=rules)
        return report

    @rpc
    def create_department(self, data):
        data = load(DepartmentInputSchema, data, "department")
        if data.get("grid_code"):
            self._require_grid(data["grid_code"])
        with self.db.transaction() as session:
            return department_schema.dump(staff.create_department(session, data))

    @rpc
    def list_departments(self, kind=None, after=None, limit=None):
        """Departments by code, a page at a time: ``{"items", "next"}`` (``limit`` None: all)."""
        with self.db.read() as session:
            page = staff.list_departments(session, kind, after=after, limit=limit)
            return page.answer(department_schema.dump(page.rows, many=True))

    # --- households and residents --------------------------------------------------------
    def _require_place(self, code):
        try:
            return self.grid.get_place(code)
        except NotFound:
            raise UnknownGrid(f"Place {code} does not exist.", code="UNKNOWN_PLACE",
                              details={"field": "place_code"}) from None

    @rpc
    def register_household(self, data, actor=None):
        actor = Actor.from_wire(actor)
        data = load(HouseholdInputSchema, data, "household")
        place = self._require_place(data["place_code"])
        require_in_reach(_reach(actor), place["grid_code"])
        with self.db.transaction() as session:
            household = residents.register_household(session, data, place)
            view = household_schema.dump(household)
            self.outbox.add(session, "household_registered", residents.household_payload(household))
        return view

    @rpc
    def move_household(self, household_id, data, actor=None):
        """The grid a household leaves must be in the actor's reach (the move-out is
        registered where it lived; the new grid hears of it through ``household_moved``)."""
        actor = Actor.from_wire(actor)
        data = load(HouseholdInputSchema, data, "move")
        place = self._require_place(data["place_code"])
        with self.db.transaction() as session:
            household, left = residents.move_household(session, household_id, place)
            require_in_reach(_reach(actor), left)
            self.outbox.add(session, "household_moved", {
                "household_id": household.id, "from_grid_code": left, "to_grid_code": household.grid_code,
                "place_code": household.place_code, "residents": household.residents, "version": household.version})
            return household_schema.dump(household)

    @rpc
    def list_households(self, grid_prefix=None, limit=100, after=None):
        """Households in the order registered, a page at a time: ``{"items", "next"}``."""
        with self.db.read() as session:
            page = residents.list_households(session, grid_prefix, limit, after=after)
            return page.answer(household_schema.dump(page.rows, many=True))

    @rpc
    def register_resident(self, data, actor=None):
        actor = Actor.from_wire(actor)
        data = load(ResidentInputSchema, data, "resident")
        with self.db.transaction() as session:
            resident = residents.register_resident(session, self.pii, data, _reach(actor))
            view = residents.resident_view(session, self.pii, resident)
            self.outbox.add(session, "resident_registered",  # no personal data on the bus
                            residents.resident_payload(session, resident))
        return view

    @rpc
    def find_residents(self, filters, actor=None):
        """``filters["grid_prefix"]``: the subtree searched, within the actor's reach
        (403 beyond it); the actor's own subtree when none is given."""
        actor = Actor.from_wire(actor)
        filters = load(ResidentQuerySchema, filters, "query parameters")
        if actor is not None:
            filters["grid_prefix"] = actor.effective_root(filters["grid_prefix"])
        with self.db.read() as session:
            page = residents.find_residents(session, self.pii, **filters)
            return page.answer([residents.resident_view(session, self.pii, r) for r in page.rows])

    @rpc
    def get_resident(self, resident_id, actor=None, reveal=False):
        """404 RESIDENT_NOT_FOUND for a resident out of the actor's reach, as for an id
        nobody has. ``reveal``: ID and phone numbers in clear, for an actor of a
        PII_CLEAR_ROLES role (logged); an internal call gets them masked only."""
        actor = Actor.from_wire(actor)
        viewer = ({"account_id": actor.account_id, "username": actor.username, "roles": list(actor.roles)}
                  if actor is not None else {"account_id": "-", "username": SYSTEM, "roles": []})
        with self.db.transaction() as session:  # a clear read writes its log line
            resident = residents.get_resident(session, resident_id, _reach(actor))
            return residents.resident_view(session, self.pii, resident, viewer, bool(reveal),
                                           clear_roles(self.config))

    # --- volunteer points ------------------------------------------------------------------
    def _points_changed(self, session, entry):
        view = entry_schema.dump(entry)
        self.outbox.add(session, "points_changed", view)
        return view

    @rpc
    def earn_points(self, data, actor=None):
        """For a person posted in the actor's reach today; the actor is the approver."""
        actor = Actor.from_wire(actor)
        data = load(EarnSchema, data, "points")
        with self.db.transaction() as session:
            staff.person_in_reach(session, data["person_id"], _reach(actor))
            entry = points.earn(session, data["person_id"], data["points"], data["activity"], data["hours"],
                                actor.username if actor else SYSTEM)
            return self._points_changed(session, entry)

    @rpc
    def redeem_points(self, data, actor=None):
        actor = Actor.from_wire(actor)
        data = load(RedeemSchema, data, "redemption")
        with self.db.transaction() as session:
            staff.person_in_reach(session, data["person_id"], _reach(actor))
            entry = points.redeem(session, data["person_id"], data["reward_code"], actor.username if actor else SYSTEM)
            return self._points_changed(session, entry)

    @rpc
    def add_reward(self, data):
        data = load(reward_schema, data, "reward")
        with self.db.transaction() as session:
            return reward_schema.dump(points.add_reward(session, data))

    @rpc
    def points_statement(self, person_id, actor=None):
        actor = Actor.from_wire(actor)
        with self.db.read() as session:
            self._readable_person(session, person_id, actor)
            balance, entries = points.statement(session, person_id)
            return {"person_id": person_id, "balance": balance, "entries": entry_schema.dump(entries, many=True)}

    # --- patrols and visits -------------------------------------------------------------------
    def _once(self, model, show, data, store):
        """Store via ``store(session)`` unless (person, client id) was stored before;
        returns (``show(record)``, duplicate)."""
        with self.db.read() as session:
            seen = patrols.previous(session, model, data["person_id"], data["client_id"])
            if seen is not None:
                return show(seen), True
        try:
            with self.db.transaction() as session:
                return show(store(session)), False
        except IntegrityError:  # the same record arrived twice at once: the other copy won
            with self.db.read() as session:
                seen = patrols.previous(session, model, data["person_id"], data["client_id"])
                if seen is None:
                    raise
                return show(seen), True

    @rpc
    def log_patrol(self, data, actor=None):
        """The person must have held a post in the actor's reach on the round's day (a
        phone uploading rounds made offline before a post ended, or a split moved it,
        still may). A round is the actor's own (patrols.own_round)."""
        actor = Actor.from_wire(actor)
        data = load(PatrolInputSchema, patrols.own_round(data, actor), "patrol")
        data["occurred_at"] = original_time(data)
        with self.db.read() as session:
            staff.get_person(session, data["person_id"])
            grids = patrols.assigned_grids(session, data["person_id"], data["occurred_at"], _reach(actor))
        try:
            located = self.grid.locate(data["lon"], data["lat"], data["crs"])
            data["lon"], data["lat"], located_code = located["lon"], located["lat"], located["grid"]["code"]
        except NotFound:
            located_code = None

        def store(session):
            checkin = patrols.record_patrol(session, data, grids, located_code)
            self.outbox.add(session, "patrol_logged", patrols.patrol_payload(checkin))
            return checkin

        view, duplicate = self._once(PatrolCheckin, patrol_schema.dump, data, store)
        return {"patrol": view, "duplicate": duplicate}

    @rpc
    def list_patrols(self, person_id=None, limit=200, root=None, after=None):
        """Patrols newest first, a page at a time: ``{"items", "next"}``."""
        with self.db.read() as session:
            page = patrols.patrols(session, person_id, limit=limit, root=root, after=after)
            return page.answer(patrol_schema.dump(page.rows, many=True))

    @rpc
    def log_visit(self, data, actor=None):
        """As ``log_patrol``: the visitor held a post in the actor's reach that day, and
        the household lies in it."""
        actor = Actor.from_wire(actor)
        data = load(VisitInputSchema, patrols.own_round(data, actor), "visit")
        data["occurred_at"] = original_time(data)
        with self.db.read() as session:  # before the resubmission lookup: its answer holds the notes
            patrols.may_record_visit(session, data, _reach(actor))

        def store(session):
            visit = patrols.record_visit(session, data)
            self.outbox.add(session, "visit_logged", patrols.visit_payload(visit))
            return visit

        view, duplicate = self._once(Visit, visit_schema.dump, data, store)
        return {"visit": view, "duplicate": duplicate}

    @rpc
    def list_visits(self, root=None, person_id=None, since=None, after=None, limit=100, actor=None):
        """Visits newest first, a page at a time (``{"items", "next"}``): of households
        lying in ``root`` when visited, within the actor's reach (its own subtree when
        no root is given). Notes only for a reader who may read them (patrols.may_read_notes)."""
        actor = Actor.from_wire(actor)
        query = load(VisitQuerySchema, {"root": root, "person_id": person_id, "since": since, "after": after,
                                        "limit": limit}, "query parameters")
        if actor is not None:
            query["root"] = actor.effective_root(query["root"])
        with self.db.read() as session:
            return patrols.visits_page(session, actor=actor, **query)

    # --- sentiment records (社情民意) -------------------------------------------------------------
    @rpc
    def sentiment_catalogue(self):
        """The categories (with the ticket category each is reported under by default),
        sources and statuses, with their zh and en labels."""
        return sentiments.catalogue()

    @rpc
    def record_sentiment(self, data, actor=None):
        """What residents said, recorded by a worker posted that day in a grid holding the
        record's grid, which lies in the actor's reach (a household named lies in it). A
        record is the actor's own (patrols.own_round); a resubmission (the same
        ``client_id``) answers what was stored the first time: ``{"sentiment",
        "duplicate"}``."""
        actor = Actor.from_wire(actor)
        data = load(SentimentInputSchema, patrols.own_round(data, actor), "sentiment record")
        data["occurred_at"] = original_time(data)
        with self.db.read() as session:
            sentiments.may_record(session, data, _reach(actor))

        def store(session):
            entry = sentiments.record(session, data)
            self.outbox.add(session, "sentiment_recorded", sentiments.payload(entry))
            return entry

        view, duplicate = self._once(SentimentRecord, lambda entry: sentiments.view(
            entry, sentiments.may_read_content(actor, entry)), data, store)
        return {"sentiment": view, "duplicate": duplicate}

    @rpc
    def list_sentiments(self, root=None, person_id=None, category=None, status=None, since=None, after=None,
                        limit=100, actor=None):
        """Records newest first, a page at a time (``{"items", "next"}``), of grids in
        ``root`` within the actor's reach (its own subtree when no root is given); the
        content only for a reader who may read it (sentiments.may_read_content)."""
        actor = Actor.from_wire(actor)
        query = load(SentimentQuerySchema, {"root": root, "person_id": person_id, "category": category,
                                            "status": status, "since": since, "after": after, "limit": limit},
                     "query parameters")
        if actor is not None:
            query["root"] = actor.effective_root(query["root"])
        with self.db.read() as session:
            return sentiments.page(session, actor=actor, **query)

    @rpc
    def get_sentiment(self, sentiment_id, actor=None):
        """One record with its follow-ups; 404 SENTIMENT_NOT_FOUND beyond the actor's reach."""
        actor = Actor.from_wire(actor)
        with self.db.read() as session:
            entry = sentiments.get(session, sentiment_id, _reach(actor))
            return sentiments.view(entry, sentiments.may_read_content(actor, entry),
                                   sentiments.follow_ups_of(session, entry.id))

    def _sentiment_answer(self, session, entry, actor, **extra):
        return dict(sentiment=sentiments.view(entry, sentiments.may_read_content(actor, entry),
                                              sentiments.follow_ups_of(session, entry.id)), **extra)

    @rpc
    def follow_up_sentiment(self, sentiment_id, data, actor=None):
        """A follow-up by the recorder or a supervisor: ``status`` followed_up (default)
        or closed; a closed record takes none (409 SENTIMENT_CLOSED). A resubmission (the
        same ``client_id`` for this record) answers the follow-up stored the first time:
        ``{"sentiment", "follow_up", "duplicate"}``."""
        actor = Actor.from_wire(actor)
        data = load(SentimentFollowUpInputSchema, data, "follow-up")
        data["occurred_at"] = original_time(data)

        def seen_before(session):
            entry = sentiments.get(session, sentiment_id, _reach(actor))
            sentiments.may_act(actor, entry)
            seen = sentiments.previous_follow_up(session, entry.id, data["client_id"])
            return seen and self._sentiment_answer(session, entry, actor, follow_up=sentiments.follow_up_view(seen),
                                                   duplicate=True)

        with self.db.read() as session:
            replay = seen_before(session)
        if replay:
            return replay
        try:
            with self.db.transaction() as session:
                entry = sentiments.get(session, sentiment_id, _reach(actor), for_update=True)
                item = sentiments.follow_up(session, entry, data, actor)
                self.outbox.add(session, "sentiment_followed_up", sentiments.payload(entry))
                return self._sentiment_answer(session, entry, actor, follow_up=sentiments.follow_up_view(item),
                                              duplicate=False)
        except IntegrityError:  # the same follow-up twice at once: the other copy won
            with self.db.read() as session:
                replay = seen_before(session)
            if not replay:
                raise
            return replay

    @rpc
    def ticket_sentiment(self, sentiment_id, data=None, actor=None):
        """Report the record as a ticket, by the recorder or a supervisor: tickets gets the
        record's grid, its category's ticket category (or ``data["category"]``), its
        content, as the actor's own report; the record keeps the ticket's id and number,
        with a follow-up saying so. ``{"sentiment", "created"}``: a record reported
        already answers its ticket (created false). Tickets down: 503, nothing stored."""
        actor = Actor.from_wire(actor)
        data = load(SentimentTicketInputSchema, {} if data is None else data, "ticket request")
        with self.db.read() as session:
            entry = sentiments.get(session, sentiment_id, _reach(actor))
            sentiments.may_act(actor, entry)
            if entry.ticket_id:
                return self._sentiment_answer(session, entry, actor, created=False)
            sentiments.require_open(entry)
        with self.db.transaction() as session:
            # The record stays locked while tickets answers: a second caller waits and then
            # finds the ticket, instead of reporting the same matter twice.
            entry = sentiments.get(session, sentiment_id, _reach(actor), for_update=True)
            if entry.ticket_id:
                return self._sentiment_answer(session, entry, actor, created=False)
            sentiments.require_open(entry)
            ticket = self.tickets.report_ticket(data=sentiments.ticket_report(entry, data),
                                                actor=actor.to_wire() if actor else None,
                                                idempotency_key=sentiments.ticket_key(entry))
            sentiments.follow_up(session, entry, {"client_id": f"ticket-{ticket['id']}", "status": "followed_up",
                                                  "note": sentiments.ticket_note(ticket),
                                                  "occurred_at": max(utcnow(), entry.occurred_at)},
                                 actor, ticket=ticket)
            self.outbox.add(session, "sentiment_followed_up", sentiments.payload(entry))
            return self._sentiment_answer(session, entry, actor, created=True)

    # --- duties: visit and patrol targets, coverage -------------------------------------------------
    @rpc
    def coverage_targets(self):
        """The targets in force with their version (0: the shipped default)."""
        with self.db.read() as session:
            return targets.targets_view(targets.targets_in_force(session))

    @rpc
    def save_coverage_targets(self, document, actor=None):
        """A new version of the targets (the whole document); refused whole (400 naming
        the field) when anything in it is wrong."""
        actor = Actor.from_wire(actor)
        with self.db.transaction() as session:
            saved = targets.save_targets(session, document, author=actor.username if actor else SYSTEM)
            return targets.targets_view(saved)

    # --- residents signing themselves up -----------------------------------------------------

    @rpc
    def sign_up(self, data, client_address=None):
        """A resident's sign-up (no account yet): the grid it names, if any, is an active
        one; 429 past the address's hourly limit."""
        data = load(SignupInputSchema, data, "sign-up")
        if data["grid_code"]:
            self._require_active_grid(data["grid_code"])
        with self.db.transaction() as session:
            signup = signups.sign_up(session, self.pii, data, check=self.signup_rules.check,
                                     client_address=client_address, now=utcnow(), limit=self.signup_rules.limit)
            return {**signups.view(signup), **self.signup_rules.check.started(signup)}

    @rpc
    def list_signups(self, root=None, status=None, limit=100, after=None, actor=None):
        """Sign-ups newest first, a page at a time: ``{"items", "next"}``."""
        actor = Actor.from_wire(actor)
        query = load(SignupListQuerySchema, {"root": root, "status": status, "limit": limit, "after": after},
                     "query parameters")
        root = _listing_root(actor, query["root"])
        with self.db.read() as session:
            page = signups.find(session, root, query["status"], query["limit"], after=query["after"])
            return page.answer([signups.view(s) for s in page.rows])

    @rpc
    def approve_signup(self, signup_id, data, actor=None):
        """Open the account, linked to a resident of a household in the actor's reach."""
        actor = Actor.from_wire(actor)
        data = load(SignupApproveSchema, data, "approval")
        with self.db.transaction() as session:
            signup = signups.get(session, signup_id, _reach(actor), for_update=True)
            signups.approve(session, signup, data["resident_id"], reach=_reach(actor),
                            by=actor.username if actor else SYSTEM, now=utcnow())
            return signups.view(signup)

    @rpc
    def reject_signup(self, signup_id, data, actor=None):
        actor = Actor.from_wire(actor)
        data = load(SignupRejectSchema, data, "rejection")
        with self.db.transaction() as session:
            signup = signups.get(session, signup_id, _reach(actor), for_update=True)
            return signups.view(signups.reject(session, signup, data["reason"], by=actor.username if actor else SYSTEM,
                                               now=utcnow()))

    # --- organisations (组织) ---------------------------------------------------------------

    def _check_organisation_links(self, session, grid_code, data):
        """The place, if given, lies in the organisation's grid; the department, if
        given, is registered. 400 naming the field otherwise."""
        if data.get("place_code"):
            place = self._require_place(data["place_code"])
            if not in_scope(grid_code, place["grid_code"]):
                raise InvalidInput(f"Place {place['code']} lies in grid {place['grid_code']}, not in {grid_code}.",
                                   code="PLACE_OUTSIDE_GRID", details={"field": "place_code"})
        if data.get("department_code"):
            staff.require_department(session, data["department_code"])

    @rpc
    def register_organisation(self, data, actor=None):
        """An organisation in an active grid of the actor's reach (its place, if given,
        in that grid); a credit code another organisation has is 409."""
        actor = Actor.from_wire(actor)
        data = load(OrganisationInputSchema, data, "organisation")
        if actor is not None:
            actor.require_reach(data["grid_code"])
        self._require_active_grid(data["grid_code"])
        with self.db.transaction() as session:
            self._check_organisation_links(session, data["grid_code"], data)
            row = organisations.register(session, data, by=actor.username if actor else SYSTEM)
            return organisations.view(row)

    @rpc
    def list_organisations(self, root=None, kind=None, status=None, q=None, after=None, limit=100, actor=None):
        actor = Actor.from_wire(actor)
        query = load(OrganisationListQuerySchema, {"root": root, "kind": kind, "status": status, "q": q,
                                                   "after": after, "limit": limit}, "query parameters")
        query["root"] = _listing_root(actor, query["root"])
        with self.db.read() as session:
            return organisations.page(session, **query)

    @rpc
    def get_organisation(self, organisation_id, actor=None):
        with self.db.read() as session:
            return organisations.view(organisations.get(session, organisation_id, _reach(Actor.from_wire(actor))))

    @rpc
    def edit_organisation(self, organisation_id, data, actor=None):
        actor = Actor.from_wire(actor)
        data = load(OrganisationEditSchema, data, "organisation")
        with self.db.transaction() as session:
            row = organisations.get(session, organisation_id, _reach(actor), for_update=True)
            self._check_organisation_links(session, row.grid_code, data)
            return organisations.view(organisations.edit(session, row, data))

    # --- campaign tasks (专项任务) -----------------------------------------------------------

    @rpc
    def launch_campaign(self, data, actor=None):
        """A task over every household of ``scope``, a grid in the launcher's reach (a
        code naming no grid is grid's 404); a due date is today or later."""
        actor = Actor.from_wire(actor)
        data = load(CampaignInputSchema, data, "campaign")
        if data["due_date"] is not None and data["due_date"] < shanghai_date():
            raise InvalidInput("A campaign's due date is today or later.", code="VALIDATION_FAILED",
                               details={"fields": {"due_date": ["must be today or later"]}})
        if actor is not None:
            actor.require_reach(data["scope"])
        self.grid.get_grid(data["scope"])
        with self.db.transaction() as session:
            campaign = campaigns.launch(session, data, by=actor.username if actor else SYSTEM, now=utcnow())
            return {**campaigns.view(campaign), "progress": campaigns.progress(session, campaign, campaign.scope)}

    @rpc
    def list_campaigns(self, root=None, status=None, limit=100, after=None, actor=None):
        """Campaigns over, inside or above ``root`` (default: the caller's subtree), newest
        first, a page at a time: ``{"items", "next"}``."""
        actor = Actor.from_wire(actor)
        query = load(CampaignListQuerySchema, {"root": root, "status": status, "limit": limit, "after": after},
                     "query parameters")
        root = _listing_root(actor, query["root"])
        with self.db.read() as session:
            page = campaigns.find(session, root, query["status"], query["limit"], after=query["after"])
            return page.answer([campaigns.view(c) for c in page.rows])

    @rpc
    def get_campaign(self, campaign_id, actor=None):
        """The campaign with its completion over the part of it the caller reaches."""
        reach = _reach(Actor.from_wire(actor))
        with self.db.read() as session:
            campaign = campaigns.get(session, campaign_id, reach)
            return {**campaigns.view(campaign),
                    "progress": campaigns.progress(session, campaign, campaigns.part_of(campaign, reach))}

    @rpc
    def campaign_households(self, campaign_id, status=None, after=None, limit=100, actor=None):
        """The households of the part the caller reaches, with their ticks: a worker's list."""
        reach = _reach(Actor.from_wire(actor))
        query = load(CampaignHouseholdsQuerySchema, {"status": status, "after": after, "limit": limit},
                     "query parameters")
        with self.db.read() as session:
            campaign = campaigns.get(session, campaign_id, reach)
            return campaigns.households(session, campaign, campaigns.part_of(campaign, reach), **query)

    @rpc
    def tick_campaign(self, campaign_id, data, actor=None):
        """Tick a household of the caller's reach off the campaign: ``{"tick", "created"}``
        (a household ticked already answers its first tick)."""
        actor = Actor.from_wire(actor)
        data = load(CampaignTickSchema, data, "campaign tick")
        with self.db.transaction() as session:
            campaign = campaigns.get(session, campaign_id, _reach(actor))
            household = residents.get_household(session, data["household_id"])
            require_in_reach(_reach(actor), household.grid_code)
            row, created = campaigns.tick(session, campaign, household, person_id=actor.person_id if actor else None,
                                          by=actor.username if actor else SYSTEM, note=data["note"], now=utcnow())
            return {"tick": campaigns.tick_view(row), "created": created}

    @rpc
    def close_campaign(self, campaign_id, actor=None):
        """Close a campaign whose whole scope the caller reaches; it takes no more ticks."""
        actor = Actor.from_wire(actor)
        with self.db.transaction() as session:
            campaign = campaigns.get(session, campaign_id, _reach(actor), for_update=True)
            if actor is not None:
                actor.require_reach(campaign.scope)
            return campaigns.view(campaigns.close(session, campaign, now=utcnow()))

    # --- small wishes (点亮微心愿) ---------------------------------------------------------------

    def _wish_answer(self, session, wish, actor):
        (view,) = wishes.views(session, [wish], actor)
        return view

    @rpc
    def post_wish(self, data, actor=None):
        """A wish from a resident's own account, in the grid of their household (409
        NO_HOME without one); a phone or ID number in its text is a 400 naming the field."""
        actor = Actor.from_wire(actor)
        data = load(WishInputSchema, data, "wish")
        with self.db.transaction() as session:
            wish = wishes.post(session, data, account_id=actor.account_id if actor else None, now=utcnow())
            return self._wish_answer(session, wish, actor)

    @rpc
    def list_wishes(self, root=None, status=None, after=None, limit=100, actor=None):
        """Newest first, a page at a time (``{"items", "next"}``): a resident's own wishes;
        for staff those of ``root`` (default: their subtree) within their reach, every
        status for supervisors and auditors, approved ones onwards for the others."""
        actor = Actor.from_wire(actor)
        query = load(WishListQuerySchema, {"root": root, "status": status, "after": after, "limit": limit},
                     "query parameters")
        own, lit_only = None, False
        if actor is not None and not actor.reaches_grids:
            if query["root"]:
                actor.require_reach(query["root"])  # 403 OUT_OF_SCOPE: a resident reaches no subtree
            own = actor.account_id
        elif actor is not None:
            query["root"] = actor.effective_root(query["root"])
            lit_only = not actor.has_role(SUPERVISOR_READERS)
        with self.db.read() as session:
            found = wishes.page(session, own_account=own, lit_only=lit_only, **query)
            return {"items": wishes.views(session, found["items"], actor), "next": found["next"]}

    @rpc
    def get_wish(self, wish_id, actor=None):
        """404 WISH_NOT_FOUND for a wish the actor may not see (wishes.may_see)."""
        actor = Actor.from_wire(actor)
        with self.db.read() as session:
            return self._wish_answer(session, wishes.get(session, wish_id, actor), actor)

    def _wish_step(self, wish_id, actor, step):
        actor = Actor.from_wire(actor)
        with self.db.transaction() as session:
            wish = wishes.get(session, wish_id, actor, for_update=True)  # steps on one wish take turns
            step(session, wish, actor)
            return self._wish_answer(session, wish, actor)

    @rpc
    def approve_wish(self, wish_id, actor=None):
        return self._wish_step(wish_id, actor, lambda session, wish, actor: wishes.approve(
            session, wish, actor=actor, by=actor.username if actor else SYSTEM, now=utcnow()))

    @rpc
    def reject_wish(self, wish_id, data, actor=None):
        data = load(WishRejectSchema, data, "rejection")
        return self._wish_step(wish_id, actor, lambda session, wish, actor: wishes.reject(
            session, wish, data["reason"], actor=actor, by=actor.username if actor else SYSTEM, now=utcnow()))

    @rpc
    def withdraw_wish(self, wish_id, actor=None):
        return self._wish_step(wish_id, actor, lambda session, wish, actor: wishes.withdraw(
            session, wish, actor=actor, now=utcnow()))

    @rpc
    def claim_wish(self, wish_id, actor=None):
        """By a party member or a volunteer (wishes.claimant) reaching the wish's grid."""
        def claim(session, wish, actor):
            person = wishes.claimant(session, actor.person_id if actor else None)
            wishes.claim(session, wish, person, by=actor.username if actor else SYSTEM, now=utcnow())
        return self._wish_step(wish_id, actor, claim)

    @rpc
    def fulfil_wish(self, wish_id, data, actor=None):
        data = load(WishFulfilSchema, data, "fulfilment")
        return self._wish_step(wish_id, actor, lambda session, wish, actor: wishes.fulfil(
            session, wish, data["note"], actor=actor, now=utcnow()))

    @rpc
    def confirm_wish(self, wish_id, actor=None):
        """The poster confirms: in the same transaction the claimant's person is credited
        WISH_POINTS through the points ledger (``points_changed``), and ``wish_confirmed``
        announces it (ids, grid, points: no personal data)."""
        def confirm(session, wish, actor):
            wishes.confirm(session, wish, actor=actor, now=utcnow())
            entry = points.earn(session, wish.claimed_by_person_id, self.wish_points, wishes.activity(wish), None,
                                wishes.POINTS_APPROVER)
            self._points_changed(session, entry)
            wishes.awarded(session, wish, entry)
            self.outbox.add(session, "wish_confirmed", wishes.payload(wish))
        return self._wish_step(wish_id, actor, confirm)

    @rpc
    def wish_summary(self, root=None, actor=None):
        """Wishes per community under ``root`` (default: the caller's subtree): a count per
        status, ``open`` (not yet confirmed, rejected or withdrawn) and the points awarded,
        each community with its name."""
        actor = Actor.from_wire(actor)
        root = load(WishSummaryQuerySchema, {"root": root}, "query parameters")["root"]
        if actor is not None:
            root = actor.effective_root(root)
        with self.db.read() as session:
            report = wishes.summary(session, root)
        labels = self.grid.grid_labels([row["community_code"] for row in report["communities"]]) \
            if report["communities"] else {}
        for row in report["communities"]:
            row["name"] = (labels.get(row["community_code"]) or {}).get("name")
        return report

    # --- party building (党建引领) ----------------------------------------------------------

    @rpc
    def found_branch(self, data, actor=None):
        """A branch or group on an active grid or community of the actor's reach, with
        its secretary (a party member: 400 naming ``secretary_id`` otherwise)."""
        actor = Actor.from_wire(actor)
        data = load(BranchInputSchema, data, "party branch")
        if actor is not None:
            actor.require_reach(data["grid_code"])
        party.require_attachable(self._require_active_grid(data["grid_code"]))
        with self.db.transaction() as session:
            branch = party.found_branch(session, data, by=actor.username if actor else SYSTEM, today=shanghai_date())
            return party.branch_detail(session, branch)

    @rpc
    def list_branches(self, root=None, after=None, limit=100, actor=None):
        actor = Actor.from_wire(actor)
        query = load(PartyListQuerySchema, {"root": root, "after": after, "limit": limit}, "query parameters")
        query["root"] = _listing_root(actor, query["root"])
        with self.db.read() as session:
            return party.branches_page(session, **query)

    @rpc
    def get_branch(self, branch_id, actor=None):
        with self.db.read() as session:
            return party.branch_detail(session, party.get_branch(session, branch_id, _reach(Actor.from_wire(actor))))

    @rpc
    def add_branch_member(self, branch_id, data, actor=None):
        """A party member joins the branch (400 naming ``person_id`` for anyone else)."""
        actor = Actor.from_wire(actor)
        data = load(BranchMemberSchema, data, "branch member")
        with self.db.transaction() as session:
            branch = party.get_branch(session, branch_id, _reach(actor), for_update=True)
            party.add_member(session, branch, data["person_id"], by=actor.username if actor else SYSTEM,
                             today=shanghai_date())
            return party.branch_detail(session, branch)

    @rpc
    def leave_branch(self, branch_id, person_id, actor=None):
        """The member leaves; their membership stays on record with the day."""
        actor = Actor.from_wire(actor)
        with self.db.transaction() as session:
            branch = party.get_branch(session, branch_id, _reach(actor), for_update=True)
            party.leave(session, branch, person_id, today=shanghai_date())
            return party.branch_detail(session, branch)

    @rpc
    def party_coverage(self, root, actor=None):
        """The staffed grids under ``root`` and the branch that leads each (its own, or
        its community's), with totals per community and town."""
        actor = Actor.from_wire(actor)
        query = load(PartyCoverageQuerySchema, {"root": root}, "query parameters")
        if actor is not None:
            actor.require_reach(query["root"])
        grids = self.grid.staffed_grids(query["root"])  # 404 GRID_NOT_FOUND for a code naming no grid
        with self.db.read() as session:
            return party.coverage(session, grids, query["root"], shanghai_date())

    def _registration(self, session, registration_id, actor):
        if actor is None:
            return party.get_registration(session, registration_id, (None, None, None, True))
        department = actor.department if actor.has_role({"department"}) else None
        return party.get_registration(session, registration_id, (actor.reach, actor.person_id, department))

    @rpc
    def register_party_member(self, data, actor=None):
        """双报到: a party member registers with an active community of the actor's reach,
        naming their employer (a registered department: 400 naming ``employer_code``)."""
        actor = Actor.from_wire(actor)
        data = load(RegistrationInputSchema, data, "registration")
        if actor is not None:
            actor.require_reach(data["community_code"])
        grid = self._require_active_grid(data["community_code"], "community_code")
        if grid["level"] not in ("community", "village"):
            raise InvalidInput(f"Grid {grid['code']} is a {grid['level']}, not a community.",
                               code="VALIDATION_FAILED",
                               details={"fields": {"community_code": ["must be a community (村/社区)"]}})
        with self.db.transaction() as session:
            staff.require_department(session, data["employer_code"], field="employer_code")
            row = party.register(session, data, by=actor.username if actor else SYSTEM, now=utcnow())
            return party.registration_view(row, staff.staff_names(session, [row.person_id]))

    @rpc
    def list_registrations(self, root=None, after=None, limit=100, actor=None):
        actor = Actor.from_wire(actor)
        query = load(PartyListQuerySchema, {"root": root, "after": after, "limit": limit}, "query parameters")
        query["root"] = _listing_root(actor, query["root"])
        with self.db.read() as session:
            return party.registrations_page(session, **query)

    @rpc
    def log_party_service(self, registration_id, data, actor=None):
        """Service the member gave: logged by the member themself, or by staff whose
        reach meets the community (an auditor or the employer only reads)."""
        actor = Actor.from_wire(actor)
        data = load(ServiceEntryInputSchema, data, "service entry")
        with self.db.transaction() as session:
            if actor is None:
                registration = self._registration(session, registration_id, None)
            else:
                reach = actor.reach if actor.has_role(STAFF) else ""
                registration = party.get_registration(session, registration_id, (reach, actor.person_id, None))
            entry = party.log_service(session, registration, data, by=actor.username if actor else SYSTEM,
                                      today=shanghai_date(), now=utcnow())
            self.outbox.add(session, "party_service_logged", party.entry_payload(entry, registration.person_id))
            return party.entry_view(entry)

    @rpc
    def party_service_report(self, registration_id, year=None, actor=None):
        """双报告: the member's service in ``year`` (default this year) by month, for the
        member, staff whose reach meets the community, and the employer's accounts."""
        actor = Actor.from_wire(actor)
        query = load(ReportQuerySchema, {"year": year}, "query parameters")
        with self.db.read() as session:
            registration = self._registration(session, registration_id, actor)
            return party.report(session, registration, query["year"] or shanghai_date().year)

    @rpc
    def hold_service_day(self, data, actor=None):
        """A grid's service day of a month (409 for a second), in the actor's reach; the
        branch, if named, is one the actor reaches."""
        actor = Actor.from_wire(actor)
        data = load(ServiceDayInputSchema, data, "service day")
        if actor is not None:
            actor.require_reach(data["grid_code"])
        party.require_attachable(self._require_active_grid(data["grid_code"]))
        with self.db.transaction() as session:
            if data["branch_id"]:
                try:
                    party.get_branch(session, data["branch_id"], _reach(actor))
                except NotFound:
                    raise InvalidInput("branch_id names no party branch you reach.", code="VALIDATION_FAILED",
                                       details={"fields": {"branch_id": ["names no party branch you reach"]}}) \
                        from None
            row = party.hold_service_day(session, data, by=actor.username if actor else SYSTEM, now=utcnow())
            self.outbox.add(session, "service_day_held", party.service_day_payload(row))
            return party.service_day_view(row)

    @rpc
    def sign_in_service_day(self, service_day_id, data, actor=None):
        """A party member who came signs in, once: themself (``person_id`` defaults to the
        actor's), or staff of the day's grid sign them in."""
        actor = Actor.from_wire(actor)
        if isinstance(data, dict) and actor is not None and actor.person_id and data.get("person_id") is None:
            data = {**data, "person_id": actor.person_id}
        data = load(ServiceDaySignInSchema, data, "sign-in")
        with self.db.transaction() as session:
            own = actor is not None and actor.person_id == data["person_id"]
            reach = None if actor is None else actor.reach if actor.has_role(STAFF) else ""
            day = party.get_service_day(session, service_day_id, reach, own)
            row = party.sign_in(session, day, data["person_id"], by=actor.username if actor else SYSTEM,
                                today=shanghai_date(), now=utcnow())
            signed = party.attendance(session, [day.id]).get(day.id, [])
            self.outbox.add(session, "service_day_attended", party.sign_in_payload(day, row, len(signed)))
            return party.service_day_view(day, signed)

    @rpc
    def list_service_days(self, root=None, month=None, after=None, limit=100, actor=None):
        actor = Actor.from_wire(actor)
        query = load(ServiceDayListQuerySchema, {"root": root, "month": month, "after": after, "limit": limit},
                     "query parameters")
        query["root"] = _listing_root(actor, query["root"])
        with self.db.read() as session:
            return party.service_days_page(session, **query)

    @rpc
    def link_party_household(self, person_id, data, actor=None):
        """党员中心户: a household of the actor's reach joins the member's neighbours:
        ``{"link", "created"}`` (linked to them already: the first link)."""
        actor = Actor.from_wire(actor)
        data = load(HouseholdLinkSchema, data, "household link")
        with self.db.transaction() as session:
            household = residents.get_household(session, data["household_id"])
            require_in_reach(_reach(actor), household.grid_code)
            row, created = party.link_household(session, person_id, household, by=actor.username if actor else SYSTEM,
                                                today=shanghai_date(), now=utcnow())
            return {"household_id": row.household_id, "person_id": row.person_id, "grid_code": row.grid_code,
                    "linked_by": row.linked_by, "linked_at": row.linked_at.isoformat(), "created": created}

    @rpc
    def unlink_party_household(self, person_id, household_id, actor=None):
        actor = Actor.from_wire(actor)
        with self.db.transaction() as session:
            household = residents.get_household(session, household_id)
            require_in_reach(_reach(actor), household.grid_code)
            party.unlink_household(session, person_id, household_id)
            return party.member_households(session, person_id, None, shanghai_date())

    @rpc
    def party_households(self, person_id, actor=None):
        """The member's households: for the member themself, or a reader whose reach meets
        the member's grids."""
        actor = Actor.from_wire(actor)
        reach = None if actor is None or actor.person_id == person_id else actor.reach
        with self.db.read() as session:
            return party.member_households(session, person_id, reach, shanghai_date())

    # --- special groups' follow-up ---------------------------------------------------------

    @rpc
    def follow_ups_overdue(self, root, tag=None, as_of=None, limit=100, actor=None):
        """Special groups' residents and group rentals under ``root`` overdue for a
        follow-up now (or by the end of ``as_of``, a day from today on), by the cadences
        of the targets in force, with totals per grid."""
        actor = Actor.from_wire(actor)
        query = load(FollowUpQuerySchema, {"root": root, "tag": tag, "as_of": as_of, "limit": limit},
                     "query parameters")
        now = utcnow()
        if query["as_of"] is not None:
            if query["as_of"] < shanghai_date(now):
                raise InvalidInput("The follow-up list looks from today on; a past day's list is not kept.",
                                   code="VALIDATION_FAILED", details={"fields": {"as_of": ["must be today or later"]}})
            now = max(now, day_start(query["as_of"] + dt.timedelta(days=1)))
        if actor is not None:
            actor.require_reach(query["root"])
        rentals = self.grid.group_rentals(query["root"]) if query["tag"] is None else []
        with self.db.read() as session:
            in_force = targets.targets_in_force(session)
            return followups.overdue(session, root=query["root"], cadences=in_force.follow_ups,
                                     rental_days=in_force.group_rental_days, rentals=rentals, now=now,
                                     tag=query["tag"], limit=query["limit"])

    @rpc
    def coverage(self, root, period, limit=100, after=None, actor=None):
        """Households not visited in ``period`` (a page), workers below their targets,
        totals per grid, community and town, over ``root`` (in the actor's reach). A
        supervisor or auditor reads every worker's line; anyone else their own."""
        actor = Actor.from_wire(actor)
        query = load(CoverageQuerySchema, {"root": root, "period": period, "limit": limit, "after": after},
                     "query parameters")
        if actor is not None:
            actor.require_reach(query["root"])
        period = parse_period(query["period"])
        grids = self.grid.staffed_grids(query["root"])  # 404 GRID_NOT_FOUND for a code naming no grid
        shown = None if actor is None or actor.has_role(SUPERVISOR_READERS) else (actor.person_id or "")
        with self.db.read() as session:
            return coverage.report(session, grids, query["root"], period, targets.targets_in_force(session),
                                   shanghai_date(), limit=query["limit"], after=query["after"], workers_shown=shown)

    @rpc
    def visit_counts(self, root, period=None):
        """``{"root", "period", "grids": {grid code: [households, visited]}, "patrols_today"}``
        under ``root`` in ``period`` (default: the quarter under way, Shanghai): the rows
        the gateway rolls up for the map's visit coverage and a grid's overview, counted
        in the database (coverage.visit_counts)."""
        if not (isinstance(root, str) and root.isdigit() and len(root) <= 24):
            raise InvalidInput("root must be a grid code (digits).", code="VALIDATION_FAILED",
                               details={"fields": {"root": ["a grid code"]}})
        today = shanghai_date()
        chosen = parse_period(period) if period else period_of(today, "quarter")
        with self.db.read() as session:
            counts = coverage.visit_counts(session, root, chosen, day_bounds(today, today))
        return {"root": root, "period": str(chosen), "start": chosen.start_day.isoformat(),
                "end": chosen.end_day.isoformat(), **counts}

    # --- broadcasts -------------------------------------------------------------------------------
    @rpc
    def send_broadcast(self, data, actor=None):
        """To ``scope_grid`` (default: the actor's whole reach), which must lie within
        the actor's reach; the actor is the sender."""
        actor = Actor.from_wire(actor)
        return self._broadcast(load(BroadcastInputSchema, data, "broadcast"), actor)

    def _broadcast(self, data, actor):
        if actor is not None:
            data["scope_grid"] = actor.effective_root(data["scope_grid"])
        with self.db.transaction() as session:
            broadcast = broadcasts.send(session, data, actor.username if actor else SYSTEM)
            view = broadcast_schema.dump(broadcast)
            self.outbox.add(session, "broadcast_sent", {
                key: view[key] for key in ("id", "title", "scope_grid", "scope_role", "recipient_count")})
        return view

    @rpc
    def send_notice(self, data, actor=None):
        """A notice to the residents living in ``scope_grid`` (default: the actor's
        reach), which lies in the actor's reach: their inboxes, with read receipts."""
        data = load(NoticeInputSchema, data, "notice")
        return self._broadcast({**data, "scope_role": broadcasts.RESIDENTS}, Actor.from_wire(actor))

    @rpc
    def inbox(self, account_id, unread_only=False, after=None, limit=100):
        """The account's notices newest first, a page at a time: ``{"items", "next"}``."""
        with self.db.read() as session:
            page = broadcasts.inbox(session, account_id, unread_only, limit=limit, after=after)
            return page.answer([dict(broadcast_schema.dump(b), read_at=read_at.isoformat() if read_at else None)
                                for b, read_at in page.rows])

    @rpc
    def mark_read(self, broadcast_id, account_id):
        with self.db.transaction() as session:
            item = broadcasts.mark_read(session, broadcast_id, account_id)
            return {"broadcast_id": broadcast_id, "read_at": item.read_at.isoformat()}

    @rpc
    def broadcast_read_rate(self, broadcast_id, actor=None):
        """For the notice's sender, or an actor whose reach holds the notice's scope."""
        actor = Actor.from_wire(actor)
        with self.db.read() as session:
            broadcast, rates = broadcasts.read_rate(session, broadcast_id, scope=_reach(actor),
                                                    viewer=actor.username if actor else None)
            return dict(broadcast_schema.dump(broadcast), **rates)

    # --- roster import ------------------------------------------------------------------------------
    @rpc
    def import_roster(self, content_base64, filename=None, actor=None):
        """``filename``: its extension (.csv, .xlsx, .xls, .ods) picks the reader; None
        lets the content's first bytes decide. Every row's grid must lie in the actor's
        reach."""
        return self._import_roster(content_base64, filename, actor)

    @rpc
    def start_roster_job(self, content_base64, filename=None, actor=None):
        """The roster import as a job (common.jobs), answered at once: for a large file."""
        return self.jobs.launch("roster_import", lambda progress: self._import_roster(
            content_base64, filename, actor, progress), total=0, actor=Actor.from_wire(actor))

    @rpc
    def get_job(self, job_id, actor=None):
        return self.jobs.get(job_id, Actor.from_wire(actor))

    def _import_roster(self, content_base64, filename=None, actor=None, progress=None):
        progress = progress or (lambda phase, done, total: None)
        actor = Actor.from_wire(actor)
        scope = _reach(actor)
        if scope == "":
            raise Forbidden("Your account has no grid scope, so it posts no one.", code="OUT_OF_SCOPE",
                            details={"your_scope": None})
        if filename is not None and not isinstance(filename, str):
            raise InvalidInput("filename must be text.", code="VALIDATION_FAILED",
                               details={"fields": {"filename": ["must be a string"]}})
        try:
            content = base64.b64decode(content_base64, validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise roster.RosterRejected("The roster upload is not valid base64.", details={"errors": []}) from None
        today = shanghai_date()
        progress("reading", 0, 1)
        header, rows = roster.read_rows(content, filename)
        progress("checking", 0, len(rows))
        records, errors = roster.check_rows(header, rows, today)
        errors += roster.ineligible(records, self.recruitment, today, header)
        codes = {r["grid_code"] for r in records if r["grid_code"].isdigit()}
        active = set(self.grid.active_codes(sorted(codes))) if codes else set()
        grid_label = header[roster.map_columns(header)["grid_code"]]
        errors += [{"row": r["row"], "column": grid_label, "reason": f"grid {r['grid_code']} does not exist"}
                   for r in records if r["grid_code"].isdigit() and r["grid_code"] not in active]
        if scope:
            errors += [{"row": r["row"], "column": grid_label, "reason": f"grid {r['grid_code']} is outside your "
                        f"scope {scope}"} for r in records if r["grid_code"] and not r["grid_code"].startswith(scope)]
        with self.db.read() as session:
            errors += [{"row": row, "column": "身份证号码", "reason": "this person is already registered"}
                       for row in sorted(roster.known_persons(session, self.pii, records))]
        if errors:
            errors.sort(key=lambda e: e["row"])
            raise roster.RosterRejected(
                f"Roster rejected: {len({e['row'] for e in errors})} of {len(rows)} rows have problems; "
                "nothing was imported.", details={"errors": errors[:1000], "error_count": len(errors)})
        progress("storing", len(rows), len(rows))
        with self.db.transaction() as session:
            persons, posts = roster.store(session, self.pii, records, today)
            for post in posts:  # the same view as one posted by hand (its role label too)
                self.outbox.add(session, "person_assigned", staff.assignment_view(Assignment(**post)))
        progress("storing", len(rows), len(rows))
        return {"imported": len(persons), "assignments": len(posts)}

    # --- paged reads: scoring rebuilds its read model from these ---------------------------------------
    # Each ``(after=None, limit=1000)`` -> {"items": [event payload, ...], "next": the last id of the
    # page, or None on the last}, in id order; ``limit`` 1-5000 (400 VALIDATION_FAILED naming it).
    def _page(self, model, payload, after, limit):
        return self._paged(lambda session, after, limit: pages.page(session, model, payload, after, limit), after,
                           limit)

    def _paged(self, read, after, limit):
        """``read(session, after, limit)``'s page, its arguments checked."""
        after, limit = pages.page_args(after, limit)
        with self.db.read() as session:
            return read(session, after, limit)

    @rpc
    def patrols_page(self, after=None, limit=pages.DEFAULT_LIMIT):
        return self._page(PatrolCheckin, patrols.patrol_payload, after, limit)

    @rpc
    def visits_page(self, after=None, limit=pages.DEFAULT_LIMIT):
        return self._page(Visit, patrols.visit_payload, after, limit)

    @rpc
    def assignments_page(self, after=None, limit=pages.DEFAULT_LIMIT):
        return self._page(Assignment, staff.assignment_view, after, limit)

    @rpc
    def households_page(self, after=None, limit=pages.DEFAULT_LIMIT):
        return self._page(Household, residents.household_payload, after, limit)

    @rpc
    def sentiments_page(self, after=None, limit=pages.DEFAULT_LIMIT):
        return self._page(SentimentRecord, sentiments.payload, after, limit)

    @rpc
    def party_service_page(self, after=None, limit=pages.DEFAULT_LIMIT):
        return self._paged(party.service_entries_page, after, limit)

    @rpc
    def service_days_page(self, after=None, limit=pages.DEFAULT_LIMIT):
        return self._page(ServiceDay, party.service_day_payload, after, limit)

    @rpc
    def service_day_sign_ins_page(self, after=None, limit=pages.DEFAULT_LIMIT):
        return self._paged(party.sign_ins_page, after, limit)

    @rpc
    def confirmed_wishes_page(self, after=None, limit=pages.DEFAULT_LIMIT):
        return self._paged(wishes.confirmed_page, after, limit)
