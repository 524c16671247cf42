from common import config as cfg
from common.db import Database, utcnow
from common.ops import OpsEndpoints
from common.outbox import Outbox
from common.rpc import rpc
from common.validation import load
from people import MIGRATIONS_DIR, accounts
from people.schemas import AccountSchema, CredentialsSchema

account_schema = AccountSchema()
credentials_schema = CredentialsSchema()


class PeopleService(OpsEndpoints):
    name = "people"

    db = Database(MIGRATIONS_DIR, bootstrap=accounts.ensure_admin)
    outbox = Outbox()

    @rpc
    def authenticate(self, username, password):
        credentials = load(credentials_schema, {"username": username, "password": password}, "credentials")
        policy = accounts.LoginPolicy.from_config()
        with self.db.transaction() as session:
            account, error = accounts.authenticate(
                session, credentials["username"], credentials["password"], utcnow(), policy)
            result = account_schema.dump(account) if error is None else None
        if error is not None:
            raise error
        return result

    @rpc
    def get_account(self, account_id):
        with self.db.read() as session:
            return account_schema.dump(accounts.get_account(session, account_id))

    @rpc
    def list_accounts(self):
        with self.db.read() as session:
            return account_schema.dump(accounts.list_accounts(session), many=True)

    @rpc
    def create_account(self, data):
        data = load(account_schema, data, "account")
        min_length = 12 if cfg.is_production() else 10
        with self.db.transaction() as session:
            account = accounts.create_account(session, data, min_length)
            payload = account_schema.dump(account)
            self.outbox.add(session, "account_created", {
                key: payload[key] for key in ("id", "username", "roles", "grid_scope")})
        return payload
