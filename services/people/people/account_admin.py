"""Accounts administered, free of nameko: disabled and enabled, passwords changed by
their holders and reset by an administrator (the holder must then change it at the next
sign-in), unlocked, and their tokens ended. Each step is an ``AccountEvent`` (who did
what to which account, when) and a log line naming ids only.

Tokens are signed, not stored, so ending them is a number: ``token_version`` rises, the
gateway hears of it (``token_revocations``, polled) and refuses any token carrying an
older one. Disabling an account and every change of its password end its tokens.
"""
import logging
import secrets
import string

from sqlalchemy import delete, select

from common import keyset
from common.errors import InvalidInput
from people.accounts import check_password_strength, get_account, hash_password
from people.models import Account, AccountEvent, LoginFailure

log = logging.getLogger(__name__)

ACTIONS = ("disabled", "enabled", "password_reset", "password_changed", "unlocked", "tokens_revoked")
# A temporary password is read off a screen and typed once: no look-alike characters.
_TEMPORARY_ALPHABET = "".join(ch for ch in string.ascii_letters + string.digits if ch not in "0O1lI")
TEMPORARY_LENGTH = 16


def record(session, account, action, *, by, now, note=None):
    """The step on record, and in the log (ids only: a username may be a phone number)."""
    session.add(AccountEvent(account_id=account.id, action=action, by_account_id=by and by.account_id,
                             by_username=by and by.username, note=note, at=now))
    log.info("account %s %s by %s", account.id, action, by.account_id if by else "its holder")


def end_tokens(account, now):
    """Every token issued to the account so far stops working."""
    account.token_version = (account.token_version or 0) + 1
    account.tokens_revoked_at = now


def _not_yourself(account, by, what):
    if by is not None and by.account_id == account.id:
        raise InvalidInput(f"You cannot {what} your own account; ask another administrator.",
                           code="OWN_ACCOUNT", details={"field": "account_id"})


def disable(session, account_id, *, by, now, reason=None):
    account = get_account(session, account_id)
    _not_yourself(account, by, "disable")
    if not account.disabled:
        account.disabled = True
        end_tokens(account, now)
        record(session, account, "disabled", by=by, now=now, note=reason)
    return account


def enable(session, account_id, *, by, now):
    account = get_account(session, account_id)
    if account.disabled:
        account.disabled = False
        record(session, account, "enabled", by=by, now=now)
    return account


def temporary_password():
    """Letters and digits, both present (check_password_strength asks for both)."""
    while True:
        word = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(TEMPORARY_LENGTH))
        if any(ch.isdigit() for ch in word) and any(ch.isalpha() for ch in word):
            return word


def reset_password(session, account_id, *, by, now):
    """(account, a temporary password shown once): the holder must change it at the
    next sign-in; the account's tokens end and its sign-in lock is lifted."""
    account = get_account(session, account_id)
    _not_yourself(account, by, "reset the password of")  # your own: change it (POST /auth/password)
    word = temporary_password()
    account.password_hash = hash_password(word)
    account.must_change_password = True
    account.failed_logins, account.locked_until = 0, None
    end_tokens(account, now)
    record(session, account, "password_reset", by=by, now=now)
    return account, word


def change_password(session, account, *, current, new, now, min_length):
    """The holder's own change, once ``current`` was checked (accounts.authenticate):
    400 naming ``new_password`` for a weak one or the same one again."""
    check_password_strength(new, min_length, field="new_password")
    if new == current:
        raise InvalidInput("The new password must differ from the current one.", code="WEAK_PASSWORD",
                           details={"field": "new_password"})
    account.password_hash = hash_password(new)
    account.must_change_password = False
    end_tokens(account, now)
    record(session, account, "password_changed", by=None, now=now)
    return account


def unlock(session, account_id, *, by, now, name_hash):
    """Lift the lock everywhere: the account's own count, and the count kept for its
    name (a lock from one address lapses by itself, LOGIN_LOCK_MINUTES after it began)."""
    account = get_account(session, account_id)
    account.failed_logins, account.locked_until, account.last_failed_at = 0, None, None
    session.execute(delete(LoginFailure).where(LoginFailure.name_hash == name_hash(account.username)))
    record(session, account, "unlocked", by=by, now=now)
    return account


def revoke_tokens(session, account_id, *, by, now):
    account = get_account(session, account_id)
    end_tokens(account, now)
    record(session, account, "tokens_revoked", by=by, now=now)
    return account


def token_revocations(session, since):
    """[(account id, token version)] of the accounts whose tokens ended after ``since``."""
    rows = session.execute(select(Account.id, Account.token_version).where(
        Account.tokens_revoked_at > since).order_by(Account.tokens_revoked_at)).all()
    return [{"account_id": row.id, "token_version": row.token_version} for row in rows]


def events(session, account_id, limit=100, after=None):
    """The account's events newest first, a page at a time (``keyset.Page``)."""
    get_account(session, account_id)
    of_this = AccountEvent.account_id == account_id
    return keyset.page(session, select(AccountEvent).where(of_this), (AccountEvent.id,), cursor=after, limit=limit,
                       noun="event of this account", descending=True, among=(of_this,))


def event_view(row):
    return {"action": row.action, "by_account_id": row.by_account_id, "by_username": row.by_username,
            "note": row.note, "at": row.at.isoformat()}

