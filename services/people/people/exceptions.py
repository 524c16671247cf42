from common.errors import Conflict, Forbidden, InvalidInput, Locked, NotFound, Unauthenticated


class InvalidCredentials(Unauthenticated):
    code = "INVALID_CREDENTIALS"


class AccountLocked(Locked):
    code = "ACCOUNT_LOCKED"


class AccountDisabled(Forbidden):
    code = "ACCOUNT_DISABLED"


class AccountNotFound(NotFound):
    code = "ACCOUNT_NOT_FOUND"


class UsernameTaken(Conflict):
    code = "USERNAME_TAKEN"


class WeakPassword(InvalidInput):
    code = "WEAK_PASSWORD"
