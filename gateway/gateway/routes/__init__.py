"""The route table: every route of the door, by resource. A route not listed here
does not exist."""
from gateway.openapi import TAGS
from gateway.routes import (accounts, assessment, campaigns, duties, grids, integrity, jobs, messages, open311,
                            organisations, party, points, portal, public, reference, residents, rounds, scoring,
                            sentiments, staff, tickets, webhooks, wishes)

_TAG_ORDER = [tag for tag, _ in TAGS]
# In the order of the reference: sign-in first, the operations routes last.
RESOURCES = (accounts, grids, jobs, staff, residents, organisations, rounds, duties, campaigns, party, wishes, sentiments,
             messages, points, tickets, webhooks, scoring, assessment, integrity, public, open311, portal,
             reference)
ROUTES = tuple(sorted((route for resource in RESOURCES for route in resource.ROUTES),
                      key=lambda route: _TAG_ORDER.index(route.tag)))
BY_NAME = {route.name: route for route in ROUTES}

assert len(BY_NAME) == len(ROUTES), "route names must be unique"
