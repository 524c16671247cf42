"""The gateway's schemas are what the API documents; the services' are what they
enforce. They must agree: every field of a request body the gateway gates is the
service's field with the same type, bounds, choices and requiredness, and every
vocabulary the gateway documents is the service's own. (Tests may import every
package; the services and the gateway never import each other.)"""
import pytest
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

import grid.levels
import grid.places
import grid.schemas
import grid.service
import people.residents
import people.schemas
import people.staff
import tickets.catalogue
import tickets.schemas
import tickets.workflow
from gateway.schemas import grids as g
from gateway.schemas import people as p
from gateway.schemas import tickets as t

PAIRS = [
    (g.NewGrid, grid.schemas.GridInputSchema),
    (g.SplitPart, grid.schemas.SplitPartSchema),
    (g.Merge, grid.schemas.MergeSchema),
    (g.NewPlace, grid.schemas.PlaceInputSchema),
    (g.LocateQuery, grid.service.LocateQuery),
    (p.NewAccount, people.schemas.AccountSchema),
    (p.NewPerson, people.schemas.PersonInputSchema),
    (p.NewAssignment, people.schemas.AssignmentInputSchema),
    (p.EndAssignment, people.schemas.EndAssignmentSchema),
    (p.NewDepartment, people.schemas.DepartmentInputSchema),
    (p.NewHousehold, people.schemas.HouseholdInputSchema),
    (p.NewResident, people.schemas.ResidentInputSchema),
    (p.NewPatrol, people.schemas.PatrolInputSchema),
    (p.NewVisit, people.schemas.VisitInputSchema),
    (p.NewBroadcast, people.schemas.BroadcastInputSchema),
    (p.Earn, people.schemas.EarnSchema),
    (p.Redeem, people.schemas.RedeemSchema),
    (p.NewReward, people.schemas.RewardSchema),
    (t.NewTicket, tickets.schemas.NewTicketSchema),
    (t.Action, tickets.schemas.ActionSchema),
]
# Fields a service knows that the client never sends (the caller's, set from the actor).
NOT_FROM_CLIENTS = {"id", "created_at", "locked_until", "last_login_at"}
# What may differ in documentation only.
COSMETIC = {"description", "example", "title"}


def _properties(schema_class):
    spec = APISpec("x", "1", "3.0.3", plugins=[MarshmallowPlugin()])
    converter = spec.plugins[0].converter
    schema = schema_class()
    properties = {}
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        if key in NOT_FROM_CLIENTS:
            continue
        prop = {k: v for k, v in converter.field2property(field).items() if k not in COSMETIC}
        prop["required"] = field.required
        properties[key] = prop
    return properties


@pytest.mark.parametrize("gateway_schema, service_schema", PAIRS, ids=lambda s: s.__name__)
def test_a_gated_body_is_the_services_own(gateway_schema, service_schema):
    ours, theirs = _properties(gateway_schema), _properties(service_schema)
    assert sorted(ours) == sorted(theirs), "fields differ"
    different = {name: (ours[name], theirs[name]) for name in ours if ours[name] != theirs[name]}
    assert not different, different


@pytest.mark.parametrize("documented, owned", [
    (p.STAFF_ROLES, people.staff.STAFF_ROLES),
    (p.DEPARTMENT_KINDS, people.staff.DEPARTMENT_KINDS),
    (p.TAGS, people.residents.TAGS),
    (g.KINDS, grid.levels.KINDS),
    (g.UNIT_TYPES, grid.levels.UNIT_TYPES),
    (g.ZONE_TYPES, grid.levels.ZONE_TYPES),
    (g.PLACE_TYPES, grid.places.PLACE_TYPES),
    (t.GRADES, tickets.catalogue.GRADES),
    (t.SOURCES, tickets.schemas.SOURCES),
    (t.LEVELS, tickets.workflow.LEVELS),
    (t.STATES, tickets.workflow.STATES),
    (t.OUTCOMES, tickets.workflow.OUTCOMES),
    (t.ACTIONS, tuple(sorted(tickets.workflow.ALLOWED_FROM))),
])
def test_a_documented_vocabulary_is_the_services_own(documented, owned):
    assert list(documented) == list(owned)
