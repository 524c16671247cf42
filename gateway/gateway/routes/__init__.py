"""The route table: every route of the door, by resource. A route not listed here
does not exist."""
from gateway.routes import grids, people, reference, tickets

from gateway.openapi import TAGS

_TAG_ORDER = [tag for tag, _ in TAGS]
# In the order of the reference: sign-in first, the operations routes last.
ROUTES = tuple(sorted(people.ROUTES + grids.ROUTES + tickets.ROUTES + reference.ROUTES,
                      key=lambda route: _TAG_ORDER.index(route.tag)))
BY_NAME = {route.name: route for route in ROUTES}

assert len(BY_NAME) == len(ROUTES), "route names must be unique"
