"""Sign-in and accounts; staff, their posts and departments; residents and
households; patrols and visits; broadcasts and the inbox; volunteer points."""
import base64

from common.roles import (ADMINS, DISTRICT_WIDE, EVERYONE, FIELD_STAFF, POINTS_APPROVERS, REWARD_EDITORS, ROLES,
                          STAFF, STAFF_AND_DEPARTMENTS, STAFF_MANAGERS, SUPERVISORS)
from gateway.routing import (ACTOR, BODY, ROOT, Call, Caller, Path, Query, Route, by_record, in_root, own)
from gateway.schemas import people as s
from gateway.schemas.base import AssignmentPath, BroadcastPath, HouseholdPath, PersonPath, ResidentPath
from gateway.uploads import uploaded_file

PERSON = Path("person_id")


RESUBMITTED = ((200, "A resubmission (the same client_id): what was stored the first time"),)


def new_if_not_duplicate(result):
    """A resubmission (the same client_id) answers 200 with what was stored first."""
    return 200 if result["duplicate"] else 201


def login(ctx):
    credentials = ctx.body
    account = ctx.rpc("people").authenticate(username=credentials["username"], password=credentials["password"],
                                             client_address=ctx.service.tokens.client_address(ctx.request))
    return ctx.service.tokens.issuer.issue(account)


def me(ctx):
    account = ctx.rpc("people").get_account(account_id=ctx.actor.account_id)
    account["role_labels"] = {role: ROLES[role][0] for role in account["roles"] if role in ROLES}
    return account


def import_roster(ctx):
    content, filename = uploaded_file(ctx.request, default_name="roster")
    return ctx.rpc("people").import_roster(content_base64=base64.b64encode(content).decode(), filename=filename,
                                           actor=ctx.actor.to_wire())


def find_residents(ctx):
    """GET /residents (query) and POST /residents/search (body): the same filters."""
    filters = dict(ctx.body if isinstance(ctx.body, dict) else ctx.query)
    filters.pop("root", None)
    filters["grid_prefix"] = ctx.root
    return ctx.rpc("people").find_residents(filters=filters, actor=ctx.actor.to_wire())


