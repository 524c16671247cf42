"""Organisations (组织): enterprises, social organisations, property companies and
owners' committees, registered per grid: the sixth registry of 人地事物情组织."""
from common.roles import FIELD_STAFF, STAFF_READERS
from gateway.routing import ACTOR, BODY, ROOT, Call, Path, Query, Route, by_record, in_root
from gateway.schemas import organisations as s

TAG = "organisations"
ORGANISATION = Path("organisation_id")
HIDDEN = by_record(hidden=True, note="its grid in the caller's scope (otherwise 404, as for a free id)")

ROUTES = [
    Route("POST", "/organisations", "register_organisation", "Register an organisation in a grid", FIELD_STAFF,
          Call("people.register_organisation", data=BODY, actor=ACTOR), TAG,
          scope=by_record(note="`grid_code` in the caller's scope"), body=s.NewOrganisation, response=s.Organisation,
          status=201, errors=(409,),
          description="An active grid of the caller's scope (a code naming none: 400 `UNKNOWN_GRID`); the place, "
                      "if given, lies in it (400 `PLACE_OUTSIDE_GRID`); the department, if given, is registered "
                      "(400 `UNKNOWN_DEPARTMENT`). The credit code is checked (18 characters, its check "
                      "character: 400 naming `credit_code`) and no two organisations share one (409 "
                      "`CREDIT_CODE_TAKEN`)."),
    Route("GET", "/organisations", "list_organisations", "Organisations in a subtree, a page at a time",
          STAFF_READERS,
          Call("people.list_organisations", root=ROOT, kind=Query("kind"), status=Query("status"), q=Query("q"),
               after=Query("after"), limit=Query("limit"), actor=ACTOR), TAG,
          scope=in_root(), query=s.OrganisationListQuery, response=s.OrganisationPage,
          description="By grid and name; `by_kind` counts every match. Page on with `after` = `next`."),
    Route("GET", "/organisations/{organisation_id}", "get_organisation", "One organisation", STAFF_READERS,
          Call("people.get_organisation", organisation_id=ORGANISATION, actor=ACTOR), TAG,
          path_schema=s.OrganisationPath, scope=HIDDEN, response=s.Organisation),
    Route("PATCH", "/organisations/{organisation_id}", "edit_organisation", "Change an organisation (the fields given)",
          FIELD_STAFF, Call("people.edit_organisation", organisation_id=ORGANISATION, data=BODY, actor=ACTOR), TAG,
          path_schema=s.OrganisationPath, scope=HIDDEN, body=s.OrganisationEdit, response=s.Organisation,
          errors=(409,),
          description="`status: deregistered` when it closes (it stays on record). Checked as when registered; an "
                      "empty body is 400."),
]
