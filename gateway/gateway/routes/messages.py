"""Broadcasts, notices to residents, and the inbox."""
from common.roles import EVERYONE, FIELD_STAFF, MANAGER_READERS, STAFF_MANAGERS
from gateway.routing import ACTOR, BODY, Call, Caller, Path, Query, Route, by_record, own
from gateway.schemas import people as s
from gateway.schemas.base import BroadcastPath, page_of

ROUTES = [
    Route("POST", "/broadcasts", "send_broadcast", "A notice to a subtree and/or a role", STAFF_MANAGERS,
          Call("people.send_broadcast", data=BODY, actor=ACTOR), "messages",
          scope=by_record(note="scope_grid (default: the sender's subtree) in the caller's scope"),
          body=s.NewBroadcast, response=s.Broadcast, status=201),
    Route("GET", "/broadcasts/{broadcast_id}", "broadcast_read_rate", "A notice's read rate per scope",
          MANAGER_READERS, Call("people.broadcast_read_rate", broadcast_id=Path("broadcast_id"), actor=ACTOR),
          "messages", path_schema=BroadcastPath,
          scope=by_record(note="its sender, or a manager whose scope holds the notice's"), response=s.ReadRate),
    Route("POST", "/notices", "send_notice", "A notice to the residents living in a grid (their inboxes)",
          FIELD_STAFF, Call("people.send_notice", data=BODY, actor=ACTOR), "messages",
          scope=by_record(note="scope_grid (default: the sender's subtree) in the caller's scope"),
          body=s.NewNotice, response=s.Broadcast, status=201,
          description="Seed 003: each worker runs a residents' group. The notice reaches the resident accounts "
                      "whose household lies in the grid, in their inbox (`GET /inbox`), and each reading is a "
                      "receipt (`POST /inbox/{id}/read`); its read rate per grid is `GET /notices/{id}`."),
    Route("GET", "/notices/{broadcast_id}", "notice_read_rate", "A notice's read rate", FIELD_STAFF,
          Call("people.broadcast_read_rate", broadcast_id=Path("broadcast_id"), actor=ACTOR), "messages",
          path_schema=BroadcastPath, scope=by_record(note="its sender, or staff whose scope holds the notice's"),
          response=s.ReadRate),
    Route("GET", "/inbox", "inbox", "The caller's notices, newest first, a page at a time", EVERYONE,
          Call("people.inbox", account_id=Caller("account_id"), unread_only=Query("unread"), after=Query("after"),
               limit=Query("limit")), "messages",
          scope=own(), query=s.InboxQuery, response=page_of(s.InboxItem),
          description="Page on with `after` = `next`."),
    Route("POST", "/inbox/{broadcast_id}/read", "mark_read", "A read receipt", EVERYONE,
          Call("people.mark_read", broadcast_id=Path("broadcast_id"), account_id=Caller("account_id")), "messages",
          path_schema=BroadcastPath, scope=own(), response=s.ReadReceipt),
]
