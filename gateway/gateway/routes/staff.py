"""Staff, their posts, departments and the staffing standard."""
import base64

from common.roles import (DISTRICT_WIDE, MANAGER_READERS, STAFF_AND_DEPARTMENTS, STAFF_MANAGERS,
                          SUPERVISOR_READERS)
from gateway.routes import jobs
from gateway.routing import ACTOR, BODY, ROOT, Call, Path, Query, Route, by_record, in_root
from gateway.schemas import people as s
from gateway.schemas.base import AssignmentPath, PersonPath, SubtreeQuery, page_of
from gateway.uploads import uploaded_file

PERSON = Path("person_id")


def import_roster(ctx):
    """A large roster (or any, with `Prefer: respond-async`) is imported as a job."""
    content, filename = uploaded_file(ctx.request, default_name="roster")
    arguments = dict(content_base64=base64.b64encode(content).decode(), filename=filename, actor=ctx.actor.to_wire())
    if jobs.wants_job(ctx.request) or len(content) > jobs.ROSTER_IMPORT_JOB_BYTES:
        return jobs.accepted(ctx.rpc("people").start_roster_job(**arguments))
    return ctx.rpc("people").import_roster(**arguments)


ROUTES = [
    Route("POST", "/staff", "create_person", "Register a staff member", STAFF_MANAGERS,
          Call("people.create_person", data=BODY), "staff", body=s.NewPerson, response=s.Person, status=201,
          errors=(409,),
          description="ID and phone numbers are validated, stored encrypted and shown masked."),
    Route("POST", "/staff/roster", "import_roster", "Import a roster file (CSV, XLSX, XLS, ODS), all or nothing",
          STAFF_MANAGERS, import_roster, "staff",
          scope=by_record(note="every row's grid in the caller's scope: a row beyond it is named in the 400",
                          outside=(400, "ROSTER_REJECTED")),
          upload=True, response=s.RosterResult, status=201, errors=(409,), alternatives=(jobs.ACCEPTED,),
          description="The file itself as the body (`text/csv`, or the XLSX, XLS or ODS type), or a browser's "
                      "`multipart/form-data` upload with the file in a field named `file`; the type, else the "
                      "file's first bytes, tell how to read it. CSV in UTF-8 (with or without BOM) or GBK; of a "
                      "spreadsheet, the first sheet. Chinese headers 姓名 身份证号码 手机号码 政治面貌 "
                      "是否会用智能手机 网格编码 岗位 任职开始日期 (a filled 性别 must agree with the ID number). "
                      "All or nothing: every failing row and column is named. A file that cannot be read is a "
                      "400 `ROSTER_REJECTED` saying why (a header with no rows, a damaged ZIP package, an XLSX "
                      "without `[Content_Types].xml`, any DTD, a sheet too large unpacked, another type), and so "
                      "are more than 20,000 rows, 100 columns, or a cell over 1,000 characters or holding a NUL; "
                      "nothing of the file is logged. A file over `ROSTER_IMPORT_JOB_BYTES` (256 KiB), or "
                      "`Prefer: respond-async`: 202 with a job (`GET /jobs/{id}`) ending with this answer or this "
                      "rejection."),
    Route("GET", "/staff/{person_id}", "get_person", "A staff member (numbers masked)", SUPERVISOR_READERS,
          Call("people.get_person", person_id=PERSON, actor=ACTOR), "staff", path_schema=PersonPath,
          scope=by_record(note="the person holds a post running today in the caller's scope"),
          self_param="person_id", response=s.Person,
          description="Name, gender, birth date, numbers masked, party membership, smartphone use. \"Posted in "
                      "scope\" means a post running today (Asia/Shanghai): one that ended, or has not begun, "
                      "gives no power over the person."),
    Route("PATCH", "/staff/{person_id}", "edit_person", "Change a staff record (the fields given)", STAFF_MANAGERS,
          Call("people.edit_person", person_id=PERSON, data=BODY, actor=ACTOR), "staff", path_schema=PersonPath,
          scope=by_record(note="the person holds a post running today in the caller's scope"),
          body=s.PersonEdit, response=s.Person,
          description="Name, phone (null clears it), party membership, smartphone use, a violation on record. "
                      "The names of the fields changed are kept with who and when (`GET /staff/{person_id}/"
                      "changes`); values are not. An empty body is 400. A violation recorded makes the person "
                      "fail the recruitment rules for the posts they cover."),
    Route("GET", "/staff/{person_id}/changes", "person_changes",
          "A staff record's edits and the posts given against the recruitment rules", MANAGER_READERS,
          Call("people.person_changes", person_id=PERSON, actor=ACTOR), "staff", path_schema=PersonPath,
          scope=by_record(note="the person holds a post running today in the caller's scope"),
          response=s.PersonChanges),
    Route("GET", "/staff/{person_id}/eligibility", "person_eligibility",
          "Recruitment rules (55 or under, smartphone, no violation) with every reason", MANAGER_READERS,
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
                      "subtree's staff. District-wide roles post anyone anywhere. A post the recruitment rules "
                      "cover (`RECRUIT_ROLES`, full-time workers by default; seed 003: 55 or under, a smartphone, "
                      "no violation) goes to someone who fails them only with `override_reason` from a "
                      "district-wide role: 409 `NOT_ELIGIBLE` naming the rules failed without it, 403 "
                      "`OVERRIDE_FORBIDDEN` from anyone else. The override is kept and logged."),
    Route("POST", "/assignments/{assignment_id}/end", "end_assignment", "End a post", STAFF_MANAGERS,
          Call("people.end_assignment", assignment_id=Path("assignment_id"), data=BODY, actor=ACTOR), "staff",
          path_schema=AssignmentPath, scope=by_record(note="the post's grid in the caller's scope"),
          body=s.EndAssignment, response=s.Assignment, errors=(409,)),
    Route("GET", "/assignments", "list_assignments", "Posts, with their full history, a page at a time",
          SUPERVISOR_READERS,
          Call("people.list_assignments", person_id=Query("person_id"), grid_prefix=ROOT, on=Query("on"),
               after=Query("after"), limit=Query("limit")), "staff",
          scope=in_root(), query=s.AssignmentQuery, response=page_of(s.Assignment),
          description="By grid, role and start; page on with `after` = `next`."),
    Route("GET", "/staffing/gaps", "staffing_gaps", "Grids lacking what the staffing standard asks", SUPERVISOR_READERS,
          Call("people.staffing_gaps", root=ROOT), "staff", scope=in_root(required=True), query=SubtreeQuery, response=s.StaffingGaps,
          errors=(404,), description="一格一长一警一专多兼: totals per town and community. The grids checked are "
          "those of the level the grid scheme staffs (`GRID_LEVEL_SCHEME`, `GRID_STAFFED_LEVEL`: Dianbai's "
          "household groups in `dianbai`) and every exclusive grid."),
    Route("POST", "/departments", "create_department", "Register a department, town, community or property company",
          DISTRICT_WIDE, Call("people.create_department", data=BODY), "staff", body=s.NewDepartment,
          response=s.Department, status=201, errors=(404, 409),
          description="A code registered already is a 409 `DEPARTMENT_CODE_TAKEN`."),
    Route("GET", "/departments", "list_departments", "Registered departments, a page at a time",
          STAFF_AND_DEPARTMENTS,
          Call("people.list_departments", kind=Query("kind"), after=Query("after"), limit=Query("limit")), "staff",
          query=s.DepartmentQuery, response=page_of(s.Department),
          description="By code; page on with `after` = `next`."),
]
