"""Small wishes (点亮微心愿, seed 001): a resident posts a wish, a community officer
approves it, a party member or a volunteer claims and fulfils it, the resident confirms
and the claimant earns volunteer points."""
from common.roles import RESIDENTS, STAFF_MANAGERS, STAFF_READERS, WISH_CLAIMANTS, WISH_READERS
from gateway.routing import ACTOR, BODY, Call, Path, Query, Route, by_record, in_root, own
from gateway.schemas import wishes as s
from gateway.schemas.base import SubtreeQuery

TAG = "wishes"
WISH = Path("wish_id")
SEEN = "its grid in the caller's scope, or the caller's own wish (otherwise 404, as for a free id)"
OUT_OF_ORDER = "409 `WISH_OUT_OF_ORDER` naming the wish's `status` when it is not "


def _step(name, path, summary, roles, rpc, note, description, body=None):
    arguments = {"wish_id": WISH, "actor": ACTOR}
    if body is not None:
        arguments["data"] = BODY
    return Route("POST", f"/wishes/{{wish_id}}/{path}", name, summary, roles, Call(f"people.{rpc}", **arguments),
                 TAG, path_schema=s.WishPath, scope=by_record(hidden=True, note=note), body=body, response=s.Wish,
                 errors=(404, 409), description=description)


ROUTES = [
    Route("POST", "/wishes", "post_wish", "Post a small wish in one's home grid", RESIDENTS,
          Call("people.post_wish", data=BODY, actor=ACTOR), TAG,
          scope=own("the resident's own household's grid"), body=s.NewWish, response=s.Wish, status=201,
          errors=(409,),
          description="From a resident's own account (one with a `resident_id`): the wish lies in the grid of "
                      "their household, and waits for a community officer's approval. An account whose resident "
                      "has no household is 409 `NO_HOME`. A title or description holding a phone or ID number is "
                      "400 `VALIDATION_FAILED` naming the field: the text goes to volunteers, who are shown the "
                      "poster's contact masked, once they claim it. Nothing is stored then."),
    Route("GET", "/wishes", "list_wishes", "Wishes newest first, a page at a time", WISH_READERS,
          Call("people.list_wishes", root=Query("root"), status=Query("status"), after=Query("after"),
               limit=Query("limit"), actor=ACTOR), TAG,
          scope=by_record(note="staff: `root` in the caller's scope (default: the caller's subtree); a resident: "
                               "their own wishes"),
          query=s.WishListQuery, response=s.WishPage,
          description="Supervisors and auditors read every wish of their scope, with its poster; other staff "
                      "read the approved ones onwards (a volunteer's list of what to claim: `status=approved`), "
                      "and the poster only of a wish they claimed, while it is theirs to fulfil; a resident reads "
                      "their own. Page on with `after`."),
    Route("GET", "/wishes/summary", "wish_summary", "Wishes per community: open, claimed, fulfilled, confirmed",
          STAFF_READERS, Call("people.wish_summary", root=Query("root"), actor=ACTOR), TAG,
          scope=in_root(), query=SubtreeQuery, response=s.WishSummary,
          description="A count per status for each community under `root`, `open` (not yet confirmed, rejected "
                      "or withdrawn) and the points credited to claimants; figures only."),
    Route("GET", "/wishes/{wish_id}", "get_wish", "One wish", WISH_READERS,
          Call("people.get_wish", wish_id=WISH, actor=ACTOR), TAG, path_schema=s.WishPath,
          scope=by_record(hidden=True, note=SEEN + "; a posted, rejected or withdrawn wish only for supervisors, "
                                                  "auditors and its poster"),
          response=s.Wish,
          description="`poster` (name, masked phone, the household's address) for the poster, supervisors and "
                      "auditors, and the claimant once they claimed it; null for anyone else. Never an ID number."),
    _step("approve_wish", "approve", "Approve a posted wish: open to claim", STAFF_MANAGERS, "approve_wish",
          "its grid in the caller's scope (otherwise 404, as for a free id)",
          OUT_OF_ORDER + "`posted`."),
    _step("reject_wish", "reject", "Reject a posted wish, with the reason", STAFF_MANAGERS, "reject_wish",
          "its grid in the caller's scope (otherwise 404, as for a free id)",
          "The reason is shown to the poster (a phone or ID number in it: 400 naming `reason`); "
          + OUT_OF_ORDER + "`posted`.", body=s.Rejection),
    _step("claim_wish", "claim", "Claim an approved wish, to fulfil it", WISH_CLAIMANTS, "claim_wish",
          "its grid in the caller's scope and, for a grid worker, approved or later (otherwise 404, as for a free "
          "id); a party member or a volunteer",
          "The caller's staff record (the account's `person_id`) must be a party member's or hold a `volunteer` "
          "or `party_member_in_service` post running today: otherwise 403 `NOT_A_VOLUNTEER`. The poster's own "
          "staff record (their ID or phone number) is 403 `OWN_WISH`. A wish claimed already, by anyone, is 409 "
          "`WISH_CLAIMED`; " + OUT_OF_ORDER + "`approved`. From the claim on, the claimant is shown the poster's "
          "name, masked phone and address, until the wish is confirmed."),
    _step("fulfil_wish", "fulfil", "Say a claimed wish is fulfilled, with a note", WISH_CLAIMANTS, "fulfil_wish",
          "its grid in the caller's scope (otherwise 404, as for a free id); the claimant (otherwise 403 "
          "`NOT_THE_CLAIMANT`)",
          "A phone or ID number in the note: 400 naming `note`; " + OUT_OF_ORDER + "`claimed`.", body=s.Fulfilment),
    _step("confirm_wish", "confirm", "Confirm a fulfilled wish: the claimant earns points", RESIDENTS, "confirm_wish",
          "the caller's own wish (otherwise 404, as for a free id)",
          "The claimant's staff record is credited `WISH_POINTS` (default 10) through the points ledger, in the "
          "same transaction (`points_changed`), and `wish_confirmed` announces it; " + OUT_OF_ORDER
          + "`fulfilled`."),
    _step("withdraw_wish", "withdraw", "Withdraw one's wish before anyone claims it", RESIDENTS, "withdraw_wish",
          "the caller's own wish (otherwise 404, as for a free id)",
          OUT_OF_ORDER + "`posted` or `approved`."),
]
