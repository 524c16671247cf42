"""Residents and households, free of nameko.

ID and phone numbers are validated, stored encrypted with a search hash (common.pii),
shown masked, and shown in clear only to a role in ``clear_roles`` that asks for it
(``reveal``); every clear read is written to the access log.
"""
from sqlalchemy import String, cast, select

from common import keyset
from common.roles import in_scope, require_in_reach
from common.pii import DEFAULT_CLEAR_ROLES, ClearDataForbidden
from people.exceptions import DuplicatePerson, HouseholdNotFound, ResidentNotFound
from people.idcard import mask_id, mask_phone, normalise_id, normalise_phone, parse_id_number
from people.models import Household, PiiAccess, Resident

TAGS = {
    "elderly_alone": "独居老人", "elderly": "老年人", "disabled": "残疾人", "key_person": "重点人员",
    "low_income": "低保户", "veteran": "退役军人", "left_behind_child": "留守儿童", "pregnant": "孕产妇",
    "mental_health": "精神障碍患者", "community_correction": "社区矫正对象",
}


def register_household(session, data, place):
    household = Household(place_code=place["code"], grid_code=place["grid_code"], address=data.get("address"))
    session.add(household)
    session.flush()
    return household


def move_household(session, household_id, place):
    """Move a household (and its residents) to another place; returns the grid it left."""
    household = get_household(session, household_id, for_update=True)  # moves of one household take turns
    left = household.grid_code
    household.place_code, household.grid_code = place["code"], place["grid_code"]
    for resident in session.scalars(select(Resident).where(Resident.household_id == household.id)):
        resident.grid_code = place["grid_code"]
    session.flush()  # the new version, for the event
    return household, left


def household_payload(household):
    """A household as ``household_registered``, ``resident_registered`` (its
    ``household``) and the paged read carry it; ``residents``: how many are registered
    in it."""
    return {"household_id": household.id, "grid_code": household.grid_code, "place_code": household.place_code,
            "residents": household.residents, "version": household.version}


def resident_payload(session, resident):
    """``resident_registered``: no personal data, and the household (None: registered
    without one) as it is after the registration, its new version counting the resident
    (``household_payload``)."""
    household = session.get(Household, resident.household_id) if resident.household_id else None
    return {"resident_id": resident.id, "household_id": resident.household_id, "grid_code": resident.grid_code,
            "tags": resident.tags, "household": household_payload(household) if household is not None else None}


def list_households(session, grid_prefix=None, limit=100, after=None):
    """Households in the order they were registered, a page at a time (``keyset.Page``)."""
    query = select(Household)
    if grid_prefix:
        query = query.where(Household.grid_code.startswith(grid_prefix))
    return keyset.page(session, query, (Household.created_at, Household.id), cursor=after, limit=limit,
                       noun="household")


def get_household(session, household_id, for_update=False):
    household = session.get(Household, household_id, with_for_update=for_update)
    if household is None:
        raise HouseholdNotFound(f"No household has the id {household_id}.", details={"field": "household_id"})
    return household


def register_resident(session, cipher, data, scope=None, today=None):
    """A new resident of a household in ``scope`` (None: the whole district; only
    district-wide accounts register one without a household). Scope comes before the
    duplicate check, and a duplicate elsewhere is not named: whether and where a
    number is registered is not for an account outside that grid to learn. The
    household counts the resident (a new version of it): registrations in one
    household take turns on its row, so none is lost from the count."""
    number, birth, gender = parse_id_number(data["id_number"], today)
    household = get_household(session, data["household_id"], for_update=True) if data.get("household_id") else None
    require_in_reach(scope, household.grid_code if household else None)
    search = cipher.search_hash(number)
    existing = session.execute(select(Resident.id, Resident.grid_code).where(Resident.id_number_hash == search)).first()
    if existing:
        details = {"field": "id_number"}
        if scope is None or in_scope(scope, existing.grid_code):
            details["resident_id"] = existing.id
        raise DuplicatePerson("A resident with this ID number is already registered.", details=details)
    phone = normalise_phone(data["phone"]) if data.get("phone") else None
    resident = Resident(
        name=data["name"], gender=gender, birth_date=birth,
        id_number_enc=cipher.encrypt(number), id_number_hash=search, id_number_masked=mask_id(number),
        phone_enc=cipher.encrypt(phone), phone_hash=cipher.search_hash(phone), phone_masked=mask_phone(phone),
        household_id=household.id if household else None, grid_code=household.grid_code if household else None,
        tags=sorted(set(data.get("tags") or [])),
    )
    session.add(resident)
    if household is not None:
        household.residents = (household.residents or 0) + 1
    session.flush()  # the household's new version, for the event
    return resident


def find_residents(session, cipher, id_number=None, phone=None, household_id=None, grid_prefix=None, tag=None,
                   limit=100, after=None):
    """Residents in the order they were registered, a page at a time (``keyset.Page``)."""
    query = select(Resident)
    if id_number:
        query = query.where(Resident.id_number_hash == cipher.search_hash(normalise_id(id_number)))
    if phone:
        query = query.where(Resident.phone_hash == cipher.search_hash(normalise_phone(phone)))
    if household_id:
        query = query.where(Resident.household_id == household_id)
    if grid_prefix:
        query = query.where(Resident.grid_code.startswith(grid_prefix))
    if tag:  # in SQL, before the limit: tags are names from TAGS, so their quoted form is exact
        query = query.where(cast(Resident.tags, String).contains(f'"{tag}"', autoescape=True))
    return keyset.page(session, query, (Resident.created_at, Resident.id), cursor=after, limit=limit,
                       noun="resident")


def get_resident(session, resident_id, reach=None):
    """The resident, if ``reach`` (None: the whole district, "" no subtree) holds their
    grid. One out of reach is answered exactly as an id nobody has: whether and
    where someone is registered is not for a caller outside that grid to learn."""
    resident = session.get(Resident, resident_id)
    if resident is None or not (reach is None or in_scope(reach, resident.grid_code)):
        raise ResidentNotFound(f"No resident has the id {resident_id}.", details={"resident_id": resident_id})
    return resident


def resident_view(session, cipher, resident, viewer=None, reveal=False, clear_roles=DEFAULT_CLEAR_ROLES):
    view = {
        "id": resident.id, "name": resident.name, "gender": resident.gender,
        "birth_date": resident.birth_date.isoformat(), "household_id": resident.household_id,
        "grid_code": resident.grid_code, "tags": resident.tags,
        "tag_labels": {tag: TAGS.get(tag, tag) for tag in resident.tags},
        "id_number": resident.id_number_masked, "phone": resident.phone_masked, "masked": True,
    }
    if reveal:
        viewer = viewer or {}
        if not set(viewer.get("roles") or ()) & set(clear_roles):
            raise ClearDataForbidden("Your role may not see ID and phone numbers in clear.",
                                     details={"allowed_roles": list(clear_roles)})
        view.update(id_number=cipher.decrypt(resident.id_number_enc), phone=cipher.decrypt(resident.phone_enc),
                    masked=False)
        session.add(PiiAccess(viewer_account_id=viewer["account_id"], viewer_username=viewer.get("username", ""),
                              subject_kind="resident", subject_id=resident.id,
                              fields=["id_number"] + (["phone"] if resident.phone_enc else [])))
    return view
