from common.errors import Conflict, Forbidden, InvalidInput, Locked, NotFound, Unauthenticated


class InvalidCredentials(Unauthenticated):
    code = "INVALID_CREDENTIALS"


class AccountLocked(Locked):
    code = "ACCOUNT_LOCKED"


class AccountDisabled(Forbidden):
    code = "ACCOUNT_DISABLED"


class AccountNotFound(NotFound):
    code = "ACCOUNT_NOT_FOUND"


class PasswordChangeRequired(Forbidden):
    code = "PASSWORD_CHANGE_REQUIRED"


class InvalidApiKey(Unauthenticated):
    code = "INVALID_API_KEY"


class ApiKeyNotFound(NotFound):
    code = "API_KEY_NOT_FOUND"


class ApiKeyRevoked(Conflict):
    """Rotating or revoking a key that is revoked already."""
    code = "API_KEY_REVOKED"


class UsernameTaken(Conflict):
    code = "USERNAME_TAKEN"


class PersonHasAccount(Conflict):
    code = "PERSON_HAS_ACCOUNT"


class ResidentHasAccount(Conflict):
    code = "RESIDENT_HAS_ACCOUNT"


class WeakPassword(InvalidInput):
    code = "WEAK_PASSWORD"


class PersonNotFound(NotFound):
    code = "PERSON_NOT_FOUND"


class ResidentNotFound(NotFound):
    code = "RESIDENT_NOT_FOUND"


class HouseholdNotFound(NotFound):
    code = "HOUSEHOLD_NOT_FOUND"


class DuplicatePerson(Conflict):
    code = "DUPLICATE_ID_NUMBER"


class OverlappingAssignment(Conflict):
    code = "OVERLAPPING_ASSIGNMENT"


class UnknownGrid(InvalidInput):
    code = "UNKNOWN_GRID"


class InsufficientPoints(Conflict):
    code = "INSUFFICIENT_POINTS"


class RewardNotFound(InvalidInput):
    code = "UNKNOWN_REWARD"


class RewardOutOfStock(Conflict):
    code = "REWARD_OUT_OF_STOCK"


class RewardCodeTaken(Conflict):
    code = "REWARD_CODE_TAKEN"


class DepartmentCodeTaken(Conflict):
    code = "DEPARTMENT_CODE_TAKEN"


class RosterRejected(InvalidInput):
    code = "ROSTER_REJECTED"


class SentimentNotFound(NotFound):
    code = "SENTIMENT_NOT_FOUND"


class SentimentClosed(Conflict):
    code = "SENTIMENT_CLOSED"


class HouseholdOutsideGrid(InvalidInput):
    code = "HOUSEHOLD_OUTSIDE_GRID"


class CampaignNotFound(NotFound):
    code = "CAMPAIGN_NOT_FOUND"


class CampaignClosed(Conflict):
    code = "CAMPAIGN_CLOSED"


class HouseholdNotInCampaign(InvalidInput):
    code = "HOUSEHOLD_NOT_IN_CAMPAIGN"


class NotEligible(Conflict):
    code = "NOT_ELIGIBLE"


class OverrideForbidden(Forbidden):
    code = "OVERRIDE_FORBIDDEN"


class OrganisationNotFound(NotFound):
    code = "ORGANISATION_NOT_FOUND"


class CreditCodeTaken(Conflict):
    code = "CREDIT_CODE_TAKEN"


class SignupNotFound(NotFound):
    code = "SIGNUP_NOT_FOUND"


class SignupDecided(Conflict):
    code = "SIGNUP_DECIDED"


class WishNotFound(NotFound):
    code = "WISH_NOT_FOUND"


class NoHome(Conflict):
    code = "NO_HOME"


class WishOutOfOrder(Conflict):
    code = "WISH_OUT_OF_ORDER"


class WishClaimed(Conflict):
    code = "WISH_CLAIMED"


class OwnWish(Forbidden):
    code = "OWN_WISH"


class NotAPartyMember(InvalidInput):
    code = "NOT_A_PARTY_MEMBER"


class BranchNotFound(NotFound):
    code = "BRANCH_NOT_FOUND"


class AlreadyAMember(Conflict):
    code = "ALREADY_A_MEMBER"


class MembershipNotFound(NotFound):
    code = "MEMBERSHIP_NOT_FOUND"


class RegistrationNotFound(NotFound):
    code = "REGISTRATION_NOT_FOUND"


class AlreadyRegistered(Conflict):
    code = "ALREADY_REGISTERED"


class ServiceDayNotFound(NotFound):
    code = "SERVICE_DAY_NOT_FOUND"


class ServiceDayExists(Conflict):
    code = "SERVICE_DAY_EXISTS"


class AlreadySignedIn(Conflict):
    code = "ALREADY_SIGNED_IN"


class HouseholdLinked(Conflict):
    code = "HOUSEHOLD_LINKED"


class TooManyHouseholds(Conflict):
    code = "TOO_MANY_HOUSEHOLDS"


class LinkNotFound(NotFound):
    code = "LINK_NOT_FOUND"
