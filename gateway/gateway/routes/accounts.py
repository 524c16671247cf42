"""Sign-in and accounts: the one account (一账号), administered; and the API keys of
department systems."""
from common.errors import InvalidInput
from common.roles import ADMINS, EVERYONE, ROLES
from gateway.routing import ACTOR, BODY, Call, Path, Query, Route, own
from gateway.schemas import people as s
from gateway.schemas.base import Paged, page_of

ACCOUNT = Path("account_id")
KEY = Path("key_id")


def login(ctx):
    credentials = ctx.body
    account = ctx.rpc("people").authenticate(username=credentials["username"], password=credentials["password"],
                                             client_address=ctx.service.tokens.client_address(ctx.request))
    return ctx.service.tokens.issuer.issue(account)


def _ended(ctx, answer):
    """This gateway refuses the account's older tokens at once (the others on their next poll)."""
    ctx.service.tokens.issuer.versions.note(answer["account_id"], answer["token_version"])
    return answer


def change_password(ctx):
    """The holder's change (a reset password first of all): a fresh token for the new one."""
    account = ctx.rpc("people").change_password(data=dict(
        ctx.body, client_address=ctx.service.tokens.client_address(ctx.request)))
    _ended(ctx, {"account_id": account["id"], "token_version": account["token_version"]})
    return ctx.service.tokens.issuer.issue(account)


def sign_out(ctx):
    if ctx.actor.api_key_id:
        raise InvalidInput("An API key does not sign out; an administrator revokes it (POST /api-keys/{id}/revoke).",
                           code="API_KEY_CALLER", details={"field": "X-API-Key"})
    return _ended(ctx, ctx.rpc("people").sign_out_everywhere(actor=ctx.actor.to_wire()))


def list_accounts(ctx):
    query = ctx.query
    filters = {name: query[name] for name in ("role", "disabled", "locked", "department_code", "scope", "q")
               if query.get(name) is not None}
    return ctx.rpc("people").list_accounts(after=query["after"], limit=query["limit"], filters=filters)


def ending(rpc, **arguments):
    """A call whose answer ends an account's tokens: noted here at once."""
    call = Call(rpc, **arguments)
    return lambda ctx: _ended(ctx, call(ctx))


def me(ctx):
    if ctx.actor.api_key_id:  # a department's system: its key, as the department's account
        key = ctx.rpc("people").get_api_key(key_id=ctx.actor.api_key_id)
        account = {"id": key["id"], "username": ctx.actor.username, "display_name": key["name"],
                   "roles": ["department"], "department_code": key["department_code"], "grid_scope": None,
                   "person_id": None, "resident_id": None, "disabled": False, "locked_until": None,
                   "last_login_at": key["last_used_at"], "created_at": key["created_at"], "api_key": True}
    else:
        account = ctx.rpc("people").get_account(account_id=ctx.actor.account_id)
    account["role_labels"] = {role: ROLES[role][0] for role in account["roles"] if role in ROLES}
    return account


