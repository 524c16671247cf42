"""Party building (党建引领, issue 19): grid party branches and their coverage, two-way
registration (双报到) of party members employed elsewhere with the report their employer
reads (双报告), each grid's monthly service day (网格服务日), and party-member households
(党员中心户) whose problems a member carries up and follows (三带去三带回). Seeds 000 and 001."""
from common.roles import FIELD_STAFF, PARTY_SERVICE, STAFF_AND_DEPARTMENTS, STAFF_MANAGERS, STAFF_READERS
from gateway.routing import (ACTOR, BODY, QUERY, ROOT, Call, Header, Path, Query, Route, by_record, in_root,
                             new_if_created)
from gateway.schemas import party as s
from gateway.schemas.tickets import Ticket

TAG = "party"
BRANCH = Path("branch_id")
REGISTRATION = Path("registration_id")
SERVICE_DAY = Path("service_day_id")
HIDDEN_BRANCH = by_record(hidden=True, note="its grid in the caller's scope (otherwise 404, as for a free id)")
NOT_A_MEMBER = "Anyone but a staff person who is a party member is 400 naming `person_id` (`UNKNOWN_PERSON`, " \
               "`NOT_A_PARTY_MEMBER`)."

MEMBER = Path("person_id")



ROUTES = [
    Route("POST", "/party/branches", "found_branch", "Found a party branch or group on a grid or a community",
          STAFF_MANAGERS, Call("people.found_branch", data=BODY, actor=ACTOR), TAG,
          scope=by_record(note="`grid_code` in the caller's scope"), body=s.NewBranch, response=s.BranchDetail,
          status=201,
          description="网格党支部 / 党小组 (seeds 000, 001). An active grid or community of the caller's scope (a code "
                      "naming none: 400 `UNKNOWN_GRID`; a town or above: 400 naming `grid_code`). The secretary is "
                      "a staff person who is a party member (400 naming `secretary_id` otherwise), and its first "
                      "member."),
    Route("GET", "/party/branches", "list_branches", "Party branches in a subtree, a page at a time", STAFF_READERS,
          Call("people.list_branches", root=ROOT, after=Query("after"), limit=Query("limit"), actor=ACTOR), TAG,
          scope=in_root(), query=s.PartyListQuery, response=s.BranchPage,
          description="By grid and name, with the count of present members. Page on with `after` = `next`."),
    Route("GET", "/party/branches/{branch_id}", "get_branch", "One party branch with its members", STAFF_READERS,
          Call("people.get_branch", branch_id=BRANCH, actor=ACTOR), TAG,
          path_schema=s.BranchPath, scope=HIDDEN_BRANCH, response=s.BranchDetail),
    Route("POST", "/party/branches/{branch_id}/members", "add_branch_member", "A party member joins a branch",
          STAFF_MANAGERS, Call("people.add_branch_member", branch_id=BRANCH, data=BODY, actor=ACTOR), TAG,
          path_schema=s.BranchPath, scope=HIDDEN_BRANCH, body=s.NewMember, response=s.BranchDetail, status=201,
          errors=(409,),
          description=NOT_A_MEMBER + " A present member is 409 `ALREADY_A_MEMBER`; one who left joins again."),
    Route("POST", "/party/branches/{branch_id}/members/{person_id}/leave", "leave_branch",
          "A member leaves a branch (kept on record with the day)", STAFF_MANAGERS,
          Call("people.leave_branch", branch_id=BRANCH, person_id=Path("person_id"), actor=ACTOR), TAG,
          path_schema=s.BranchMemberPath, scope=HIDDEN_BRANCH, response=s.BranchDetail, errors=(409,),
          description="Leaving again changes nothing (200); someone who never was a member: 404 "
                      "`MEMBERSHIP_NOT_FOUND`. The secretary does not leave the "
                      "branch they lead: 409 `SECRETARY_LEAVING`."),
    Route("GET", "/party/coverage", "party_coverage",
          "Staffed grids led by a branch of their own or their community's, totals per community and town",
          STAFF_READERS, Call("people.party_coverage", root=ROOT, actor=ACTOR), TAG,
          scope=in_root(required=True, must_exist=True), query=s.PartyCoverageQuery, response=s.PartyCoverage,
          whole="a report over one subtree, as the staffing gaps are: its totals per community and town are drawn "
                "from every staffed grid listed",
          description="Each staffed grid (basic and exclusive) under `root`: `led_by` `own` when a branch sits on "
                      "the grid, `community` when only its community's does, null when none. A community's "
                      "secretary may be its general grid chief: `secretary_is_general_grid_chief` says whether they "
                      "hold that post there today."),
    Route("POST", "/party/registrations", "register_party_member",
          "Two-way registration (双报到): a party member employed elsewhere joins the community they live in",
          STAFF_MANAGERS, Call("people.register_party_member", data=BODY, actor=ACTOR), TAG,
          scope=by_record(note="`community_code` in the caller's scope"), body=s.NewRegistration,
          response=s.Registration, status=201, errors=(409,),
          description="The member is a staff person who is a party member (400 naming `person_id` "
                      "otherwise); the employer a registered department (400 `UNKNOWN_DEPARTMENT` naming "
                      "`employer_code`); the "
                      "community an active one (400 naming `community_code`). One registration a member: 409 "
                      "`ALREADY_REGISTERED`."),
    Route("GET", "/party/registrations", "list_registrations",
          "Registered party members of the communities in (or above) a subtree, a page at a time", STAFF_READERS,
          Call("people.list_registrations", root=ROOT, after=Query("after"), limit=Query("limit"), actor=ACTOR), TAG,
          scope=in_root(), query=s.PartyListQuery, response=s.RegistrationPage,
          description="By community, with the hours each has logged. A grid's staff see their community's."),
    Route("POST", "/party/registrations/{registration_id}/service", "log_party_service",
          "Log a registered member's service in their community", PARTY_SERVICE,
          Call("people.log_party_service", registration_id=REGISTRATION, data=BODY, actor=ACTOR), TAG,
          path_schema=s.RegistrationPath, body=s.NewServiceEntry, response=s.ServiceEntry, status=201,
          scope=by_record(hidden=True, note="the member themself, or staff whose scope meets the community "
                                            "(otherwise 404, as for a free id)"),
          description="0.5 to 12 hours an entry (400 naming `hours`), on a day not in the future (400 naming "
                      "`day`). Announced as `party_service_logged` (ids, community, hours, households)."),
    Route("GET", "/party/registrations/{registration_id}/report", "party_service_report",
          "The member's service by month (双报告), for the member, their community and their employer",
          STAFF_AND_DEPARTMENTS,
          Call("people.party_service_report", registration_id=REGISTRATION, year=Query("year"), actor=ACTOR), TAG,
          path_schema=s.RegistrationPath, query=s.ReportQuery, response=s.ServiceReport,
          scope=by_record(hidden=True, unscoped_anywhere=True,
                          note="the member themself, staff whose scope meets the community, or the employer "
                               "department's accounts (otherwise 404, as for a free id)"),
          description="All twelve months of `year`, with the entries, hours and households served."),
    Route("POST", "/party/service-days", "hold_service_day", "A grid's service day of a month (网格服务日)",
          STAFF_MANAGERS, Call("people.hold_service_day", data=BODY, actor=ACTOR), TAG,
          scope=by_record(note="`grid_code` in the caller's scope"), body=s.NewServiceDay, response=s.ServiceDay,
          status=201, errors=(409,),
          description="One a grid a month: a second is 409 `SERVICE_DAY_EXISTS`. An active grid or community (400 "
                      "naming `grid_code` otherwise); `branch_id`, if given, a branch the caller reaches (400 "
                      "naming it)."),
    Route("POST", "/party/service-days/{service_day_id}/sign-in", "sign_in_service_day",
          "A party member who came signs in", PARTY_SERVICE,
          Call("people.sign_in_service_day", service_day_id=SERVICE_DAY, data=BODY, actor=ACTOR), TAG,
          path_schema=s.ServiceDayPath, body=s.SignIn, response=s.ServiceDay, status=201, errors=(409,),
          scope=by_record(hidden=True, note="the member themself, or staff whose scope holds the grid (otherwise "
                                            "404, as for a free id)"),
          description=NOT_A_MEMBER + " Once a member: 409 `ALREADY_SIGNED_IN`; before the day 409 "
                      "`SERVICE_DAY_NOT_YET`. Announced as `service_day_attended` (ids, grid, month, count)."),
    Route("GET", "/party/service-days", "list_service_days", "Service days in a subtree, with who signed in",
          STAFF_READERS,
          Call("people.list_service_days", root=ROOT, month=Query("month"), after=Query("after"),
               limit=Query("limit"), actor=ACTOR), TAG,
          scope=in_root(), query=s.ServiceDayListQuery, response=s.ServiceDayPage,
          description="By month and grid; `month` (YYYY-MM) keeps one. Page on with `after` = `next`."),
    Route("POST", "/party/members/{person_id}/households", "link_party_household",
          "Link a neighbouring household to a party member (党员中心户; 200 if linked already)", FIELD_STAFF,
          Call("people.link_party_household", person_id=MEMBER, data=BODY, actor=ACTOR), TAG,
          path_schema=s.MemberPath, body=s.NewHouseholdLink, response=s.HouseholdLinked, status=201,
          status_of=new_if_created, alternatives=((200, "Linked to this member already: the first link"),),
          errors=(404, 409), scope=by_record(note="the household in the caller's scope"),
          description="10 to 15 households a member, of a grid of a branch they belong to or a post they hold "
                      "(400 `HOUSEHOLD_OUTSIDE_GRID` naming `household_id`); a 16th is 409 `TOO_MANY_HOUSEHOLDS`; "
                      "a household linked to another member 409 `HOUSEHOLD_LINKED`. " + NOT_A_MEMBER),
    Route("POST", "/party/members/{person_id}/households/{household_id}/unlink", "unlink_party_household",
          "Unlink a household from a party member", FIELD_STAFF,
          Call("people.unlink_party_household", person_id=MEMBER, household_id=Path("household_id"), actor=ACTOR),
          TAG, path_schema=s.MemberHouseholdPath, response=s.MemberHouseholds, errors=(404,),
          scope=by_record(note="the household in the caller's scope"),
          description="Not linked to this member: 404 `LINK_NOT_FOUND`. Answers the member's households left."),
    Route("GET", "/party/members/{person_id}/households", "party_households",
          "A party member's households (党员中心户)", STAFF_READERS,
          Call("people.party_households", person_id=MEMBER, actor=ACTOR), TAG,
          path_schema=s.MemberPath, response=s.MemberHouseholds, self_param="person_id",
          scope=by_record(hidden=True, note="the member's grids or households meet the caller's scope (otherwise "
                                            "404, as for a free id)"),
          description="`short_of_minimum` while fewer than 10 are linked."),
    Route("POST", "/party/members/{person_id}/households/{household_id}/tickets", "carry_up_problem",
          "Carry a household's problem up (三带去): a ticket of the household's grid naming it", PARTY_SERVICE,
          Call("tickets.carry_up", person_id=MEMBER, household_id=Path("household_id"), data=BODY, actor=ACTOR,
               idempotency_key=Header("Idempotency-Key")), TAG,
          path_schema=s.MemberHouseholdPath, body=s.CarriedProblem, response=Ticket, status=201, errors=(404, 409),
          scope=by_record(note="the member themself, from their own account (anyone else: 403 `NOT_THE_MEMBER`), "
                               "for a household linked to them", outside=(403, None)),
          description="Only the member reports it, from the account linked to their staff record (a staff or a "
                      "department account); anyone else is 403 `NOT_THE_MEMBER`, before anything is looked up. A "
                      "household not linked to them now is 404 `LINK_NOT_FOUND` naming `household_id`; a member "
                      "no longer a party member 400 `NOT_A_PARTY_MEMBER`. The ticket lies in the household's "
                      "grid (wherever the member's account is scoped), has `household_id`, no point and no "
                      "reporter's name or phone, and `source` `grid_patrol` (brought in from the grid; it closes "
                      "without a rating, as patrol finds do). `Idempotency-Key` honoured as for `POST /tickets`."),
    Route("GET", "/party/members/{person_id}/households/tickets", "party_household_tickets",
          "The tickets of a party member's households, newest first (三带回)", STAFF_READERS,
          Call("tickets.household_tickets", person_id=MEMBER, filters=QUERY, actor=ACTOR), TAG,
          path_schema=s.MemberPath, query=s.HouseholdTicketQuery, response=s.HouseholdTicketPage,
          self_param="person_id",
          scope=by_record(hidden=True, note="as the member's households: the member themself, or staff whose scope "
                                            "meets the member's grids (otherwise 404, as for a free id); staff see "
                                            "those in their scope"),
          description="Tickets naming one of the households linked to the member now (carried up by them, or a "
                      "resident's own report from home): number, category, status, level, outcome, grid, "
                      "description, the household's address and the times; never who reported it or how to "
                      "reach them. `status=open` keeps those still open; `household_id` one household (not "
                      "linked to the member: 404 `LINK_NOT_FOUND` naming it). Pass `next` as `before` for the "
                      "following page."),
]
