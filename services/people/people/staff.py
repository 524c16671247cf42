"""Staff, their grid assignments and departments, free of nameko."""
import logging

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from common import keyset
from common.db import utcnow
from common.errors import Forbidden, InvalidInput
from common.roles import DISTRICT_WIDE, in_scope
from common.shanghai import shanghai_date
from common.validation import FIRST_DAY
from people.exceptions import (DepartmentCodeTaken, DuplicatePerson, NotEligible, OverlappingAssignment,
                               OverrideForbidden, PersonNotFound)
from people.idcard import mask_id, mask_phone, normalise_phone, parse_id_number
from people.models import Assignment, Department, Person, PersonChange, RecruitmentOverride

log = logging.getLogger(__name__)

STAFF_ROLES = {
    "general_grid_chief": ("总网格长", "general grid chief"),
    "grid_chief": ("网格长", "grid chief"),
    "full_time_worker": ("专职网格员", "full-time grid worker"),
    "part_time_worker": ("兼职网格员", "part-time grid worker"),
    "grid_police": ("网格警", "grid police officer"),
    "instructor": ("网格指导员", "grid instructor"),
    "sentiment_officer": ("民情员", "public sentiment officer"),
    "coordinator": ("协调员", "coordinator"),
    "patrol_officer": ("巡防员", "patrol officer"),
    "building_head": ("楼栋长", "building head"),
    "unit_head": ("单元长", "unit head"),
    "volunteer": ("志愿者", "volunteer"),
    "party_member_in_service": ("在职党员", "in-service party member"),
    "department_liaison": ("部门联络员", "department liaison"),
}
# Grid management began in 2004; a post dated before 2000 is a typing slip, not history.
POSTS_FROM = FIRST_DAY  # no post is older than grid management: DAY_IN_RANGE's first day
DEPARTMENT_KINDS = {
    "functional_department": "职能部门", "town": "镇(街道)", "community": "村(社区)", "property_company": "物业公司",
}


def create_person(session, cipher, data, today=None):
    id_hash = birth = gender = None
    number = None
    if data.get("id_number"):
        number, birth, gender = parse_id_number(data["id_number"], today)
        for field_, read in (("birth_date", birth), ("gender", gender)):
            given = data.get(field_)
            if given and given != read:
                raise InvalidInput(f"{field_} disagrees with the ID number ({read}); leave it out or correct it.",
                                   code="INCONSISTENT_PERSON", details={"field": field_})
        id_hash = cipher.search_hash(number)
        existing = session.scalar(select(Person.id).where(Person.id_number_hash == id_hash))
        if existing:
            raise DuplicatePerson("A person with this ID number already exists.",
                                  details={"field": "id_number", "person_id": existing})
    phone = normalise_phone(data["phone"]) if data.get("phone") else None
    person = Person(
        name=data["name"], gender=data.get("gender") or gender, birth_date=data.get("birth_date") or birth,
        phone_enc=cipher.encrypt(phone), phone_hash=cipher.search_hash(phone),
        id_number_enc=cipher.encrypt(number), id_number_hash=id_hash,
        party_member=data.get("party_member", False), smartphone_user=data.get("smartphone_user", True),
        violation_recorded=data.get("violation_recorded", False), status="active",
    )
    session.add(person)
    session.flush()
    return person


def get_person(session, person_id):
    person = session.get(Person, person_id)
    if person is None:
        raise PersonNotFound(f"No person has the id {person_id}.", details={"person_id": person_id})
    return person


def require_works_in(scope, grids):
    """403 unless one of a person's ``grids`` lies in the caller's ``scope`` (None: the
    whole district): a community sees and logs for its own staff, no one else's."""
    if scope is not None and not any(in_scope(scope, code) for code in grids):
        # Where they are posted instead is not for a caller outside it to learn.
        message = (f"This person holds no post in your scope {scope}." if scope else
                   "Your account has no grid scope, so no one's staff record is within it.")
        raise Forbidden(message, code="OUT_OF_SCOPE", details={"field": "person_id", "your_scope": scope or None})


def posted_grids(session, person_id, day):
    """The grids of the person's posts running on ``day``: the one rule for where a
    person works (a post that ended, or one not begun yet, does not count)."""
    return {post.grid_code for post in assignments(session, person_id=person_id, on=day)}


