"""Patrols and household visits (巡查走访), as phones upload them, offline ones too."""
from common.roles import FIELD_STAFF, STAFF_READERS
from gateway.routing import ACTOR, BODY, ROOT, Call, Query, Route, by_record, in_root, new_if_not_duplicate
from gateway.schemas import people as s
from gateway.schemas.base import page_of

RESUBMITTED = ((200, "A resubmission (the same client_id): what was stored the first time"),)



ROUTES = [
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
    Route("GET", "/patrols", "list_patrols", "Patrols in a subtree or of a person, newest first, a page at a time",
          STAFF_READERS,
          Call("people.list_patrols", person_id=Query("person_id"), limit=Query("limit"), root=ROOT,
               after=Query("after")), "rounds",
          scope=in_root(), query=s.PatrolListQuery, response=page_of(s.Patrol),
          description="Rounds made in the caller's scope, or by people posted in it on the round's day. Page on "
                      "with `after` = `next`."),
    Route("POST", "/visits", "log_visit", "A household visit with notes (200 for a resubmission)", FIELD_STAFF,
          Call("people.log_visit", data=BODY, actor=ACTOR), "rounds",
          scope=by_record(note="the visitor posted, and the household lying, in the caller's scope"),
          body=s.NewVisit, response=s.VisitLogged, errors=(404,), status=201, status_of=new_if_not_duplicate,
          alternatives=RESUBMITTED, description="The same offline and own-round rules as a patrol."),
    Route("GET", "/visits", "list_visits", "Household visits in a subtree or of a person, newest first, a page at a time",
          STAFF_READERS,
          Call("people.list_visits", root=ROOT, person_id=Query("person_id"), since=Query("since"),
               limit=Query("limit"), after=Query("after"), actor=ACTOR), "rounds",
          scope=in_root(), query=s.VisitListQuery, response=s.VisitPage,
          description="Visits of households lying in the caller's scope when visited. The notes are what a visitor "
                      "heard at a door: the visitor reads their own, supervisors and auditors those of their scope "
                      "(they check the visits); for anyone else `notes` is null and `notes_shown` false. ID and "
                      "mobile numbers typed into notes are masked, as everywhere. Page on with `after` = `next`."),
]
