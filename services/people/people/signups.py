"""Residents signing themselves up, free of nameko.

A resident gives a username, a password, their name, mobile number and address (and,
from a grid's card, the grid). No SMS gateway exists here, so a person checks instead:
a community officer approves the sign-up by linking it to a resident registered in a
household of their scope, and only then does an account exist (role ``resident``, its
home grid following the household). The check is behind ``Verification``: an SMS code
would send at sign-up and be confirmed before approval (``VERIFICATIONS``; chosen with
``SIGNUP_VERIFICATION``).

Nothing personal leaves in clear: the phone is shown masked, the password is kept
hashed from the start, and the client's address only as a keyed hash, counted against
the per-address limit (``SIGNUP_LIMIT_PER_HOUR``).
"""
import datetime as dt

from sqlalchemy import func, select

from common import keyset
from common.errors import TooManyRequests
from common.pii import mask_phone, normalise_phone
from common.roles import in_scope
from people.accounts import check_password_strength, check_resident_free, find_by_username, hash_password, taken
from people.exceptions import ResidentNotFound, SignupDecided, SignupNotFound
from people.models import Account, Household, Resident, ResidentSignup

STATUSES = {"pending": ("待审核", "pending"), "approved": ("已通过", "approved"), "rejected": ("未通过", "rejected")}
WINDOW = dt.timedelta(hours=1)


class Verification:
    """How a sign-up is checked before it becomes an account."""
    name = ""

    def started(self, signup):
        """What the applicant is told once the sign-up is stored."""
        raise NotImplementedError


class OfficerApproval(Verification):
    name = "approval"

    def started(self, signup):
        return {"verification": self.name, "message": "社区工作人员核实后开通账号 / a community officer checks it and "
                                                      "opens the account"}


VERIFICATIONS = {verification.name: verification for verification in (OfficerApproval(),)}


def verification(name):
    """The configured check; an unknown name stops people at start."""
    if name not in VERIFICATIONS:
        raise ValueError(f"SIGNUP_VERIFICATION {name!r} is not one of {', '.join(VERIFICATIONS)}")
    return VERIFICATIONS[name]


def _username_free(session, username):
    pending = session.scalar(select(ResidentSignup.id).where(ResidentSignup.username == username,
                                                             ResidentSignup.status == "pending"))
    if pending is not None or find_by_username(session, username) is not None:
        raise taken("username", username)


def sign_up(session, cipher, data, *, check, client_address, now, limit):
    """Store a sign-up; 429 when its address made ``limit`` in the last hour, 409 for a
    username an account or a pending sign-up holds, 400 naming a weak password or a
    number that is no mobile number."""
    address_hash = cipher.search_hash(client_address or "unknown")
    recent = session.scalar(select(func.count()).select_from(ResidentSignup).where(
        ResidentSignup.address_hash == address_hash, ResidentSignup.created_at > now - WINDOW))
    if recent >= limit:
        raise TooManyRequests("Too many sign-ups from this address; try again in an hour.",
                              details={"retry_after_seconds": int(WINDOW.total_seconds())})
    username = data["username"].strip().lower()
    check_password_strength(data["password"])
    phone = normalise_phone(data["phone"])
    _username_free(session, username)
    signup = ResidentSignup(
        username=username, display_name=data["name"], password_hash=hash_password(data["password"]),
        phone_enc=cipher.encrypt(phone), phone_hash=cipher.search_hash(phone), phone_masked=mask_phone(phone),
        address=data["address"], grid_code=data.get("grid_code"), verification=check.name, status="pending",
        address_hash=address_hash, created_at=now)
    session.add(signup)
    session.flush()
    return signup


def get(session, signup_id, reach=None, for_update=False):
    """The sign-up, if ``reach`` (None: the whole district) holds the grid it names; one
    naming no grid is for district-wide callers; anything else is answered as an id
    nobody has."""
    signup = session.get(ResidentSignup, signup_id, with_for_update=for_update)
    if signup is None or not (reach is None or in_scope(reach, signup.grid_code)):
        raise SignupNotFound(f"No sign-up has the id {signup_id}.", details={"signup_id": signup_id})
    return signup


def find(session, root=None, status=None, limit=100, after=None):
    """Sign-ups newest first, a page at a time (``keyset.Page``)."""
    query = select(ResidentSignup)
    if root:
        query = query.where(ResidentSignup.grid_code.startswith(root, autoescape=True))
    if status:
        query = query.where(ResidentSignup.status == status)
    return keyset.page(session, query, (ResidentSignup.created_at, ResidentSignup.id), cursor=after, limit=limit,
                       noun="sign-up", descending=True)


def _pending(signup):
    if signup.status != "pending":
        raise SignupDecided(f"This sign-up was {signup.status} already.",
                            details={"signup_id": signup.id, "field": "status", "status": signup.status})


def approve(session, signup, resident_id, *, reach, by, now):
    """Open the account: role resident, linked to a resident registered in a household
    of ``reach`` who has no account yet (400 naming ``resident_id`` otherwise)."""
    _pending(signup)
    resident = session.get(Resident, resident_id)
    household = session.get(Household, resident.household_id) if resident and resident.household_id else None
    if household is None or not (reach is None or in_scope(reach, household.grid_code)):
        raise ResidentNotFound("Link the sign-up to a resident registered in a household of your scope.",
                               details={"field": "resident_id"})
    check_resident_free(session, resident_id)
    if find_by_username(session, signup.username) is not None:
        raise taken("username", signup.username)
    account = Account(username=signup.username, display_name=signup.display_name,
                      password_hash=signup.password_hash, roles=["resident"], resident_id=resident_id)
    session.add(account)
    session.flush()
    signup.status, signup.account_id, signup.decided_by, signup.decided_at = "approved", account.id, by, now
    signup.grid_code = household.grid_code
    session.flush()
    return account


def reject(session, signup, reason, *, by, now):
    _pending(signup)
    signup.status, signup.reason, signup.decided_by, signup.decided_at = "rejected", reason, by, now
    session.flush()
    return signup


def view(signup):
    return {"id": signup.id, "username": signup.username, "name": signup.display_name, "phone": signup.phone_masked,
            "address": signup.address, "grid_code": signup.grid_code, "verification": signup.verification,
            "status": signup.status, "status_label": dict(zip(("zh", "en"), STATUSES[signup.status])),
            "reason": signup.reason, "created_at": signup.created_at.isoformat(), "decided_by": signup.decided_by,
            "decided_at": signup.decided_at.isoformat() if signup.decided_at else None,
            "account_id": signup.account_id}
