"""Scoring's figures, built from the other services' events."""
from common.roles import SUPERVISOR_READERS
from gateway.routing import ROOT, Call, Route, in_root
from gateway.schemas import tickets as s
from gateway.schemas.base import SubtreeQuery

ROUTES = [
    Route("GET", "/scoring/tickets-reported", "tickets_reported", "Tickets reported per grid in a subtree",
          SUPERVISOR_READERS, Call("scoring.tickets_reported", root=ROOT), "scoring", scope=in_root(must_exist=True),
          query=SubtreeQuery,
          response=s.TicketsReported,
          description="Each ticket counts under the grid it lives in now (a split or merge moves it)."),
]