def person_in_reach(session, person_id, scope, day=None):
    """The person (404 if there is none), if they hold a post in ``scope`` running on
    ``day`` (default today, Asia/Shanghai): a community keeps no power over someone who
    left its grids, nor gains it before a post begins. For reading the record and for
    acting alike; a record of work done (a round, a visit) names the day it was done."""
    person = get_person(session, person_id)
    if scope is not None:
        require_works_in(scope, posted_grids(session, person_id, day or shanghai_date()))
    return person


def may_read_person(session, person_id, reach, own_person_id=None, day=None):
    """The person, for a reader who is that person (``own_person_id``) or whose
    ``reach`` holds one of their posts running on ``day`` (see person_in_reach)."""
    if own_person_id is not None and own_person_id == person_id:
        return get_person(session, person_id)
    return person_in_reach(session, person_id, reach, day)


def may_post(session, person_id, reach, day=None):
    """The person, if a caller of this ``reach`` may give them a post: one who reaches
    the whole district, or already reaches the person (a post of theirs running on
    ``day``, default today), or anyone for a person with no post running at all.
    Otherwise 403 OUT_OF_SCOPE not naming where they are posted: posting someone
    would be a way into their record, points and history from another subtree."""
    person = get_person(session, person_id)
    if reach is not None:
        grids = posted_grids(session, person_id, day or shanghai_date())
        if grids:
            require_works_in(reach, grids)
    return person


# --- the recruitment rules at posting, and their override --------------------------------

def may_override(failed, reason, actor):
    """Nothing when the person meets the rules (``failed`` empty) and no override is
    asked, or when a district-wide actor overrides failed rules with a reason. Failed
    rules without a reason: 409 NOT_ELIGIBLE naming them; a reason from anyone else:
    403 OVERRIDE_FORBIDDEN; a reason where nothing failed: 400 naming it."""
    if not failed:
        if reason:
            raise InvalidInput("The person meets the recruitment rules: there is nothing to override.",
                               code="VALIDATION_FAILED",
                               details={"fields": {"override_reason": ["nothing to override"]}})
        return
    if not reason:
        raise NotEligible("The person does not meet the recruitment rules for this post (seed 003: 55 or under, "
                          "a smartphone, no violation on record). A district officer may post them with "
                          "override_reason.", details={"field": "person_id", "failed": [r["rule"] for r in failed],
                                                       "reasons": failed})
    if actor is not None and not actor.has_role(DISTRICT_WIDE):
        raise OverrideForbidden("Only a district officer overrides the recruitment rules.",
                                details={"field": "override_reason", "failed": [r["rule"] for r in failed]})


def record_override(session, assignment, failed, reason, actor):
    """Keep the override with the post, and say so in the log (ids and rule names only)."""
    row = RecruitmentOverride(
        assignment_id=assignment.id, person_id=assignment.person_id, grid_code=assignment.grid_code,
        role=assignment.role, failed=[r["rule"] for r in failed], reason=reason,
        by_account_id=actor.account_id if actor else None, by_username=actor.username if actor else "system",
        at=utcnow())
    session.add(row)
    session.flush()
    log.warning("recruitment rules overridden: post %s of person %s in %s, failed %s, by account %s",
                assignment.id, assignment.person_id, assignment.grid_code, ",".join(row.failed), row.by_account_id)
    return row


# --- editing a staff record ----------------------------------------------------------------

EDITABLE = ("name", "phone", "party_member", "smartphone_user", "violation_recorded")


def edit_person(session, cipher, person, data, actor):
    """Apply the fields given; keep the names of those that changed, with who and when.
    Nothing changed: nothing kept."""
    changed = []
    for name in EDITABLE:
        if name not in data:
            continue
        if name == "phone":
            phone = normalise_phone(data["phone"]) if data["phone"] else None
            if cipher.search_hash(phone) != person.phone_hash:
                person.phone_enc, person.phone_hash = cipher.encrypt(phone), cipher.search_hash(phone)
                changed.append(name)
        elif getattr(person, name) != data[name]:
            setattr(person, name, data[name])
            changed.append(name)
    if changed:
        session.add(PersonChange(person_id=person.id, fields=changed,
                                 by_account_id=actor.account_id if actor else None,
                                 by_username=actor.username if actor else "system", at=utcnow()))
        session.flush()
    return changed


