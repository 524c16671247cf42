import base64
import datetime as dt

from common.actor import Actor
from common.db import Database
from common.errors import Forbidden, InvalidInput, NotFound
from common.ops import OpsEndpoints
from common.outbox import Outbox
from common.roles import SUPERVISOR_READERS
from common.rpc import ServiceRpc, rpc
from scoring import MIGRATIONS_DIR, assessments, engine, entries, exports, indicators, measures, witness
from scoring.feed import FactsFeed
from scoring.integrity.endpoints import IntegrityEndpoints
from scoring.periods import parse_period


def _bootstrap(handle, config=None):
    with handle.transaction() as session:
        assessments.ensure_default_plans(session)


class ScoringService(FactsFeed, IntegrityEndpoints, OpsEndpoints):
    name = "scoring"

    db = Database(MIGRATIONS_DIR, bootstrap=_bootstrap)
    outbox = Outbox()
    people = ServiceRpc("people", timeouts={"staff_names": 30, "party_members": 30})
    tickets = ServiceRpc("tickets")
    grid = ServiceRpc("grid", timeouts={"grid_labels": 30})

    @rpc
    def tickets_reported(self, root=None):
        with self.db.read() as session:
            return indicators.tickets_reported(session, root)

    @rpc
    def trail_witness(self, ticket_id):
        """``{"ticket_id", "trail_seq", "trail_head"}``: the newest trail entry of the
        ticket its events announced, or None if none has reached this service."""
        with self.db.read() as session:
            return witness.trail_witness(session, ticket_id)

    @rpc
    def trail_witnesses(self, after_ticket_id=None, limit=500):
        """A page of every ticket's mark, in ticket id order (for ``python -m tickets.verify``)."""
        with self.db.read() as session:
            return witness.trail_witnesses(session, after_ticket_id, limit)

    # --- plans ------------------------------------------------------------------------------
    @rpc
    def list_plans(self, after=None, limit=None):
        with self.db.read() as session:
            return assessments.list_plans(session, after=after, limit=limit)

    @rpc
    def plan_versions(self, code):
        with self.db.read() as session:
            return assessments.plan_versions(session, code)

    @rpc
    def save_plan(self, document, actor=None):
        actor = Actor.from_wire(actor)
        with self.db.transaction() as session:
            return assessments.save_plan(session, document, actor.username if actor else "system")

    # --- entries ------------------------------------------------------------------------------
    @rpc
    def enter_self_assessment(self, data, actor=None):
        with self.db.transaction() as session:
            return _plain(entries.enter_self_assessment(session, data, Actor.from_wire(actor)))

    @rpc
    def enter_street_items(self, data, actor=None):
        actor = Actor.from_wire(actor)
        with self.db.transaction() as session:
            grid = _subject_grid(session, data, actor)
            return _plain(entries.enter_street_items(session, data, actor, grid))

    @rpc
    def rate(self, data, actor=None):
        """A rating, its rules asked of people (a resident's home) and tickets (a
        department's dispatches) first, outside the transaction; and people's word on
        when the rater's account was created, kept with the rating."""
        actor = Actor.from_wire(actor)
        context = entries.RaterContext()
        if actor is not None:
            context.account_created_at = self._account_created_at(actor.account_id)
        if actor is not None and isinstance(data, dict):
            kind, subject = data.get("kind"), data.get("subject_person_id")
            if kind == "resident" and actor.has_role({"resident"}):
                try:
                    context.home_grid = self.people.resident_home(actor.account_id)["grid_code"]
                except NotFound:
                    context.home_grid = None
            elif kind == "department" and actor.has_role({"department"}) and isinstance(subject, str):
                page = self.tickets.list_tickets({"responsible": subject, "limit": 1}, actor.to_wire())
                context.handled_by_department = bool(page["items"])
        with self.db.transaction() as session:
            rating = entries.rate(session, data, actor, context)
            return {"id": rating.id, "period": rating.period, "kind": rating.kind,
                    "subject_person_id": rating.subject_person_id, "score": rating.score,
                    "scale_max": rating.scale_max, "created_at": rating.created_at.isoformat()}

    def _account_created_at(self, account_id):
        """When people made the account; None if people knows no such account (the
        token outlived it): the rating's rules do not rest on it."""
        try:
            created = self.people.account_created_at(account_id)["created_at"]
        except NotFound:
            return None
        return dt.datetime.fromisoformat(created)

    # --- assessments ------------------------------------------------------------------------
    @rpc
    def run_assessment(self, data, actor=None):
        actor = Actor.from_wire(actor)
        data = _run_input(data)
        if actor is not None:
            actor.require_reach(data["scope"])
        with self.db.transaction() as session:
            return assessments.view(assessments.run(
                session, plan_code=data["plan"], plan_version=data["plan_version"], period=data["period"],
                scope=data["scope"], author=actor.username if actor else "system"))

    @rpc
    def list_assessments(self, filters=None, actor=None):
        actor = Actor.from_wire(actor)
        filters = filters or {}
        within = None if actor is None else actor.effective_root(filters.get("scope"))
        with self.db.read() as session:
            page = assessments.find(session, plan=filters.get("plan"), period=filters.get("period"),
                                    scope=filters.get("scope"), within=within, limit=filters.get("limit", 100),
                                    after=filters.get("after"))
            return page.answer([assessments.view(a) for a in page.rows])

    @rpc
    def get_assessment(self, assessment_id, actor=None):
        with self.db.read() as session:
            assessment = assessments.get(session, assessment_id)
            _may_read(Actor.from_wire(actor), assessment)
            return assessments.view(assessment)

    @rpc
    def publish_assessment(self, assessment_id, actor=None):
        actor = Actor.from_wire(actor)
        with self.db.transaction() as session:
            assessment = assessments.get(session, assessment_id)
            if actor is not None:
                actor.require_reach(assessment.scope)
            assessment = assessments.publish(session, assessment_id, actor.username if actor else "system")
            view = assessments.view(assessment)
            self.outbox.add(session, "assessment_published", {  # figures only, no personal data
                "assessment_id": assessment.id, "plan_code": assessment.plan_code,
                "plan_version": assessment.plan_version, "period": assessment.period, "scope": assessment.scope,
                "version": assessment.version, "subjects": assessment.summary.get("subjects"),
                "mean": assessment.summary.get("mean"), "published_at": view["published_at"]})
        return view

    @rpc
    def correct_assessment(self, assessment_id, data, actor=None):
        actor = Actor.from_wire(actor)
        reason = _reason(data)
        with self.db.transaction() as session:
            earlier = assessments.get(session, assessment_id)
            if actor is not None:
                actor.require_reach(earlier.scope)
            return assessments.view(assessments.correct(session, assessment_id, reason,
                                                        actor.username if actor else "system"))

    @rpc
    def assessment_results(self, assessment_id, subject=None, actor=None, after=None, limit=None):
        """Results with their breakdowns in rank order, a page at a time (``next``): a
        supervisor's whole scope, else one's own."""
        actor = Actor.from_wire(actor)
        with self.db.read() as session:
            assessment = assessments.get(session, assessment_id)
            subject = _readable_subject(actor, assessment, subject)
            page = assessments.results_page(session, assessment_id, subject, after=after, limit=limit)
            names = assessment.summary.get("names")
            view = assessments.view(assessment)
            items = [assessments.result_view(row, names) for row in page.rows]
        return {"assessment": view, **page.answer(self._named(items))}

    @rpc
    def result_refs(self, assessment_id, subject, actor=None):
        """Every fact behind a worker's result (a stored breakdown keeps the first few)."""
        actor = Actor.from_wire(actor)
        with self.db.read() as session:
            assessment = assessments.get(session, assessment_id)
            subject = _readable_subject(actor, assessment, subject)
            period = parse_period(assessment.period)
            return {"subject_id": subject, **measures.refs_of(session, [subject], period.start_day,
                                                              period.end_day)}

    @rpc
    def ranking(self, plan, period, scope, actor=None, after=None, limit=None):
        """The latest published assessment's results in rank order, a page at a time."""
        actor = Actor.from_wire(actor)
        _may_see_ranking(actor, scope)
        with self.db.read() as session:
            assessment = assessments.latest_published(session, plan, period, scope)
            view = assessments.view(assessment)
            page = assessments.results_page(session, assessment.id, after=after, limit=limit)
            items = [assessments.result_view(row, with_breakdown=False) for row in page.rows]
        return {"assessment": view, **page.answer(self._named(items))}

    def _named(self, items):
        """Results with the names people read them by: the worker's (people's staff
        register) or the grid's, and the grid's (the registry's)."""
        workers = sorted({item["subject_id"] for item in items if item["subject_kind"] == "worker"})
        people = self.people.staff_names(workers) if workers else {}
        codes = sorted({item["grid_code"] for item in items if item["grid_code"]})
        grids = self.grid.grid_labels(codes) if codes else {}
        for item in items:
            grid = grids.get(item["grid_code"] or "", {}).get("name")
            item["name"] = people.get(item["subject_id"]) if item["subject_kind"] == "worker" else grid
            item["grid_name"] = grid
        return items

    @rpc
    def grid_scores(self, root, top=0):
        """The latest published scores under ``root``: which assessments
        (assessments.scoring_the_subtree), the sum and count of their results per grid,
        and the ``top`` (0-50) best ranked, named. What the map colours by and a grid's
        overview shows."""
        if not (isinstance(root, str) and root.isdigit() and len(root) <= 24):
            raise InvalidInput("root must be a grid code (digits).", code="VALIDATION_FAILED",
                               details={"fields": {"root": ["a grid code"]}})
        if isinstance(top, bool) or not isinstance(top, int) or not 0 <= top <= 50:
            raise InvalidInput("top must be a whole number from 0 to 50.", code="VALIDATION_FAILED",
                               details={"fields": {"top": ["0-50"]}})
        with self.db.read() as session:
            answer = assessments.grid_scores(session, root, top)
        if answer["results"]:
            answer["results"] = self._named(answer["results"])
        return answer

    @rpc
    def export_assessment(self, assessment_id, format="xlsx", actor=None):
        """The posted sheet (公示) as a file: {filename, media_type, content_base64}."""
        if format not in exports.FORMATS:
            raise InvalidInput("The format is xlsx or csv.", code="VALIDATION_FAILED",
                               details={"fields": {"format": ["must be xlsx or csv"]}})
        actor = Actor.from_wire(actor)
        with self.db.read() as session:
            assessment = assessments.get(session, assessment_id)
            if assessment.status == "draft":
                _may_read(actor, assessment)
            else:
                _may_see_ranking(actor, assessment.scope)
            view = assessments.view(assessment)
            node_names = assessment.summary.get("names")
            plan = assessments.plan_row(session, assessment.plan_code, assessment.plan_version).document
            rows = assessments.results(session, assessment.id)
        people = [row.subject_id for row in rows if row.subject_kind == "worker"]
        names = self.people.staff_names(people) if people else {}
        grids = self.grid.grid_labels(sorted({row.grid_code for row in rows if row.grid_code})) if rows else {}
        title, header, lines = exports.sheet(view, plan, rows, names, grids, node_names)
        content = exports.as_xlsx(title, header, lines) if format == "xlsx" else exports.as_csv(title, header, lines)
        filename = f"{view['plan']}-{view['period']}-{view['scope']}-v{view['version']}.{format}"
        return {"filename": filename, "media_type": exports.FORMATS[format],
                "content_base64": base64.b64encode(content).decode()}

    @rpc
    def consequences(self, plan, year, scope, actor=None):
        """The lists a street acts on for a year, from its annual results."""
        actor = Actor.from_wire(actor)
        if actor is not None:
            actor.require_reach(scope)
        period = parse_period(str(year), field="year")
        if period.kind != "year":
            raise InvalidInput("Give a year.", code="VALIDATION_FAILED", details={"fields": {"year": ["must be a year"]}})
        with self.db.read() as session:
            plan_rules, by_year = assessments.annual_results_by_year(session, plan, scope, range(
                period.year - 4, period.year + 1))
        grids = sorted({r.grid_code for results in by_year.values() for r in results if r.grid_code})
        depths = {code: label["depth"] for code, label in (self.grid.grid_labels(grids) if grids else {}).items()}
        if period.year not in by_year:
            raise assessments.AssessmentNotFound(f"No {plan} results of {scope} for {period.year}.",
                                                 details={"plan": plan, "year": period.year, "scope": scope})
        members = ()
        if plan_rules.consequences.three_priorities:
            workers = sorted({r.subject_id for r in by_year[period.year] if r.subject_kind == "worker"})
            members = self.people.party_members(workers) if workers else []
        return engine.consequences(by_year, plan_rules, depths, year=period.year, party_members=members).to_dict()


