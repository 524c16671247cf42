"""Sign-in and accounts: the one account (一账号)."""
from common.roles import ADMINS, EVERYONE, ROLES
from gateway.routing import BODY, Call, Route, own
from gateway.schemas import people as s


def login(ctx):
    credentials = ctx.body
    account = ctx.rpc("people").authenticate(username=credentials["username"], password=credentials["password"],
                                             client_address=ctx.service.tokens.client_address(ctx.request))
    return ctx.service.tokens.issuer.issue(account)


def me(ctx):
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
    Route("GET", "/me", "me", "The caller's account, with role labels in Chinese", EVERYONE, me, "auth",
          scope=own(), response=s.Me),
    Route("GET", "/accounts", "list_accounts", "Every account", ADMINS, Call("people.list_accounts"), "auth",
          response=s.Account, wrap="items"),
    Route("POST", "/accounts", "create_account", "Create an account (one per person)", ADMINS,
          Call("people.create_account", data=BODY), "auth", body=s.NewAccount, response=s.Account, status=201,
          errors=(409,),
          description="Grid staff roles (`town_leader`, `community_officer`, `grid_chief`, `grid_worker`) must "
                      "name their `grid_scope`, an existing grid; an account of only `resident` or `department` "
                      "may not have one (a scope never applies to them). A `department` account names a "
                      "registered `department_code`. `person_id`: the staff member who signs in with it."),
]