def changes_view(session, person_id):
    edits = session.scalars(select(PersonChange).where(PersonChange.person_id == person_id)
                            .order_by(PersonChange.at.desc())).all()
    overrides = session.scalars(select(RecruitmentOverride).where(RecruitmentOverride.person_id == person_id)
                                .order_by(RecruitmentOverride.at.desc())).all()
    return {"edits": [{"fields": e.fields, "by": e.by_username, "at": e.at.isoformat()} for e in edits],
            "overrides": [{"assignment_id": o.assignment_id, "grid_code": o.grid_code, "role": o.role,
                           "failed": o.failed, "reason": o.reason, "by": o.by_username, "at": o.at.isoformat()}
                          for o in overrides]}


def person_view(cipher, person):
    return {
        "id": person.id, "name": person.name, "gender": person.gender,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "phone": mask_phone(cipher.decrypt(person.phone_enc)),
        "id_number": mask_id(cipher.decrypt(person.id_number_enc)),
        "party_member": person.party_member, "smartphone_user": person.smartphone_user,
        "violation_recorded": person.violation_recorded, "status": person.status,
    }


def _overlaps(start, end):
    """Assignments whose [start_date, end_date] meets [start, end] (None = open)."""
    conditions = [or_(Assignment.end_date.is_(None), Assignment.end_date >= start)]
    if end is not None:
        conditions.append(Assignment.start_date <= end)
    return conditions


def _held_post(session, person_id, grid_code, role, start, end):
    """The person's post in that role and grid meeting [start, end], if there is one."""
    return session.scalars(select(Assignment).where(
        Assignment.person_id == person_id, Assignment.grid_code == grid_code, Assignment.role == role,
        *_overlaps(start, end))).first()


def assign(session, person_id, grid_code, role, start, end=None):
    person = get_person(session, person_id)
    if end is not None and end < start:
        raise InvalidInput("end_date is before start_date.", code="INVALID_DATES", details={"field": "end_date"})
    clash = _held_post(session, person.id, grid_code, role, start, end)
    if clash is not None:
        raise OverlappingAssignment(
            f"{person.name} already holds {role} in grid {grid_code} from {clash.start_date.isoformat()}"
            + (f" to {clash.end_date.isoformat()}." if clash.end_date else " (open-ended)."),
            details={"assignment_id": clash.id})
    assignment = Assignment(person_id=person.id, grid_code=grid_code, role=role, start_date=start, end_date=end)
    session.add(assignment)
    session.flush()
    return assignment


def end_assignment(session, assignment_id, end):
    """Locked until the transaction ends, so two ends of one post take turns and each
    announces its own version."""
    assignment = session.get(Assignment, assignment_id, with_for_update=True)
    if assignment is None:
        raise PersonNotFound(f"No assignment has the id {assignment_id}.", code="ASSIGNMENT_NOT_FOUND",
                             details={"assignment_id": assignment_id})
    if end < assignment.start_date:
        raise InvalidInput("end_date is before the assignment's start.", code="INVALID_DATES",
                           details={"field": "end_date"})
    assignment.end_date = end
    session.flush()  # the new version, for the event
    return assignment


def carry_posts(session, old_codes, new_codes, day):
    """Keep the posts of grids retired by a split or a merge, so no part of the
    district is left unstaffed (无缝隙): every assignment on a retired grid still
    running on ``day`` ends that day and goes on, same person, role and end date,
    in each new grid (a split's workers cover all its parts, a merge's workers the
    merged grid) until someone re-posts them. A person holding one role in several
    merged grids gets one post, ending at the latest end; a post the person already
    holds in a new grid is not made twice. Returns (ended, created) assignments."""
    running = session.scalars(select(Assignment).where(
        Assignment.grid_code.in_(old_codes), *_overlaps(day, None)).order_by(Assignment.id).with_for_update()).all()
    carried = {}  # (person, role, new grid) -> the new assignment
    for post in running:
        for code in new_codes:
            key = (post.person_id, post.role, code)
            if key in carried:
                carried[key].end_date = _later_end(carried[key].end_date, post.end_date)
                continue
            start = max(post.start_date, day)
            if _held_post(session, post.person_id, code, post.role, start, post.end_date) is None:
                carried[key] = Assignment(person_id=post.person_id, grid_code=code, role=post.role,
                                          start_date=start, end_date=post.end_date)
        post.end_date = max(post.start_date, day)
    created = list(carried.values())
    session.add_all(created)
    session.flush()
    return running, created


