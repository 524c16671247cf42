"""The tickets service's nameko entrypoints, kept thin: each loads its input, calls
intake, actions, queries, clocks, rehoming or the trail in a transaction, and puts
the step's events in the outbox."""
import datetime as dt
import hashlib
import json
import logging

from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from nameko.timer import timer
from sqlalchemy.exc import IntegrityError

from common import config as cfg
from common.db import Database, utcnow
from common.errors import InvalidInput, NotFound, Unavailable
from common.events import grid_change
from common.inbox import idempotent_handler
from common.ops import OpsEndpoints
from common.outbox import Outbox
from common.pii import clear_roles, load_cipher, normalise_phone
from common.roles import GRID_SCOPED, RESIDENTS
from common.rpc import ServiceRpc, rpc
from common.shanghai import shanghai_date
from common.validation import load
from tickets import (MIGRATIONS_DIR, actions, card_reports, clocks, gauges, households, intake, published, queries,
                     rehoming, reports, snapshots, statistics, trail, workflow)
from tickets.calendar import load_calendar, warn_missing_years
from tickets.catalogue import DEPARTMENTS, Catalogue
from tickets.exceptions import (HolidayScheduleInvalid, IdempotencyKeyReused, UnknownGrid, VersionConflict,
                                WhistleLevelsInvalid)
from tickets.gauges import TicketGauges
from tickets.models import IdempotentRequest
from tickets.responsible import ResponsibleWorkers
from tickets.schemas import (ActionSchema, CardReportSchema, CarriedProblemSchema, DispatchSchema, ExportPageSchema,
                             HouseholdTicketFilterSchema, NewTicketSchema, PeriodSchema, PublishedQuerySchema,
                             ReportPeriodSchema, SnapshotPageSchema, TicketFilterSchema, TicketIdsSchema, TicketSchema,
                             TrackingSchema)
from tickets.visibility import reveal_reporter, ticket_seen_by, trail_seen_by

log = logging.getLogger(__name__)

ticket_filter_schema = TicketFilterSchema()
dispatch_schema = DispatchSchema()
new_ticket_schema, action_schema = NewTicketSchema(), ActionSchema()
card_report_schema, tracking_schema = CardReportSchema(), TrackingSchema()
carried_problem_schema, household_filter_schema = CarriedProblemSchema(), HouseholdTicketFilterSchema()
# What the reporter of a merged duplicate sees of the original: progress, not its reporter.
original_schema = TicketSchema(
    only=("id", "number", "status", "level", "outcome", "resolved_at", "feedback_at", "closed_at"))


class TicketSettings(DependencyProvider):
    """``actions.Settings`` from the environment: catalogue, working calendar, windows
    and whistle levels."""

    def setup(self):
        config = self.container.config
        path = cfg.env("TICKET_CATALOGUE", None, config)
        try:
            calendar = load_calendar(cfg.env("TICKET_HOLIDAY_FILE", None, config),
                                     cfg.env("TICKET_HOLIDAYS", "", config), cfg.env("TICKET_MAKEUP_DAYS", "", config))
        except HolidayScheduleInvalid as error:  # one plain line before nameko's traceback
            log.error("Refusing to start on a wrong working-day calendar: %s", error.message)
            raise
        try:
            whistle_levels = workflow.whistle_levels(cfg.env(workflow.WHISTLE_LEVELS_SETTING, ",".join(
                workflow.WHISTLE_LEVELS_DEFAULT), config))
        except WhistleLevelsInvalid as error:
            log.error("Refusing to start on wrong whistle levels: %s", error.message)
            raise
        self.settings = actions.Settings(
            catalogue=Catalogue.from_file(path) if path else Catalogue(),
            calendar=calendar,
            reopen_window=dt.timedelta(days=cfg.env_float("TICKET_REOPEN_DAYS", 7, config)),
            duplicate_window=dt.timedelta(hours=cfg.env_float("TICKET_DUPLICATE_HOURS", 72, config)),
            whistle_levels=whistle_levels,
        )
        warn_missing_years(self.settings.calendar, shanghai_date())

    def get_dependency(self, worker_ctx):
        return self.settings


