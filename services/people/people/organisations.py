"""Organisations (组织), free of nameko: the sixth registry of 人地事物情组织 (people,
places, events, things, sentiment, organisations), kept per grid.

Seed 000 puts "organisations" among what a grid's base information covers, and seed
001's 红色物业 and owners' committees are organisations a grid works with. Each has a
kind, a name, the grid it is registered in (and the place it sits at), and where it has
one its unified social credit code (统一社会信用代码, GB 32100-2015: 18 characters with a
check character), which no two organisations share. A property company registered as a
department (to be summoned by a whistle) names its department code.

Who: field staff register and edit organisations in their grids; staff and auditors
read those of their scope. A contact's name is kept for the grid's staff; it never
reaches an event or a log line.
"""
import uuid

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from common import keyset
from common.errors import InvalidInput
from common.roles import in_scope
from people.exceptions import CreditCodeTaken, OrganisationNotFound
from people.models import Organisation

KINDS = {
    "enterprise": ("企业", "enterprise"),
    "social_organisation": ("社会组织", "social organisation"),
    "property_company": ("物业公司", "property company"),
    "owners_committee": ("业主委员会", "owners' committee"),
    "public_institution": ("事业单位", "public institution"),
    "other": ("其他组织", "other organisation"),
}
STATUSES = {"active": ("在册", "active"), "deregistered": ("已注销", "deregistered")}

# GB 32100-2015: 31 characters (no I, O, S, V, Z); weights 3^i mod 31 over the first 17.
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def credit_code_problem(text):
    """None for a valid unified social credit code, else what is wrong with it."""
    if len(text) != 18:
        return "a unified social credit code has 18 characters"
    bad = sorted({c for c in text if c not in CREDIT_CHARS})
    if bad:
        return f"{''.join(bad)} cannot appear in a unified social credit code (no I, O, S, V, Z, lower case)"
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(text[:17], CREDIT_WEIGHTS))
    if CREDIT_CHARS[(31 - total % 31) % 31] != text[17]:
        return "the check character does not match (a typing slip?)"
    return None


def normalise_credit_code(text):
    """Upper case, no spaces; 400 naming ``credit_code`` when it is not a valid one."""
    code = "".join(text.split()).upper()
    problem = credit_code_problem(code)
    if problem:
        raise InvalidInput(f"credit_code: {problem}.", code="VALIDATION_FAILED",
                           details={"fields": {"credit_code": [problem]}})
    return code


def _require_free(session, code, own_id=None):
    """409 CREDIT_CODE_TAKEN, naming the holder, when another organisation has ``code``."""
    if code is None:
        return
    with session.no_autoflush:
        other = session.scalar(select(Organisation.id).where(Organisation.credit_code == code,
                                                             Organisation.id != own_id))
    if other is not None:
        raise CreditCodeTaken("Another organisation has this unified social credit code.",
                              details={"field": "credit_code", "organisation_id": other})


def _flush(session):
    """The unique key meets an organisation registered with the same code at this moment."""
    try:
        session.flush()
    except IntegrityError:
        raise CreditCodeTaken("Another organisation was just registered with this unified social credit code.",
                              details={"field": "credit_code"}) from None


def register(session, data, *, by):
    code = normalise_credit_code(data["credit_code"]) if data.get("credit_code") else None
    _require_free(session, code)
    row = Organisation(id=str(uuid.uuid4()), kind=data["kind"], name=data["name"], grid_code=data["grid_code"],
                       credit_code=code, place_code=data.get("place_code"), address=data.get("address"),
                       employees=data.get("employees"), contact_name=data.get("contact_name"),
                       department_code=data.get("department_code"), status="active", created_by=by)
    session.add(row)
    _flush(session)
    return row


EDITABLE = ("kind", "name", "credit_code", "place_code", "address", "employees", "contact_name", "department_code",
            "status")


def edit(session, row, data):
    """Apply the fields given, the credit code checked first (a place given again must
    lie in the organisation's grid: the caller checks it with the registry)."""
    changes = {name: data[name] for name in EDITABLE if name in data}
    if changes.get("credit_code"):
        changes["credit_code"] = normalise_credit_code(changes["credit_code"])
        _require_free(session, changes["credit_code"], row.id)
    for name, value in changes.items():
        setattr(row, name, value)
    _flush(session)
    return row


def get(session, organisation_id, reach=None, for_update=False):
    """The organisation, if ``reach`` (None: the whole district) holds its grid; one
    beyond it is answered as an id nobody has."""
    row = session.get(Organisation, organisation_id, with_for_update=for_update)
    if row is None or not (reach is None or in_scope(reach, row.grid_code)):
        raise OrganisationNotFound(f"No organisation has the id {organisation_id}.",
                                   details={"organisation_id": organisation_id})
    return row


def page(session, root=None, kind=None, status=None, q=None, after=None, limit=100):
    """Organisations under ``root`` by grid and name, a page at a time, with the totals
    per kind of all that match: ``{"items", "next", "by_kind"}``. ``q`` finds a part of
    the name or the whole credit code."""
    conditions = []
    if root:
        conditions.append(Organisation.grid_code.startswith(root, autoescape=True))
    if kind:
        conditions.append(Organisation.kind == kind)
    if status:
        conditions.append(Organisation.status == status)
    if q:
        conditions.append(or_(Organisation.name.contains(q, autoescape=True),
                              Organisation.credit_code == q.strip().upper()))
    query = select(Organisation).where(*conditions).order_by(Organisation.grid_code, Organisation.name,
                                                             Organisation.id).limit(limit + 1)
    if after:
        query = query.where(keyset.after(session, (Organisation.grid_code, Organisation.name, Organisation.id),
                                         Organisation.id, after, "organisation"))
    rows = session.scalars(query).all()
    shown = rows[:limit]
    by_kind = dict(session.execute(select(Organisation.kind, func.count()).where(*conditions)
                                   .group_by(Organisation.kind)).all())
    return {"items": [view(row) for row in shown], "next": shown[-1].id if len(rows) > limit else None,
            "by_kind": by_kind}


def view(row):
    return {"id": row.id, "kind": row.kind, "kind_label": dict(zip(("zh", "en"), KINDS[row.kind])),
            "name": row.name, "credit_code": row.credit_code, "grid_code": row.grid_code,
            "place_code": row.place_code, "address": row.address, "employees": row.employees,
            "contact_name": row.contact_name, "department_code": row.department_code, "status": row.status,
            "created_by": row.created_by, "created_at": row.created_at.isoformat(),
            "updated_at": row.updated_at.isoformat()}