def _later_end(first, second):
    return None if first is None or second is None else max(first, second)


def assignments(session, person_id=None, grid_prefix=None, on=None):
    """Posts by grid, role and start."""
    return list_assignments(session, person_id, grid_prefix, on).rows


def list_assignments(session, person_id=None, grid_prefix=None, on=None, after=None, limit=None):
    """Posts by grid, role and start, a page at a time (``keyset.Page``; ``limit`` None: all)."""
    query = select(Assignment)
    if person_id:
        query = query.where(Assignment.person_id == person_id)
    if grid_prefix:
        query = query.where(Assignment.grid_code.startswith(grid_prefix))
    if on:
        query = query.where(Assignment.start_date <= on, *_overlaps(on, on))
    return keyset.page(session, query, (Assignment.grid_code, Assignment.role, Assignment.start_date, Assignment.id),
                       cursor=after, limit=limit, noun="post")


def assignment_view(assignment):
    """A post as the API shows it and as ``person_assigned``, ``person_left`` and the
    paged read carry it (one function: they cannot differ)."""
    return {
        "id": assignment.id, "person_id": assignment.person_id, "grid_code": assignment.grid_code,
        "role": assignment.role, "role_label": STAFF_ROLES.get(assignment.role, (assignment.role,))[0],
        "start_date": assignment.start_date.isoformat(),
        "end_date": assignment.end_date.isoformat() if assignment.end_date else None,
        "version": assignment.version,
    }


def staff_names(session, person_ids):
    """{person id: name} of the staff persons among ``person_ids``; unknown ids are
    left out. Residents live in their own table: no id of theirs is ever named here."""
    wanted = sorted(set(person_ids))
    if not wanted:
        return {}
    return dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted))).all())


def on_duty(session, grid_code, day):
    """Who a grid's public card shows: the posts running on ``day`` in that very grid,
    by rank of role, each as its name and role only (no number, no id)."""
    posts = [post for post in assignments(session, grid_prefix=grid_code, on=day) if post.grid_code == grid_code]
    names = staff_names(session, [post.person_id for post in posts])
    rank = {role: n for n, role in enumerate(STAFF_ROLES)}
    posts.sort(key=lambda post: (rank.get(post.role, len(rank)), names.get(post.person_id, "")))
    return [{"name": names[post.person_id], "role": post.role, "role_label": STAFF_ROLES[post.role][0],
             "role_label_en": STAFF_ROLES[post.role][1]} for post in posts if post.person_id in names]


def party_members(session, person_ids):
    """Of ``person_ids``, the staff persons who are party members (sorted)."""
    wanted = sorted(set(person_ids))
    if not wanted:
        return []
    return sorted(session.scalars(select(Person.id).where(Person.id.in_(wanted), Person.party_member.is_(True))))


def create_department(session, data):
    department = Department(code=data["code"], name=data["name"], kind=data["kind"],
                            grid_code=data.get("grid_code"), liaison_ids=data.get("liaison_ids") or [])
    for person_id in department.liaison_ids:
        get_person(session, person_id)
    taken = DepartmentCodeTaken(f"The department code {data['code']} is taken.", details={"field": "code"})
    if session.scalar(select(Department.id).where(Department.code == data["code"])) is not None:
        raise taken
    session.add(department)
    try:
        session.flush()  # a racing registration of the same code meets the unique key
    except IntegrityError:
        raise taken from None
    return department


def department_exists(session, code):
    return session.scalar(select(Department.id).where(Department.code == code)) is not None


def require_department(session, code, field="department_code"):
    """400 UNKNOWN_DEPARTMENT naming ``field`` unless people has registered ``code``."""
    if not department_exists(session, code):
        raise InvalidInput(f"No department has the code {code}; register it first (POST /api/v1/departments).",
                           code="UNKNOWN_DEPARTMENT", details={"field": field})


def list_departments(session, kind=None, after=None, limit=None):
    """Departments by code, a page at a time (``keyset.Page``; ``limit`` None: all)."""
    query = select(Department)
    return keyset.page(session, query.where(Department.kind == kind) if kind else query,
                       (Department.code, Department.id), cursor=after, limit=limit, noun="department")
