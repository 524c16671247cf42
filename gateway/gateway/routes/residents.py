"""Residents and households (personal data encrypted, shown masked)."""
from common.roles import FIELD_STAFF, STAFF_MANAGERS, STAFF_READERS
from gateway.routing import ACTOR, BODY, ROOT, Call, Path, Query, Route, by_record, in_root
from gateway.schemas import people as s
from gateway.schemas import public as ps
from gateway.schemas.base import HouseholdPath, ResidentPath, page_of


def find_residents(ctx):
    """GET /residents (query) and POST /residents/search (body): the same filters."""
    filters = dict(ctx.body if isinstance(ctx.body, dict) else ctx.query)
    filters.pop("root", None)
    filters["grid_prefix"] = ctx.root
    return ctx.rpc("people").find_residents(filters=filters, actor=ctx.actor.to_wire())


ROUTES = [
    Route("POST", "/households", "register_household", "A household at a place of the grid registry", FIELD_STAFF,
          Call("people.register_household", data=BODY, actor=ACTOR), "residents",
          scope=by_record(note="the place in the caller's scope"), body=s.NewHousehold, response=s.Household,
          status=201, errors=(404,)),
    Route("POST", "/households/{household_id}/move", "move_household", "Move a household to another place",
          FIELD_STAFF, Call("people.move_household", household_id=Path("household_id"), data=BODY, actor=ACTOR),
          "residents", path_schema=HouseholdPath, scope=by_record(note="the grid it leaves in the caller's scope"),
          body=s.NewHousehold, response=s.Household),
    Route("GET", "/households", "list_households", "Households in a subtree, a page at a time", STAFF_READERS,
          Call("people.list_households", grid_prefix=ROOT, after=Query("after"), limit=Query("limit")), "residents",
          scope=in_root(), query=s.HouseholdListQuery, response=page_of(s.Household),
          description="In the order they were registered; page on with `after` = `next`."),
    Route("POST", "/residents", "register_resident", "Register a resident (numbers encrypted, shown masked)",
          FIELD_STAFF, Call("people.register_resident", data=BODY, actor=ACTOR), "residents",
          scope=by_record(note="the household in the caller's scope"), body=s.NewResident, response=s.Resident,
          status=201, errors=(404, 409)),
    Route("GET", "/residents", "list_residents", "Residents in a subtree, by household or tag, a page at a time",
          STAFF_READERS, find_residents, "residents", scope=in_root(), query=s.ResidentSearch,
          response=page_of(s.Resident),
          description="Searching by `id_number` or `phone` here puts personal data in a URL: prefer "
                      "`POST /residents/search`. Both are exact searches, in the order residents were "
                      "registered; page on with `after` = `next`."),
    Route("POST", "/residents/search", "search_residents", "Find residents by ID number, phone, household or tag",
          STAFF_READERS, find_residents, "residents", scope=in_root(note="`root` in the body, in the caller's scope"),
          body=s.ResidentSearch, response=page_of(s.Resident),
          description="The filters of `GET /residents`, `after` and `limit` included, in the body."),
    Route("GET", "/residents/{resident_id}", "get_resident", "One resident; clear numbers only for PII_CLEAR_ROLES",
          STAFF_READERS,
          Call("people.get_resident", resident_id=Path("resident_id"), actor=ACTOR, reveal=Query("reveal")),
          "residents", path_schema=ResidentPath, scope=by_record(hidden=True), query=s.RevealQuery,
          response=s.Resident,
          description="A clear read (`reveal=true`) is logged: who, when, whose record. A resident outside the "
                      "caller's scope (or without a household, for all but district-wide roles) is a 404 "
                      "`RESIDENT_NOT_FOUND` exactly as an id nobody has."),
    Route("GET", "/sign-ups", "list_signups", "Residents' sign-ups naming a grid in the caller's scope",
          STAFF_MANAGERS, Call("people.list_signups", root=Query("root"), status=Query("status"),
                               limit=Query("limit"), after=Query("after"), actor=ACTOR), "residents",
          scope=in_root(), query=ps.SignupListQuery, response=page_of(ps.SignUp),
          description="Newest first, a page at a time (`after` = `next`); phones masked. A sign-up naming no "
                      "grid is for district-wide roles."),
    Route("POST", "/sign-ups/{signup_id}/approve", "approve_signup",
          "Open a signed-up resident's account, linked to a registered resident", STAFF_MANAGERS,
          Call("people.approve_signup", signup_id=Path("signup_id"), data=BODY, actor=ACTOR), "residents",
          path_schema=ps.SignupPath, body=ps.SignupApproval, response=ps.SignUp, errors=(409,),
          scope=by_record(hidden=True, note="the sign-up's grid and the resident's household in the caller's scope"),
          description="The account (role `resident`) takes the password given at sign-up; its home grid follows "
                      "the resident's household. A resident outside the scope or with no household: 404 naming "
                      "`resident_id`; one with an account already, or a sign-up decided already: 409."),
    Route("POST", "/sign-ups/{signup_id}/reject", "reject_signup", "Turn a sign-up down, saying why",
          STAFF_MANAGERS, Call("people.reject_signup", signup_id=Path("signup_id"), data=BODY, actor=ACTOR),
          "residents", path_schema=ps.SignupPath, body=ps.SignupRejection, response=ps.SignUp, errors=(409,),
          scope=by_record(hidden=True, note="the sign-up's grid in the caller's scope")),
]