ACCOUNTS = [
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

STAFF_ROUTES = [
    Route("POST", "/staff", "create_person", "Register a staff member", STAFF_MANAGERS,
          Call("people.create_person", data=BODY), "staff", body=s.NewPerson, response=s.Person, status=201,
          errors=(409,),
          description="ID and phone numbers are validated, stored encrypted and shown masked."),
    Route("POST", "/staff/roster", "import_roster", "Import a roster file (CSV, XLSX, XLS, ODS), all or nothing",
          STAFF_MANAGERS, import_roster, "staff",
          scope=by_record(note="every row's grid in the caller's scope: a row beyond it is named in the 400",
                          outside=(400, "ROSTER_REJECTED")),
          upload=True, response=s.RosterResult, status=201, errors=(409,),
          description="The file itself as the body (`text/csv`, or the XLSX, XLS or ODS type), or a browser's "
                      "`multipart/form-data` upload with the file in a field named `file`; the type, else the "
                      "file's first bytes, tell how to read it. CSV in UTF-8 (with or without BOM) or GBK; of a "
                      "spreadsheet, the first sheet. Chinese headers 姓名 身份证号码 手机号码 政治面貌 "
                      "是否会用智能手机 网格编码 岗位 任职开始日期 (a filled 性别 must agree with the ID number). "
                      "All or nothing: every failing row and column is named. A file that cannot be read is a "
                      "400 `ROSTER_REJECTED` saying why (a header with no rows, a damaged ZIP package, an XLSX "
                      "without `[Content_Types].xml`, any DTD, a sheet too large unpacked, another type), and so "
                      "are more than 20,000 rows, 100 columns, or a cell over 1,000 characters or holding a NUL; "
                      "nothing of the file is logged."),
    Route("GET", "/staff/{person_id}", "get_person", "A staff member (numbers masked)", SUPERVISORS,
          Call("people.get_person", person_id=PERSON, actor=ACTOR), "staff", path_schema=PersonPath,
          scope=by_record(note="the person holds a post running today in the caller's scope"),
          self_param="person_id", response=s.Person,
          description="Name, gender, birth date, numbers masked, party membership, smartphone use. \"Posted in "
                      "scope\" means a post running today (Asia/Shanghai): one that ended, or has not begun, "
                      "gives no power over the person."),
    Route("GET", "/staff/{person_id}/eligibility", "person_eligibility",
          "Recruitment rules (55 or under, smartphone, no violation) with every reason", STAFF_MANAGERS,
          Call("people.person_eligibility", person_id=PERSON, actor=ACTOR), "staff", path_schema=PersonPath,
          scope=by_record(note="the person holds a post running today in the caller's scope"),
          response=s.Eligibility),
    Route("POST", "/staff/{person_id}/assignments", "assign_person", "Post a person in a grid", STAFF_MANAGERS,
          Call("people.assign_person", person_id=PERSON, data=BODY, actor=ACTOR), "staff", path_schema=PersonPath,
          scope=by_record(note="the grid in the caller's scope, and the person already posted there or posted "
                               "nowhere (district-wide roles: anyone)"),
          body=s.NewAssignment, response=s.Assignment, status=201, errors=(409,),
          description="A post in a grid of the caller's scope, from 2000-01-01 on, to a person the caller reaches "
                      "already (posted in its scope today) or who holds no post running today: someone posted "
                      "only elsewhere is 403 `OUT_OF_SCOPE` (not naming where), so posting is no way into another "
                      "subtree's staff. District-wide roles post anyone anywhere."),
    Route("POST", "/assignments/{assignment_id}/end", "end_assignment", "End a post", STAFF_MANAGERS,
          Call("people.end_assignment", assignment_id=Path("assignment_id"), data=BODY, actor=ACTOR), "staff",
          path_schema=AssignmentPath, scope=by_record(note="the post's grid in the caller's scope"),
          body=s.EndAssignment, response=s.Assignment, errors=(409,)),
    Route("GET", "/assignments", "list_assignments", "Posts, with their full history", SUPERVISORS,
          Call("people.list_assignments", person_id=Query("person_id"), grid_prefix=ROOT, on=Query("on")), "staff",
          scope=in_root(), query=s.AssignmentQuery, response=s.Assignment, wrap="items"),
    Route("GET", "/staffing/gaps", "staffing_gaps", "Grids lacking what the staffing standard asks", SUPERVISORS,
          Call("people.staffing_gaps", root=ROOT), "staff", scope=in_root(required=True), query=s.SubtreeQuery, response=s.StaffingGaps,
          errors=(404,), description="一格一长一警一专多兼: totals per town and community."),
    Route("POST", "/departments", "create_department", "Register a department, town, community or property company",
          DISTRICT_WIDE, Call("people.create_department", data=BODY), "staff", body=s.NewDepartment,
          response=s.Department, status=201, errors=(404, 409),
          description="A code registered already is a 409 `DEPARTMENT_CODE_TAKEN`."),
    Route("GET", "/departments", "list_departments", "Registered departments", STAFF_AND_DEPARTMENTS,
          Call("people.list_departments", kind=Query("kind")), "staff", query=s.DepartmentQuery,
          response=s.Department, wrap="items"),
]

RESIDENTS = [
    Route("POST", "/households", "register_household", "A household at a place of the grid registry", FIELD_STAFF,
          Call("people.register_household", data=BODY, actor=ACTOR), "residents",
          scope=by_record(note="the place in the caller's scope"), body=s.NewHousehold, response=s.Household,
          status=201, errors=(404,)),
    Route("POST", "/households/{household_id}/move", "move_household", "Move a household to another place",
          FIELD_STAFF, Call("people.move_household", household_id=Path("household_id"), data=BODY, actor=ACTOR),
          "residents", path_schema=HouseholdPath, scope=by_record(note="the grid it leaves in the caller's scope"),
          body=s.NewHousehold, response=s.Household),
    Route("GET", "/households", "list_households", "Households in a subtree", STAFF,
          Call("people.list_households", grid_prefix=ROOT), "residents", scope=in_root(), query=s.SubtreeQuery,
          response=s.Household, wrap="items"),
    Route("POST", "/residents", "register_resident", "Register a resident (numbers encrypted, shown masked)",
          FIELD_STAFF, Call("people.register_resident", data=BODY, actor=ACTOR), "residents",
          scope=by_record(note="the household in the caller's scope"), body=s.NewResident, response=s.Resident,
          status=201, errors=(404, 409)),
    Route("GET", "/residents", "list_residents", "Residents in a subtree, by household or tag", STAFF,
          find_residents, "residents", scope=in_root(), query=s.ResidentSearch, response=s.Resident,
          wrap="items",
          description="Searching by `id_number` or `phone` here puts personal data in a URL: prefer "
                      "`POST /residents/search`. Both are exact searches."),
    Route("POST", "/residents/search", "search_residents", "Find residents by ID number, phone, household or tag",
          STAFF, find_residents, "residents", scope=in_root(note="`root` in the body, in the caller's scope"),
          body=s.ResidentSearch, response=s.Resident, wrap="items"),
    Route("GET", "/residents/{resident_id}", "get_resident", "One resident; clear numbers only for PII_CLEAR_ROLES",
          STAFF, Call("people.get_resident", resident_id=Path("resident_id"), actor=ACTOR, reveal=Query("reveal")),
          "residents", path_schema=ResidentPath, scope=by_record(hidden=True), query=s.RevealQuery,
          response=s.Resident,
          description="A clear read (`reveal=true`) is logged: who, when, whose record. A resident outside the "
                      "caller's scope (or without a household, for all but district-wide roles) is a 404 "
                      "`RESIDENT_NOT_FOUND` exactly as an id nobody has."),
]

ROUNDS = [
    Route("POST", "/patrols", "log_patrol", "A GPS patrol check-in (200 for a resubmission)", FIELD_STAFF,
          Call("people.log_patrol", data=BODY, actor=ACTOR), "rounds",
          scope=by_record(note="the person posted in the caller's scope on the round's day"), body=s.NewPatrol,
          errors=(404,),
          response=s.PatrolLogged, status=201, status_of=new_if_not_duplicate,
          alternatives=RESUBMITTED,
          description="Checked against the worker's grid. A grid worker logs their own rounds (`person_id` "
                      "defaults to theirs; another is 403 `NOT_YOUR_ROUND`); chiefs and officers log for people "
                      "posted in their scope on the round's day, so a phone uploads rounds it made offline before "
                      "a post ended. `occurred_at`: an ISO date-time with offset from 2000 to 2099."),
    Route("GET", "/patrols", "list_patrols", "Patrols in a subtree or of a person, newest first", STAFF,
          Call("people.list_patrols", person_id=Query("person_id"), limit=Query("limit"), root=ROOT), "rounds",
          scope=in_root(), query=s.PatrolListQuery, response=s.Patrol, wrap="items",
          description="Rounds made in the caller's scope, or by people posted in it on the round's day."),
    Route("POST", "/visits", "log_visit", "A household visit with notes (200 for a resubmission)", FIELD_STAFF,
          Call("people.log_visit", data=BODY, actor=ACTOR), "rounds",
          scope=by_record(note="the visitor posted, and the household lying, in the caller's scope"),
          body=s.NewVisit, response=s.VisitLogged, errors=(404,), status=201, status_of=new_if_not_duplicate,
          alternatives=RESUBMITTED, description="The same offline and own-round rules as a patrol."),
]

MESSAGES = [
    Route("POST", "/broadcasts", "send_broadcast", "A notice to a subtree and/or a role", STAFF_MANAGERS,
          Call("people.send_broadcast", data=BODY, actor=ACTOR), "messages",
          scope=by_record(note="scope_grid (default: the sender's subtree) in the caller's scope"),
          body=s.NewBroadcast, response=s.Broadcast, status=201),
    Route("GET", "/broadcasts/{broadcast_id}", "broadcast_read_rate", "A notice's read rate per scope",
          STAFF_MANAGERS, Call("people.broadcast_read_rate", broadcast_id=Path("broadcast_id"), actor=ACTOR),
          "messages", path_schema=BroadcastPath,
          scope=by_record(note="its sender, or a manager whose scope holds the notice's"), response=s.ReadRate),
    Route("GET", "/inbox", "inbox", "The caller's notices", EVERYONE,
          Call("people.inbox", account_id=Caller("account_id"), unread_only=Query("unread")), "messages",
          scope=own(), query=s.InboxQuery, response=s.InboxItem, wrap="items"),
    Route("POST", "/inbox/{broadcast_id}/read", "mark_read", "A read receipt", EVERYONE,
          Call("people.mark_read", broadcast_id=Path("broadcast_id"), account_id=Caller("account_id")), "messages",
          path_schema=BroadcastPath, scope=own(), response=s.ReadReceipt),
]

POINTS = [
    Route("POST", "/points/earn", "earn_points", "Credit volunteer points (1-1,000 an entry)", POINTS_APPROVERS,
          Call("people.earn_points", data=BODY, actor=ACTOR), "points",
          scope=by_record(note="the person posted in the caller's scope"), body=s.Earn, response=s.PointsEntry,
          status=201, errors=(404,)),
    Route("POST", "/points/redeem", "redeem_points", "Redeem points for a reward", POINTS_APPROVERS,
          Call("people.redeem_points", data=BODY, actor=ACTOR), "points",
          scope=by_record(note="the person posted in the caller's scope"), body=s.Redeem, response=s.PointsEntry,
          status=201, errors=(404, 409)),
    Route("POST", "/points/rewards", "add_reward", "A reward (its code once: 409 REWARD_CODE_TAKEN)",
          REWARD_EDITORS, Call("people.add_reward", data=BODY), "points", body=s.NewReward, response=s.Reward,
          status=201, errors=(409,),
          description="`cost` 1-1,000,000, `stock` 0-1,000,000; a code that exists is a 409 `REWARD_CODE_TAKEN` and "
                      "the stored reward stays as it was."),
    Route("GET", "/points/{person_id}", "points_statement", "A person's points ledger", SUPERVISORS,
          Call("people.points_statement", person_id=PERSON, actor=ACTOR), "points", path_schema=PersonPath,
          scope=by_record(note="the person posted in the caller's scope"), self_param="person_id",
          response=s.PointsStatement),
]

ROUTES = ACCOUNTS + STAFF_ROUTES + RESIDENTS + ROUNDS + MESSAGES + POINTS
