"""The people service's entrypoints for administering accounts and department systems'
API keys, kept thin: each loads its input and calls account_admin or api_keys in a
transaction. A mixin of PeopleService (its db, config and pii)."""
import datetime as dt

from common import config as cfg
from common.actor import Actor
from common.db import utcnow
from common.rpc import rpc
from common.validation import load
from people import account_admin, accounts, api_keys
from people.schemas import AccountNoteSchema, AccountSchema, ApiKeyInputSchema, PasswordChangeSchema

account_schema, note_schema = AccountSchema(), AccountNoteSchema()
password_change_schema, api_key_input_schema = PasswordChangeSchema(), ApiKeyInputSchema()


def min_password_length(config=None):
    return 12 if cfg.is_production(config) else 10


class AccountAdministration:
    # --- the holder -----------------------------------------------------------------
    @rpc
    def change_password(self, data):
        """The holder changes their password, proving it with the current one (counted
        and locked as a sign-in is); the account's earlier tokens end. Answers the
        account, to issue a fresh token from."""
        data = load(password_change_schema, data, "password change")
        policy, now = accounts.LoginPolicy.from_config(self.config), utcnow()
        with self.db.transaction() as session:
            account, error = accounts.authenticate(session, data["username"], data["current_password"], now, policy,
                                                   self._login_name_hash, data["client_address"], changing=True)
            if error is None:
                account_admin.change_password(session, account, current=data["current_password"],
                                              new=data["new_password"], now=now,
                                              min_length=min_password_length(self.config))
                result = account_schema.dump(account)
        if error is not None:  # the failure's count is committed first
            raise error
        return result

    @rpc
    def sign_out_everywhere(self, actor):
        """Every token of the caller's account ends (this one included)."""
        actor = Actor.from_wire(actor)
        with self.db.transaction() as session:
            return _tokens(account_admin.revoke_tokens(session, actor.account_id, by=actor, now=utcnow()))

    # --- an administrator -------------------------------------------------------------
    @rpc
    def disable_account(self, account_id, data=None, actor=None):
        note = load(note_schema, data or {}, "reason")
        with self.db.transaction() as session:
            account = account_admin.disable(session, account_id, by=Actor.from_wire(actor), now=utcnow(),
                                            reason=note["reason"])
            return {**account_schema.dump(account), **_tokens(account)}

    @rpc
    def enable_account(self, account_id, actor=None):
        with self.db.transaction() as session:
            return account_schema.dump(account_admin.enable(session, account_id, by=Actor.from_wire(actor),
                                                            now=utcnow()))

    @rpc
    def reset_password(self, account_id, actor=None):
        """A temporary password, shown this once: its holder must change it at sign-in."""
        with self.db.transaction() as session:
            account, word = account_admin.reset_password(session, account_id, by=Actor.from_wire(actor),
                                                         now=utcnow())
            return {"account_id": account.id, "temporary_password": word, "must_change_password": True,
                    **_tokens(account)}

    @rpc
    def unlock_account(self, account_id, actor=None):
        with self.db.transaction() as session:
            return account_schema.dump(account_admin.unlock(session, account_id, by=Actor.from_wire(actor),
                                                            now=utcnow(), name_hash=self._login_name_hash))

    @rpc
    def revoke_account_tokens(self, account_id, actor=None):
        with self.db.transaction() as session:
            return _tokens(account_admin.revoke_tokens(session, account_id, by=Actor.from_wire(actor), now=utcnow()))

    @rpc
    def account_events(self, account_id, after=None, limit=100):
        """The account's events newest first, a page at a time: ``{"items", "next"}``."""
        with self.db.read() as session:
            page = account_admin.events(session, account_id, limit=limit, after=after)
            return page.answer([account_admin.event_view(row) for row in page.rows])

    @rpc
    def token_revocations(self, since):
        """{"items": [{"account_id", "token_version"}] of accounts whose tokens ended
        after ``since`` (ISO), "until": now}: what the gateway polls."""
        since = dt.datetime.fromisoformat(since)
        now = utcnow()
        with self.db.read() as session:
            return {"items": account_admin.token_revocations(session, since), "until": now.isoformat()}

    # --- API keys --------------------------------------------------------------------------
    @rpc
    def create_api_key(self, data, actor=None):
        data = load(api_key_input_schema, data, "API key")
        with self.db.transaction() as session:
            row, key = api_keys.create(session, data, by=Actor.from_wire(actor), now=utcnow())
            session.flush()
            return api_keys.view(row, key)

    @rpc
    def rotate_api_key(self, key_id, actor=None):
        with self.db.transaction() as session:
            row, key = api_keys.rotate(session, key_id, by=Actor.from_wire(actor), now=utcnow())
            session.flush()
            return api_keys.view(row, key)

    @rpc
    def revoke_api_key(self, key_id, actor=None):
        with self.db.transaction() as session:
            return api_keys.view(api_keys.revoke(session, key_id, now=utcnow()))

    @rpc
    def list_api_keys(self, department_code=None, after=None, limit=100):
        """Keys newest first, a page at a time: ``{"items", "next"}``."""
        with self.db.read() as session:
            page = api_keys.find(session, department_code, limit=limit, after=after)
            return page.answer([api_keys.view(row) for row in page.rows])

    @rpc
    def get_api_key(self, key_id):
        with self.db.read() as session:
            return api_keys.view(api_keys.get(session, key_id))

    @rpc
    def authenticate_api_key(self, key):
        """The department a live key acts for; 401 INVALID_API_KEY otherwise."""
        with self.db.transaction() as session:  # it may note when the key was last used
            return api_keys.caller(api_keys.authenticate(session, key if isinstance(key, str) else "", utcnow()))


def _tokens(account):
    return {"account_id": account.id, "token_version": account.token_version}
