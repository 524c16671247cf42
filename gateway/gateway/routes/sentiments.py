"""Sentiment records (社情民意): what residents tell grid workers, followed up or
reported as tickets."""
from common.roles import FIELD_STAFF, STAFF_READERS
from gateway.routing import (
    ACTOR, BODY, ROOT, Call, Path, Query, Route, by_record, in_root, new_if_created, new_if_not_duplicate,
)
from gateway.schemas import sentiments as s

TAG = "sentiments"
SENTIMENT = Path("sentiment_id")
RESUBMITTED = ((200, "A resubmission (the same client_id): what was stored the first time"),)
HIDDEN = by_record(hidden=True, note="its grid in the caller's scope; otherwise 404, exactly as for a free id")
ACTING = by_record(hidden=True, note="its grid in the caller's scope (otherwise 404, as for a free id); the recorder "
                                     "or a supervisor (otherwise 403 `NOT_YOUR_RECORD`)")




ROUTES = [
    Route("GET", "/sentiments/catalogue", "sentiment_catalogue",
          "Categories, sources and statuses of sentiment records, with their labels", STAFF_READERS,
          Call("people.sentiment_catalogue"), TAG, response=s.SentimentCatalogue,
          description="Each category names the ticket category a record of it is reported under by default."),
    Route("POST", "/sentiments", "record_sentiment", "Record what residents said (200 for a resubmission)",
          FIELD_STAFF, Call("people.record_sentiment", data=BODY, actor=ACTOR), TAG,
          scope=by_record(note="the grid in the caller's scope, and the recorder posted in it that day"),
          body=s.NewSentiment, response=s.SentimentRecorded, errors=(404,), status=201,
          status_of=new_if_not_duplicate, alternatives=RESUBMITTED,
          description="A grid worker records their own (`person_id` defaults to theirs; another is 403 "
                      "`NOT_YOUR_ROUND`); chiefs and officers record for workers of their scope. The grid must be "
                      "one the recorder was posted in on the record's day (400 `NOT_ASSIGNED` naming `grid_code`), "
                      "the household one lying in it (400 `HOUSEHOLD_OUTSIDE_GRID` naming `household_id`). "
                      "`category` and `source` come from `GET /sentiments/catalogue`; `content` is 2-2000 "
                      "characters. The content stays in people: the event `sentiment_recorded` carries ids, "
                      "grid, category, source and times, never the text."),
    Route("GET", "/sentiments", "list_sentiments", "Sentiment records in a subtree, newest first, a page at a time",
          STAFF_READERS,
          Call("people.list_sentiments", root=ROOT, person_id=Query("person_id"), category=Query("category"),
               status=Query("status"), since=Query("since"), limit=Query("limit"), after=Query("after"),
               actor=ACTOR), TAG,
          scope=in_root(), query=s.SentimentListQuery, response=s.SentimentPage,
          description="Records of grids in the caller's scope. The content is what residents said: the recorder "
                      "reads their own, supervisors and auditors those of their scope; for anyone else `content` "
                      "is null and `content_shown` false. Page on with `after` = `next`."),
    Route("GET", "/sentiments/{sentiment_id}", "get_sentiment", "One sentiment record with its follow-ups",
          STAFF_READERS, Call("people.get_sentiment", sentiment_id=SENTIMENT, actor=ACTOR), TAG,
          path_schema=s.SentimentPath, scope=HIDDEN, response=s.SentimentWithFollowUps,
          description="The follow-ups' notes are shown as the content is."),
    Route("POST", "/sentiments/{sentiment_id}/follow-ups", "follow_up_sentiment",
          "Follow a record up: a note, and the status it leaves (200 for a resubmission)", FIELD_STAFF,
          Call("people.follow_up_sentiment", sentiment_id=SENTIMENT, data=BODY, actor=ACTOR), TAG,
          path_schema=s.SentimentPath, scope=ACTING, body=s.NewFollowUp, response=s.FollowedUp, errors=(409,),
          status=201, status_of=new_if_not_duplicate, alternatives=RESUBMITTED,
          description="open -> followed_up -> closed (or open -> closed at once). A closed record takes no more "
                      "follow-ups: 409 `SENTIMENT_CLOSED` naming `status`. Announced as `sentiment_followed_up`."),
    Route("POST", "/sentiments/{sentiment_id}/ticket", "ticket_sentiment",
          "Report a record as a ticket (200 when it was reported before)", FIELD_STAFF,
          Call("people.ticket_sentiment", sentiment_id=SENTIMENT, data=BODY, actor=ACTOR), TAG,
          path_schema=s.SentimentPath, scope=ACTING, body=s.TicketRequest, response=s.Ticketed, errors=(409,),
          status=201, status_of=new_if_created,
          alternatives=((200, "Reported before: the record with its ticket (`created` false)"),),
          description="People reports the record to tickets as the caller's own report: the record's grid, the "
                      "ticket category its category maps to (or `category`), its content as the description. The "
                      "record keeps the ticket's id and number, with a follow-up saying so (status followed_up). "
                      "Tickets not answering: 503 naming it, and nothing stored; a retry reports once. A closed "
                      "record: 409 `SENTIMENT_CLOSED`."),
]