class ReporterCipher(DependencyProvider):
    """The cipher for reporters' phone numbers (keys from PII_KEY)."""

    def setup(self):
        self.cipher = load_cipher(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.cipher


class CardReportRules(DependencyProvider):
    """card_reports.CardRules from the environment: the limits on reports through a
    grid's public card, per address and per grid, and what counts as a burst."""

    def setup(self):
        config, default = self.container.config, card_reports.CardRules()
        self.rules = card_reports.CardRules(
            per_grid=cfg.env_int("CARD_REPORTS_PER_HOUR", default.per_grid, config),
            per_address=cfg.env_int("CARD_REPORTS_PER_ADDRESS_PER_HOUR", default.per_address, config),
            burst_reports=cfg.env_int("CARD_BURST_REPORTS", default.burst_reports, config),
            burst_window=dt.timedelta(minutes=cfg.env_float(
                "CARD_BURST_MINUTES", default.burst_window.total_seconds() / 60, config)))

    def get_dependency(self, worker_ctx):
        return self.rules


KEY_LENGTH = IdempotentRequest.key.type.length


def _check_key(key):
    """A key is up to KEY_LENGTH visible characters (a UUID is usual): a longer one failed
    the request's insert after its work, as a 500."""
    if key and not (isinstance(key, str) and len(key) <= KEY_LENGTH and key.isprintable() and key.isascii()):
        raise InvalidInput(f"Idempotency-Key must be at most {KEY_LENGTH} visible ASCII characters (a UUID will do).",
                           code="INVALID_IDEMPOTENCY_KEY", details={"field": "Idempotency-Key"})


def fingerprint(*parts):
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class TicketsService(ResponsibleWorkers, OpsEndpoints):
    name = "tickets"

    db = Database(MIGRATIONS_DIR)
    outbox = Outbox()
    gauges = TicketGauges()
    settings = TicketSettings()
    cipher = ReporterCipher()
    card_rules = CardReportRules()
    config = Config()
    grid = ServiceRpc("grid")
    scoring = ServiceRpc("scoring")  # the witness of every ticket's trail head

    # --- idempotency (the IETF Idempotency-Key convention) -----------------------------
    def _replayed(self, key, account_id, print_):
        if not key:
            return None
        with self.db.read() as session:
            seen = session.get(IdempotentRequest, (key, account_id or "-"))
            if seen is None:
                return None
            if seen.fingerprint != print_:
                raise IdempotencyKeyReused("This Idempotency-Key was used for a different request.",
                                           details={"idempotency_key": key})
            return seen.response

    def _once(self, key, account_id, print_, work):
        """``work()`` once per Idempotency-Key. A retry gets the first result, even one
        racing the first: its insert of the key (or its version check) fails once the
        first commits, and it answers with what the first stored, not a 500 or a 409."""
        _check_key(key)
        replay = self._replayed(key, account_id, print_)
        if replay is not None:
            return replay
        try:
            return work()
        except (IntegrityError, VersionConflict):
            replay = self._replayed(key, account_id, print_)
            if replay is None:
                raise
            return replay

    def _remember(self, session, key, *, account_id, print_, response):
        if key:
            session.add(IdempotentRequest(key=key, account_id=account_id or "-", fingerprint=print_,
                                          response=response))

    # --- intake --------------------------------------------------------------------------
    def _where(self, data):
        """(grid_code, lon, lat): by location through the grid service, else the grid given."""
        if data.get("location"):
            where = data["location"]
            try:
                found = self.grid.locate(where["lon"], where["lat"], where["crs"])
            except NotFound:
                raise InvalidInput(f"The location ({where['lon']}, {where['lat']}) is outside every grid.",
                                   code="LOCATION_OUTSIDE_GRIDS", details={"field": "location"}) from None
            return found["grid"]["code"], found["lon"], found["lat"]
        try:
            self.grid.get_grid(data["grid_code"])
        except NotFound:
            raise UnknownGrid(f"Grid {data['grid_code']} does not exist.", details={"field": "grid_code"}) from None
        return data["grid_code"], None, None

    @rpc
    def report_ticket(self, data, actor, idempotency_key=None):
        """A new ticket reported by ``actor`` (the caller, as common.actor sends it; None:
        an internal caller, no reporter). Grid staff report inside their reach only;
        residents and departments anywhere."""
        data = load(new_ticket_schema, data, "ticket")
        reporter = workflow.Actor.from_wire(actor)
        account_id = reporter and reporter.account_id
        print_ = idempotency_key and fingerprint("report", data)
        return self._once(idempotency_key, account_id, print_,
                          lambda: self._report(data, reporter, idempotency_key, print_))

    def _report(self, data, reporter, idempotency_key, print_):
        intake.category_of(self.settings, data["category"])  # before any remote call
        role = reporter.roles[0] if reporter and reporter.roles else None
        data["source"] = intake.source_for(data["source"], role)
        if data.get("reporter_phone"):
            data["reporter_phone"] = normalise_phone(data["reporter_phone"], "reporter_phone")
        confined = reporter is not None and reporter.has_role(GRID_SCOPED) and not reporter.district_wide
        if confined and data.get("grid_code") and not data.get("location"):
            reporter.require_reach(data["grid_code"])  # before asking grid about it
        data["grid_code"], data["lon"], data["lat"] = self._where(data)
        if confined:
            reporter.require_reach(data["grid_code"])  # a location: where grid found it; nothing is stored yet
        return self._file_report(data, reporter, idempotency_key, print_,
                                 marks={"household_id": self._resident_household(reporter, data)})

    def _file_report(self, data, reporter, idempotency_key, print_, marks=None):
        """Store a report whose input is checked and whose grid is found: the ticket with
        the first entry of its trail, its event and the Idempotency-Key's record, in one
        transaction. ``marks``: as intake.report takes them (the household it is for)."""
        now = utcnow()
        account_id = reporter and reporter.account_id
        with self.db.transaction() as session:
            ticket = intake.report(session, data, now=now, settings=self.settings, cipher=self.cipher,
                                   reporter=reporter, marks=marks)
            session.flush()  # the version the client must send with its first action
            result = ticket_seen_by(ticket, account_id)
            self.outbox.add(session, "ticket_reported", snapshots.step_event(
                ticket, "report", ticket.reported_at, reporter, **trail.trail_mark(session, ticket)))
            self._remember(session, idempotency_key, account_id=account_id, print_=print_, response=result)
        return result

    # --- reports through a grid's public card ----------------------------------------------------
    @rpc
    def report_from_card(self, grid_code, data, client_address=None):
        """A report through the QR code on ``grid_code``'s board, with nobody signed in
        (card_reports): limited per ``client_address``, flagged in a burst, answered with
        the number and a tracking code the reporter alone is given."""
        data = load(card_report_schema, data, "report")
        category = intake.category_of(self.settings, data["category"])  # before any remote call
        phone = data["phone"] and normalise_phone(data["phone"], "phone")
        lon, lat = self._on_card_grid(grid_code, data["location"])
        address_hash = self.cipher.search_hash(client_address or "unknown")
        code = card_reports.new_tracking_code()
        now, rules = utcnow(), self.card_rules
        anonymous = not (data["name"] or phone)
        with self.db.transaction() as session:
            card_reports.check_limits(session, grid_code=grid_code, address_hash=address_hash, now=now, rules=rules)
            flag = card_reports.review_flag(session, grid_code=grid_code, now=now, rules=rules)
            ticket = intake.report(session, {
                "category": category.code, "grade": "daily", "source": card_reports.SOURCE, "grid_code": grid_code,
                "description": data["description"], "lon": lon, "lat": lat, "anonymous": anonymous,
                "reporter_name": data["name"], "reporter_phone": phone,
            }, now=now, settings=self.settings, cipher=self.cipher, marks={
                "client_address_hash": address_hash, "tracking_hash": self.cipher.search_hash(code),
                "review_flag": flag})
            session.flush()
            self.outbox.add(session, "ticket_reported", snapshots.step_event(
                ticket, "report", ticket.reported_at, None, **trail.trail_mark(session, ticket)))
            return {"number": ticket.number, "grid_code": grid_code, "category": category.code,
                    "category_name": category.name, "status": ticket.status, "anonymous": anonymous,
                    "review_flag": flag, "tracking_code": code, "reported_at": ticket.reported_at.isoformat()}

    def _on_card_grid(self, grid_code, location):
        """(lon, lat) of a location inside the card's grid (None, None without one); 400
        naming ``location`` for one outside it, 404 for a grid that is not."""
        if not location:
            try:
                self.grid.get_grid(grid_code)
            except NotFound:
                raise UnknownGrid(f"Grid {grid_code} does not exist.", details={"field": "grid_code"}) from None
            return None, None
        try:
            found = self.grid.locate(location["lon"], location["lat"], location["crs"])
        except NotFound:
            found = None
        if not found or found["grid"]["code"] != grid_code:
            raise InvalidInput(f"The location ({location['lon']}, {location['lat']}) is not in grid {grid_code}: "
                               "report it through that grid's card, or leave the location out.",
                               code="LOCATION_OUTSIDE_GRID", details={"field": "location"})
        return found["lon"], found["lat"]

    @rpc
    def track_card_report(self, tracking_code):
        """Where a card report is in the loop, for the holder of its tracking code; an
        unknown code is 404 as a free one is."""
        given = load(tracking_schema, {"tracking_code": tracking_code}, "tracking code")["tracking_code"]
        code = card_reports.normalise_tracking_code(given)
        with self.db.read() as session:
            ticket = card_reports.tracked(session, self.cipher.search_hash(code))
            if ticket is None:
                raise NotFound("No report has this tracking code.", code="TRACKING_CODE_NOT_FOUND",
                               details={"field": "tracking_code"})
            category = self.settings.catalogue.get(ticket.category)
            return card_reports.progress(ticket, category.name if category else ticket.category)

    # --- actions ------------------------------------------------------------------------------
    @rpc
    def act(self, ticket_id, body, actor, idempotency_key=None):
        body = load(action_schema, body, "action")
        actor = workflow.Actor.from_wire(actor)
        if actor is None:  # every step of the loop is someone's, in the trail
            raise InvalidInput("An action needs the actor taking it.", code="VALIDATION_FAILED",
                               details={"fields": {"actor": ["required"]}})
        print_ = idempotency_key and fingerprint("act", ticket_id, body)
        return self._once(idempotency_key, actor.account_id, print_, lambda: self._act(
            ticket_id, body=body, actor=actor, idempotency_key=idempotency_key, print_=print_))

    def _act(self, ticket_id, *, body, actor, idempotency_key, print_):
        action, version = body.pop("action"), body.pop("version")
        registered = ()
        if action == "whistle" and actions.unknown_departments(self.settings.catalogue, body.get("departments")):
            # Only a whistle this actor may blow on this ticket now is worth asking people
            # about: reach, version, state and authority answer first, people down or not.
            with self.db.read() as session:
                actions.try_action(session, ticket_id, action=action, actor=actor, payload=body,
                                   expected_version=version, now=utcnow(), settings=self.settings)
            registered = self._registered_departments()
        now = utcnow()
        with self.db.transaction() as session:
            ticket, change = actions.act(session, ticket_id, action=action, actor=actor, payload=body,
                                         expected_version=version, now=now, settings=self.settings,
                                         registered_departments=registered)
            session.flush()
            result = {"ticket": ticket_seen_by(ticket, actor.account_id), "action": action,
                      "allowed_next": workflow.allowed_actions(
                          ticket, whistle_levels=self.settings.whistle_levels)}
            mark = trail.trail_mark(session, ticket)
            if change.event:
                self.outbox.add(session, change.event,
                                snapshots.step_event(ticket, action, now, actor, **change.data, **mark))
            else:
                self._trail_extended(session, ticket, action=action, actor=actor, now=now)
            for other in change.also_extended:  # a merge's original: its merged_in entry
                self._trail_extended(session, other, action="merged_in", actor=actor, now=now)
            self._remember(session, idempotency_key, account_id=actor.account_id, print_=print_, response=result)
        return result

    def _trail_extended(self, session, ticket, *, action, actor, now):
        """Carry a new trail head that no other event announces to the witness (and the
        ticket's snapshot after the step, as every ticket event does)."""
        self.outbox.add(session, "ticket_trail_extended",
                        snapshots.step_event(ticket, action, now, actor, **trail.trail_mark(session, ticket)))

    def _registered_departments(self):
        """The departments people has registered (functional departments and property
        companies), which a whistle may summon beyond the catalogue's."""
        return {d["code"] for d in self.people.list_departments()["items"]
                if d["kind"] in ("functional_department", "property_company")}

    # --- reading --------------------------------------------------------------------------------
    @rpc
    def ticket_descriptions(self, ticket_ids):
        """{ticket_id: description} for those of ``ticket_ids`` (at most 1,000) that exist:
        the texts behind an integrity flag's evidence, shown to the auditor reading it."""
        ticket_ids = load(TicketIdsSchema, {"ids": ticket_ids}, "ticket descriptions query")["ids"]
        with self.db.read() as session:
            return queries.descriptions(session, ticket_ids)

    @rpc
    def get_ticket(self, ticket_id, viewer=None, with_actions=True, reveal=False):
        """The ticket as ``viewer`` (an actor, as common.actor sends it) sees it, with the
        actions its state admits and (``with_actions``) those the viewer may take; 404
        TICKET_NOT_FOUND if it is beyond the viewer's reach, as for a free id. ``reveal``:
        the reporter's phone in clear, for those visibility.reveal_reporter lets (logged)."""
        viewer = workflow.Actor.from_wire(viewer, "viewer")
        reveal = bool(reveal and viewer)
        with self.db.transaction() if reveal else self.db.read() as session:  # a clear read writes its log line
            ticket, dispatches = queries.reachable(session, ticket_id, viewer)
            view = ticket_seen_by(ticket, viewer and viewer.account_id)
            view["dispatches"] = dispatch_schema.dump(dispatches, many=True)
            settings = self.settings
            view["allowed_actions"] = workflow.allowed_actions(ticket, whistle_levels=settings.whistle_levels)
            if viewer and (with_actions or reveal):
                view["your_actions"] = workflow.actions_for(
                    ticket, actor=viewer, category=intake.category_of(settings, ticket.category),
                    dispatches=workflow.this_round(ticket, dispatches), now=utcnow(),
                    reopen_window=settings.reopen_window, whistle_levels=settings.whistle_levels)
            if reveal:
                reveal_reporter(session, view, ticket=ticket, viewer=viewer, viewer_actions=view["your_actions"],
                                cipher=self.cipher, clear_roles=clear_roles(self.config))
            if ticket.duplicate_of:  # a merged report follows the ticket it was folded into
                original = queries.original_of(session, ticket)
                view["original"] = original and original_schema.dump(original)
            return view

    @rpc
    def list_tickets(self, filters, actor):
        """{"items": a page of tickets, "next": the cursor of the next page or None}, of
        those ``actor`` reaches (None: an internal caller, all); filters as
        TicketFilterSchema loads them."""
        actor = workflow.Actor.from_wire(actor)
        filters = queries.within_reach(load(ticket_filter_schema, filters or {}, "ticket list query"), actor)
        with self.db.read() as session:
            page, after = queries.list_tickets(session, filters, utcnow())
            return {"items": [ticket_seen_by(t, actor and actor.account_id) for t in page], "next": after}

    @rpc
    def ticket_history(self, ticket_id, viewer=None):
        viewer = workflow.Actor.from_wire(viewer, "viewer")
        with self.db.read() as session:
            ticket, _ = queries.reachable(session, ticket_id, viewer)
            return trail_seen_by(trail.trail_of(session, ticket.id), ticket, viewer and viewer.account_id)

    @rpc
    def verify_ticket(self, ticket_id, viewer=None):
        """Whether the ticket's trail and row are intact, checked against the witness
        scoring keeps of its trail head; if scoring does not answer, ``witness`` says so
        (``checked: false``) and ``intact`` reflects the local checks only."""
        viewer = workflow.Actor.from_wire(viewer, "viewer")
        with self.db.read() as session:
            ticket, _ = queries.reachable(session, ticket_id, viewer)
            ticket_id = ticket.id
        witness = self._witness(ticket_id)  # before the trail is read: a step meanwhile only lengthens it
        with self.db.read() as session:
            return trail.verify(session, ticket_id, witness)

    def _witness(self, ticket_id):
        try:
            return self.scoring.trail_witness(ticket_id)
        except Unavailable as exc:
            return {"checked": False, "reason": exc.message}

    @rpc
    def ticket_snapshots(self, after=None, limit=1000):
        """``{"items": [snapshots.snapshot of each ticket], "next": the last ticket id of the
        page, or None on the last}``, in ticket id order, after the ticket id ``after``;
        ``limit`` 1-5000. The snapshots every ticket event carries, for scoring's rebuild."""
        page = load(SnapshotPageSchema, {"after": after, "limit": limit}, "snapshot page")
        with self.db.read() as session:
            return snapshots.snapshot_page(session, page["after"], page["limit"])

    @rpc
    def ticket_statistics(self, root=None, start=None, end=None):
        """statistics.ticket_statistics over the subtree and days, its queries run at
        once, with the grids under ``root`` (grid's, as it names them now), the
        categories and the departments named."""
        dates = load(PeriodSchema, {"start": start, "end": end}, "period")
        return self._statistics(root, dates)

    def _statistics(self, root, dates):
        children = self.grid.child_grids(root)
        answer = statistics.ticket_statistics(
            None, root, start_day=dates["start"], end_day=dates["end"],
            children=[child["code"] for child in children], read_all=self.db.read_all)
        grids = {child["code"]: child["name"] for child in children}
        retired = [row["code"] for row in answer["breakdowns"]["grids"] if row["code"] not in grids]
        if retired:  # closed tickets keep a grid that a split or merge retired, and the root's own
            grids.update({code: label["name"] for code, label in self.grid.grid_labels(retired).items()})
        return statistics.name_breakdowns(answer, grids=grids, categories=self._category_names(),
                                          departments=self._department_names(
                                              row["code"] for row in answer["breakdowns"]["departments"]))

    def _department_names(self, codes):
        """{code: name}: the catalogue's departments, and those people registered for
        any other of ``codes`` (left unnamed if people does not answer: the figures
        stand without their names)."""
        names = dict(DEPARTMENTS)
        if set(codes) - set(names):
            try:
                names.update({d["code"]: d["name"] for d in self.people.list_departments()["items"]})
            except Unavailable:
                log.warning("people did not answer: departments beyond the catalogue are left unnamed")
        return names

    def _category_names(self):
        return {category.code: category.name for category in self.settings.catalogue}

    def _root_name(self, root):
        return root and self.grid.grid_labels([root]).get(root, {}).get("name")

    @rpc
    def open_tickets_by_grid(self, root=None):
        """``{"as_of", "grids": {grid code: [open, overdue]}}``: the open tickets under
        ``root`` (None: all) per grid, and how many of them are past a running deadline
        now, in one grouped query; the gateway rolls them up to the grids a map colours."""
        now = utcnow()
        with self.db.read() as session:
            return {"as_of": now.isoformat(), "grids": gauges.open_by_grid(session, _grid_root(root), now)}

    @rpc
    def open_ticket_totals(self, root=None):
        """``{"as_of", "rows": [[grade, status, overdue, count]]}``: the open tickets under
        ``root`` (None: all) by grade, state and whether overdue now, in one grouped
        query; a grid's overview."""
        now = utcnow()
        with self.db.read() as session:
            return {"as_of": now.isoformat(), "rows": gauges.open_totals(session, _grid_root(root), now)}

    @rpc
    def statistics_report(self, root=None, start=None, end=None, lang="zh"):
        """The statistics as the sheets of a report (reports.statistics_sheets):
        {"title", "filename_stem", "sheets": [{"name", "title", "header", "rows"}]}."""
        asked = load(ReportPeriodSchema, {"start": start, "end": end, "lang": lang}, "report")
        answer = self._statistics(root, asked)
        title, stem, sheets = reports.statistics_sheets(answer, root_name=self._root_name(root), lang=asked["lang"],
                                                        labels_of_categories=self._category_names())
        return {"title": title, "filename_stem": stem, "sheets": sheets}

    @rpc
    def export_tickets(self, filters, actor, lang="zh", before=None, limit=reports.EXPORT_PAGE_ROWS):
        """A page of the ticket list as a sheet's rows (reports.ticket_row), the list's
        filters, order and reach as list_tickets has them: {"header", "widths", "rows",
        "next"}, and on the first page (no ``before``) also "total", "title" and
        "filename_stem". The gateway asks page after page while it streams the file:
        no reply holds more than ``limit`` (1-5,000) rows. More than
        reports.MAX_EXPORT_ROWS tickets in all is a 400 EXPORT_TOO_LARGE on the first
        page, before anything is written."""
        actor = workflow.Actor.from_wire(actor)
        page = load(ExportPageSchema, {"lang": lang, "before": before, "limit": limit}, "ticket export page")
        filters = queries.within_reach(load(ticket_filter_schema, dict(filters or {}, before=page["before"]),
                                            "ticket export query"), actor)
        now = utcnow()
        with self.db.read() as session:
            answer = {}
            if not page["before"]:
                total = queries.count_tickets(session, filters, now)
                if total > reports.MAX_EXPORT_ROWS:
                    raise InvalidInput(
                        f"{total} tickets match: an export holds at most {reports.MAX_EXPORT_ROWS}. Ask for fewer "
                        "days or a smaller root.", code="EXPORT_TOO_LARGE",
                        details={"tickets": total, "max_rows": reports.MAX_EXPORT_ROWS})
                answer.update(total=total, sheet_name=reports.tickets_sheet_name(page["lang"]),
                              title=reports.tickets_title(filters.get("root"), self._root_name(filters.get("root")),
                                                          filters, page["lang"], now),
                              filename_stem=reports.tickets_filename_stem(filters.get("root"), filters, page["lang"],
                                                                          now))
            rows, after = queries.export_page(session, filters, page["limit"], now)
        grids = {code: label["name"] for code, label in
                 (self.grid.grid_labels(sorted({row.grid_code for row in rows})) if rows else {}).items()}
        header, widths = reports.ticket_header(page["lang"])
        categories = self._category_names()
        departments = self._department_names(row.lead_department for row in rows if row.lead_department)
        answer.update(header=header, widths=widths, next=after, rows=reports.ticket_rows(
            rows, lang=page["lang"], grids=grids, categories=categories, departments=departments))
        return answer

    @rpc
    def categories(self):
        return [category.view() for category in self.settings.catalogue]

    @rpc
    def published_tickets(self, query=None):
        """What anyone may read of the tickets of published categories (tickets.published:
        never the reporter), newest first; ``query`` as PublishedQuerySchema loads it."""
        query = load(PublishedQuerySchema, query or {}, "published tickets query")
        with self.db.read() as session:
            return published.published_tickets(session, self.settings.catalogue, **query)

    # --- party-member households (党员中心户; tickets.households holds the rules) ------------------
    def _resident_household(self, reporter, data):
        """The household a resident's report is for (households.resident_household), or
        None; None too when people does not answer: the report is taken all the same."""
        if reporter is None or not reporter.has_role(RESIDENTS) or data.get("anonymous"):
            return None
        try:
            home = self.people.resident_home(reporter.account_id)
        except NotFound:
            return None
        except Unavailable as exc:
            log.warning("a resident's report taken without its household: %s", exc.message)
            return None
        return households.resident_household(home, data["grid_code"], data.get("anonymous"))

    @rpc
    def carry_up(self, person_id, household_id, data, actor, idempotency_key=None):
        """三带去: the party member ``person_id`` (the actor themself) reports a problem of
        ``household_id``, one of their households: a ticket of the household's grid
        naming it. Idempotency-Key honoured as for a report."""
        reporter = workflow.Actor.from_wire(actor)
        households.require_member(reporter, person_id)
        data = load(carried_problem_schema, data, "carried-up problem")
        print_ = idempotency_key and fingerprint("carry_up", person_id, household_id, data)
        return self._once(idempotency_key, reporter.account_id, print_,
                          lambda: self._carry_up(person_id, household_id, data, reporter, idempotency_key, print_))

    def _carry_up(self, person_id, household_id, data, reporter, idempotency_key, print_):
        intake.category_of(self.settings, data["category"])  # before any remote call
        member = self.people.party_households(person_id, reporter.to_wire())
        household = households.linked_household(member, household_id)
        return self._file_report(households.carried_report(data, household), reporter, idempotency_key, print_,
                                 marks={"household_id": household["household_id"]})

    @rpc
    def household_tickets(self, person_id, filters=None, actor=None):
        """三带回: ``{"person_id", "households", "items", "next"}``, the tickets of the
        member's households newest first, for those people lets read the member's
        households (404 PERSON_NOT_FOUND otherwise, as for an id nobody has)."""
        viewer = workflow.Actor.from_wire(actor)
        filters = load(household_filter_schema, filters or {}, "query parameters")
        member = self.people.party_households(person_id, viewer and viewer.to_wire())
        query = households.list_filters(member, filters, own=viewer is not None and viewer.person_id == person_id,
                                        reach=viewer and viewer.reach)
        with self.db.read() as session:
            page, after = queries.list_tickets(session, query, utcnow())
            return households.page_view(member, page, after)

    # --- SLA clocks -------------------------------------------------------------------------------
    @timer(interval=30)
    def scan_sla(self):
        self.scan_sla_now()

    @rpc
    def scan_sla_now(self):
        """One scan of warnings and breaches (the timer runs it every 30 s on every replica)."""
        now = utcnow()
        with self.db.transaction() as session:
            for ticket, clock, due in clocks.scan_warnings(session, now):
                self.outbox.add(session, "sla_warning", snapshots.step_event(
                    ticket, "sla_warning", now, clock=clock, due=due.isoformat()))
        with self.db.transaction() as session:
            found = clocks.scan_breaches(session, now, self.settings)
            session.flush()  # the versions the escalations left, for the snapshots
            for ticket, clock, due, escalated in found:
                mark = trail.trail_mark(session, ticket) if escalated else {}  # the escalation's trail entry
                breach = dict(clock=clock, due=due.isoformat(), escalated_to=escalated, **mark)
                self.outbox.add(session, "sla_breached", snapshots.step_event(ticket, "sla_breach", now, **breach))
                if escalated:  # as an escalation by hand, with the breach behind it; nobody's step
                    self.outbox.add(session, "ticket_escalated",
                                    snapshots.step_event(ticket, "escalate", now, **breach))
        return [{"ticket_id": t.id, "clock": c, "escalated_to": e} for t, c, _, e in found]

    # --- grid changes ------------------------------------------------------------------------------
    def _locate_open_tickets(self, envelope):
        """{ticket id: new grid covering its location} for the open tickets of a split
        grid. The parts' outlines come from the grid service's database (one call per
        part, not per ticket): its in-memory index may not have the split yet when the
        event arrives here, and another replica's may lag further."""
        _, old_codes, new_codes, _ = grid_change(envelope)
        if len(new_codes) == 1:
            return {}
        with self.db.read() as session:
            located = [(t.id, t.lon, t.lat) for t in rehoming.open_tickets_in(session, old_codes) if t.lon is not None]
        if not located:
            return {}
        parts = {code: self.grid.get_grid(code, True)["geometry"] for code in new_codes}
        return rehoming.homes_in(parts, located)

    @idempotent_handler("grid", "grid_split", prepare=_locate_open_tickets)
    def handle_grid_split(self, session, envelope, homes):
        self._rehome(session, envelope, homes)

    @idempotent_handler("grid", "grid_merged", prepare=_locate_open_tickets)
    def handle_grid_merged(self, session, envelope, homes):
        self._rehome(session, envelope, homes)

    def _rehome(self, session, envelope, homes):
        how, old_codes, new_codes, _ = grid_change(envelope)
        now = utcnow()
        moves = rehoming.rehome(session, how, old_codes=old_codes, new_codes=new_codes, homes=homes, now=now)
        session.flush()  # the versions the moves left, for the snapshots
        for ticket, before in moves:
            self.outbox.add(session, "ticket_rehomed", snapshots.step_event(
                ticket, "rehome", now, from_grid_code=before, to_grid_code=ticket.grid_code, reason=how,
                **trail.trail_mark(session, ticket)))


def _grid_root(root):
    """``root`` as a subtree's code (None: all), else a 400 naming it."""
    if root is not None and not (isinstance(root, str) and root.isdigit() and len(root) <= 24):
        raise InvalidInput("root must be a grid code (digits).", code="VALIDATION_FAILED",
                           details={"fields": {"root": ["a grid code"]}})
    return root