def _plain(row):
    return {key: (value.isoformat() if hasattr(value, "isoformat") else value) for key, value in row.items()}


def _run_input(data):
    if not isinstance(data, dict):
        raise InvalidInput("The body must be an object.", code="VALIDATION_FAILED",
                           details={"fields": {"_schema": ["must be an object"]}})
    errors = {}
    for field in ("plan", "period", "scope"):
        if not isinstance(data.get(field), str) or not data[field]:
            errors[field] = ["required"]
    version = data.get("plan_version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= 10000):
        errors["plan_version"] = ["must be a version number from 1"]
    if errors:
        raise InvalidInput("Invalid assessment: " + ", ".join(errors), code="VALIDATION_FAILED",
                           details={"fields": errors})
    return {"plan": data["plan"], "plan_version": version, "period": data["period"], "scope": data["scope"]}


def _reason(data):
    reason = data.get("reason") if isinstance(data, dict) else None
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 2000:
        raise InvalidInput("A correction says why (reason, up to 2000 characters).", code="VALIDATION_FAILED",
                           details={"fields": {"reason": ["required"]}})
    return reason.strip()


def _subject_grid(session, data, actor):
    """The grid street items are judged by: the subject grid itself, or a worker's post
    in the period that the actor reaches (else the first)."""
    if not isinstance(data, dict) or not isinstance(data.get("subject_id"), str):
        return ""
    subject = data["subject_id"]
    if subject.isdigit():
        return subject
    try:
        period = parse_period(str(data.get("period")))
    except InvalidInput:
        return ""
    posts = entries.posts_in_period(session, subject, period)
    if not posts:
        raise InvalidInput("That person holds no post in the period.", code="UNKNOWN_SUBJECT",
                           details={"field": "subject_id"})
    reachable = [grid for grid, _ in posts if actor is None or actor.reaches(grid)]
    return (reachable or [posts[0][0]])[0]


def _may_read(actor, assessment):
    """Supervisors read assessments of scopes they reach."""
    if actor is None:
        return
    if not actor.has_role(SUPERVISOR_READERS):
        raise Forbidden("Your role reads your own results, not the whole assessment.", code="ROLE_FORBIDDEN",
                        details={"required_any_of": sorted(SUPERVISOR_READERS)})
    actor.require_reach(assessment.scope)


def _readable_subject(actor, assessment, subject):
    """A supervisor reaching the scope reads any subject (or all: None); anyone else
    reads only their own result, as a person."""
    if actor is None:
        return subject
    if actor.has_role(SUPERVISOR_READERS) and actor.reaches(assessment.scope):
        return subject
    if actor.person_id and (subject is None or subject == actor.person_id):
        return actor.person_id
    raise Forbidden("You read your own result only.", code="NOT_YOUR_RESULT", details={"field": "subject"})


def _may_see_ranking(actor, scope):
    """A published ranking is posted to the scope: those who reach it, and those who
    work inside it."""
    if actor is None or actor.reach is None:
        return
    reach = actor.reach
    if reach and (scope.startswith(reach) or reach.startswith(scope)):
        return
    raise Forbidden(f"The ranking of {scope} is posted within it.", code="OUT_OF_SCOPE", details={"field": "scope"})