ROUTES = [
    Route("POST", "/auth/login", "login", "Sign in: a bearer token for the one account", None, login, "auth",
          body=s.Login, response=s.Token, errors=(401, 403, 423),
          description="Wrong passwords are counted per account and client address (`LOGIN_MAX_FAILURES` within "
                      "`LOGIN_LOCK_MINUTES` of each other lock that name for that address: 423 `ACCOUNT_LOCKED` "
                      "with `locked_until`), so a stranger cannot lock a user out from elsewhere; "
                      "`LOGIN_ACCOUNT_MAX_FAILURES` from all addresses together lock the account everywhere. "
                      "A username without an account is answered the same way, with the same work."),
    Route("POST", "/auth/password", "change_password", "Change your own password (a reset one first)", None,
          change_password, "auth", body=s.PasswordChange, response=s.Token, errors=(401, 403, 423),
          description="No token needed: the current password (or the temporary one an administrator gave) is the "
                      "proof, counted and locked as a sign-in is. Answers a fresh token; every earlier token of the "
                      "account ends. A weak new password, or the current one again: 400 naming `new_password`."),
    Route("POST", "/auth/logout", "sign_out", "Sign out everywhere: every token of your account ends", EVERYONE,
          sign_out, "auth", scope=own(), response=s.TokensEnded,
          description="This token too. Other gateways refuse them within `TOKEN_REVOCATION_POLL_SECONDS`."),
    Route("GET", "/me", "me", "The caller's account, with role labels in Chinese", EVERYONE, me, "auth",
          scope=own(), response=s.Me),
    Route("GET", "/accounts", "list_accounts", "Accounts by username, filtered, a page at a time", ADMINS,
          list_accounts, "auth", query=s.AccountListQuery, response=page_of(s.Account),
          description="Filters: `role`, `disabled`, `locked` (locked out from every address now), "
                      "`department_code`, `scope` (grid scopes within it), `q` (the start of a username). Page on "
                      "with `after` = `next`."),
    Route("POST", "/accounts", "create_account", "Create an account (one per person)", ADMINS,
          Call("people.create_account", data=BODY), "auth", body=s.NewAccount, response=s.Account, status=201,
          errors=(409,),
          description="Grid staff roles (`town_leader`, `community_officer`, `grid_chief`, `grid_worker`) must "
                      "name their `grid_scope`, an existing grid; an account of only `resident` or `department` "
                      "may not have one (a scope never applies to them). A `department` account names a "
                      "registered `department_code`. `person_id`: the staff member who signs in with it."),
    Route("POST", "/accounts/{account_id}/disable", "disable_account", "Disable an account: its tokens end", ADMINS,
          ending("people.disable_account", account_id=ACCOUNT, data=BODY, actor=ACTOR), "auth",
          path_schema=s.AccountPath, body=s.AccountNote, response=s.DisabledAccount,
          description="Logged with its `reason`. Your own account: 400 `OWN_ACCOUNT`. Disabled already: the same "
                      "answer, nothing logged again."),
    Route("POST", "/accounts/{account_id}/enable", "enable_account", "Enable a disabled account", ADMINS,
          Call("people.enable_account", account_id=ACCOUNT, actor=ACTOR), "auth", path_schema=s.AccountPath,
          response=s.Account),
    Route("POST", "/accounts/{account_id}/reset-password", "reset_password",
          "Reset a password: a temporary one, changed at the next sign-in", ADMINS,
          ending("people.reset_password", account_id=ACCOUNT, actor=ACTOR), "auth", path_schema=s.AccountPath,
          response=s.PasswordReset,
          description="The temporary password is shown this once. Signing in with it answers 403 "
                      "`PASSWORD_CHANGE_REQUIRED` until its holder changes it (`POST /auth/password`). The "
                      "account's tokens end and its lock is lifted. Your own account: 400 `OWN_ACCOUNT`."),
    Route("POST", "/accounts/{account_id}/unlock", "unlock_account", "Lift an account's sign-in lock", ADMINS,
          Call("people.unlock_account", account_id=ACCOUNT, actor=ACTOR), "auth", path_schema=s.AccountPath,
          response=s.Account,
          description="The lock from every address; a lock on one address lapses `LOGIN_LOCK_MINUTES` after it "
                      "began."),
    Route("POST", "/accounts/{account_id}/revoke-tokens", "revoke_account_tokens", "End every token of an account",
          ADMINS, ending("people.revoke_account_tokens", account_id=ACCOUNT, actor=ACTOR), "auth",
          path_schema=s.AccountPath, response=s.TokensEnded),
    Route("GET", "/accounts/{account_id}/events", "account_events", "What was done to an account, newest first",
          ADMINS, Call("people.account_events", account_id=ACCOUNT, after=Query("after"), limit=Query("limit")),
          "auth", path_schema=s.AccountPath, query=Paged, response=page_of(s.AccountEvent),
          description="Disabled, enabled, password reset or changed, unlocked, tokens revoked: by whom and when. "
                      "Page on with `after` = `next`."),
    Route("POST", "/api-keys", "create_api_key", "A key for a department's system (shown once)", ADMINS,
          Call("people.create_api_key", data=BODY, actor=ACTOR), "auth", body=s.NewApiKey, response=s.IssuedApiKey,
          status=201,
          description="The system sends it as `X-API-Key` (or `Authorization: ApiKey <key>`) and acts as the "
                      "department: it sees what is dispatched to it, signs and reports back. Only a digest is "
                      "kept; the key is in this answer alone. A department not registered: 400 naming "
                      "`department_code`. A revoked or unknown key: 401 `INVALID_API_KEY`."),
    Route("GET", "/api-keys", "list_api_keys", "Department systems' keys (never the keys themselves)", ADMINS,
          Call("people.list_api_keys", department_code=Query("department_code"), after=Query("after"),
               limit=Query("limit")), "auth", query=s.ApiKeyQuery, response=page_of(s.ApiKey),
          description="Newest first, with when each was last used (to the minute). Page on with `after` = "
                      "`next`."),
    Route("POST", "/api-keys/{key_id}/rotate", "rotate_api_key", "A new key in place of one; the old one stops",
          ADMINS, Call("people.rotate_api_key", key_id=KEY, actor=ACTOR), "auth", path_schema=s.ApiKeyPath,
          response=s.IssuedApiKey, status=201, errors=(409,),
          description="Same department and name; the old key is revoked at once (`replaced_by` names the new). "
                      "A revoked key: 409 `API_KEY_REVOKED`."),
    Route("POST", "/api-keys/{key_id}/revoke", "revoke_api_key", "Revoke a key: its system is refused at once",
          ADMINS, Call("people.revoke_api_key", key_id=KEY, actor=ACTOR), "auth", path_schema=s.ApiKeyPath,
          response=s.ApiKey, errors=(409,)),
]
