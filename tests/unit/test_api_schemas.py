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
import people.account_admin
import people.webhooks
import people.organisations
import people.party
import people.residents
import people.schemas
import people.sentiments
import people.signups
import people.staff
import people.targets
import people.wishes
import scoring.entries
import scoring.plans
import common.sheets
import tickets.catalogue
import tickets.labels
import tickets.schemas
import tickets.statistics
import tickets.workflow
from gateway.schemas import assessment as a
from gateway.schemas import campaigns as c
from gateway.schemas import grids as g
from gateway.schemas import organisations as o
from gateway.schemas import party as pb
from gateway.schemas import people as p
from gateway.schemas import public as ps
from gateway.schemas import sentiments as sn
from gateway.schemas import tickets as t
from gateway.schemas import webhooks as wh
from gateway.schemas import wishes as w

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
    (p.VisitListQuery, people.schemas.VisitQuerySchema),
    (sn.NewSentiment, people.schemas.SentimentInputSchema),
    (sn.NewFollowUp, people.schemas.SentimentFollowUpInputSchema),
    (sn.TicketRequest, people.schemas.SentimentTicketInputSchema),
    (p.NewBroadcast, people.schemas.BroadcastInputSchema),
    (p.Earn, people.schemas.EarnSchema),
    (p.Redeem, people.schemas.RedeemSchema),
    (p.NewReward, people.schemas.RewardSchema),
    (t.NewTicket, tickets.schemas.NewTicketSchema),
    (a.SelfAssessmentInput, scoring.entries.SelfAssessmentInput),
    (a.StreetItemsInput, scoring.entries.StreetItemsInput),
    (a.RatingInput, scoring.entries.RatingInput),
    (t.Action, tickets.schemas.ActionSchema),
    (g.GroupRental, grid.schemas.GroupRentalInput),
    (ps.GridCardEdit, grid.schemas.GridCardInput),
    (ps.NewSignUp, people.schemas.SignupInputSchema),
    (ps.SignupApproval, people.schemas.SignupApproveSchema),
    (ps.SignupRejection, people.schemas.SignupRejectSchema),
    (ps.NewCardReport, tickets.schemas.CardReportSchema),
    (p.PasswordChange, people.schemas.PasswordChangeSchema),
    (p.AccountNote, people.schemas.AccountNoteSchema),
    (p.NewApiKey, people.schemas.ApiKeyInputSchema),
    (wh.NewWebhook, people.schemas.WebhookInputSchema),
    (p.PersonEdit, people.schemas.PersonEditSchema),
    (p.NewNotice, people.schemas.NoticeInputSchema),
    (o.NewOrganisation, people.schemas.OrganisationInputSchema),
    (o.OrganisationEdit, people.schemas.OrganisationEditSchema),
    (c.NewCampaign, people.schemas.CampaignInputSchema),
    (c.NewTick, people.schemas.CampaignTickSchema),
    (w.NewWish, people.schemas.WishInputSchema),
    (w.Rejection, people.schemas.WishRejectSchema),
    (w.Fulfilment, people.schemas.WishFulfilSchema),
    (w.WishListQuery, people.schemas.WishListQuerySchema),
    (pb.NewBranch, people.schemas.BranchInputSchema),
    (pb.NewMember, people.schemas.BranchMemberSchema),
    (pb.NewRegistration, people.schemas.RegistrationInputSchema),
    (pb.NewServiceEntry, people.schemas.ServiceEntryInputSchema),
    (pb.NewServiceDay, people.schemas.ServiceDayInputSchema),
    (pb.SignIn, people.schemas.ServiceDaySignInSchema),
    (pb.NewHouseholdLink, people.schemas.HouseholdLinkSchema),
    (pb.CarriedProblem, tickets.schemas.CarriedProblemSchema),
    (pb.HouseholdTicketQuery, tickets.schemas.HouseholdTicketFilterSchema),
]
# Fields a service knows that the client never sends (the caller's, set from the actor).
NOT_FROM_CLIENTS = {"id", "created_at", "locked_until", "last_login_at", "token_version", "must_change_password",
                    "client_address"}  # the gateway adds where a request came from
# Differences the route table means: (gateway schema, field) -> why.
DOCUMENTED = {
    ("NewPatrol", "person_id"): "optional for a client: the service fills in the actor's own before it loads",
    ("NewVisit", "person_id"): "optional for a client: the service fills in the actor's own before it loads",
    ("NewSentiment", "person_id"): "optional for a client: the service fills in the actor's own before it loads",
    ("SignIn", "person_id"): "optional for a client: the service fills in the actor's own before it loads",
}
# What may differ in documentation only.
COSMETIC = {"description", "example", "title", "writeOnly"}


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
    different = {name: (ours[name], theirs[name]) for name in ours
                 if ours[name] != theirs[name] and (gateway_schema.__name__, name) not in DOCUMENTED}
    assert not different, different


@pytest.mark.parametrize("documented, owned", [
    (p.STAFF_ROLES, people.staff.STAFF_ROLES),
    (p.DEPARTMENT_KINDS, people.staff.DEPARTMENT_KINDS),
    (p.TAGS, people.residents.TAGS),
    (ps.SIGNUP_STATUSES, people.signups.STATUSES),
    (o.KINDS, people.organisations.KINDS),
    (o.STATUSES, people.organisations.STATUSES),
    (pb.KINDS, people.party.KINDS),
    ((pb.MIN_HOURS, pb.MAX_HOURS), (people.party.MIN_HOURS, people.party.MAX_HOURS)),
    ((pb.MIN_HOUSEHOLDS, pb.MAX_HOUSEHOLDS), (people.party.MIN_HOUSEHOLDS, people.party.MAX_HOUSEHOLDS)),
    (sn.CATEGORIES, people.sentiments.CATEGORIES),
    (sn.SOURCES, people.sentiments.SOURCES),
    (sn.STATUSES, people.sentiments.STATUSES),
    (sn.FOLLOW_UP_STATUSES, people.sentiments.FOLLOW_UP_STATUSES),
    (sn.TICKET_GRADES, people.sentiments.TICKET_GRADES),
    (w.CATEGORIES, people.wishes.CATEGORIES),
    (w.STATUSES, people.wishes.STATUSES),
    ((w.TITLE_MAX, w.DESCRIPTION_MAX, w.NOTE_MAX),
     (people.wishes.TITLE_MAX, people.wishes.DESCRIPTION_MAX, people.wishes.NOTE_MAX)),
    (people.sentiments.TICKET_GRADES, tickets.catalogue.GRADES),  # people reports with tickets' grades
    (g.KINDS, grid.levels.KINDS),
    (g.UNIT_TYPES, grid.levels.UNIT_TYPES),
    (g.ZONE_TYPES, grid.levels.ZONE_TYPES),
    (people.targets.GRID_CLASSES, grid.levels.GRID_CLASSES),  # a target names the registry's grid classes
    (g.PLACE_TYPES, grid.places.PLACE_TYPES),
    (t.GRADES, tickets.catalogue.GRADES),
    (t.SOURCES, tickets.schemas.SOURCES),
    (t.REPORTED_SOURCES, tickets.schemas.REPORTED_SOURCES),
    (t.REVIEW_FLAGS, tickets.schemas.REVIEW_FLAGS),
    (p.ACCOUNT_ACTIONS, people.account_admin.ACTIONS),
    (wh.EVENTS, tuple(people.webhooks.EVENTS)),
    (wh.STATUSES, people.webhooks.STATUSES),
    (t.LEVELS, tickets.workflow.LEVELS),
    (t.WHISTLE_LEVELS, tickets.workflow.WHISTLE_LEVELS),
    (t.STATES, tickets.workflow.STATES),
    (t.OUTCOMES, tickets.workflow.OUTCOMES),
    (t.ACTIONS, tuple(sorted(tickets.workflow.ALLOWED_FROM))),
    (t.LANGUAGES, tickets.labels.LANGUAGES),
    (t.FILE_FORMATS, tuple(common.sheets.FORMATS)),
    (tuple(t.ComparedChanges._declared_fields), tickets.statistics.COMPARED),  # what a comparison compares
    (a.RATER_KINDS, tuple(scoring.plans.RATER_KINDS)),
    (a.RATER_KINDS, tuple(scoring.entries.RATER_KINDS)),
])
def test_a_documented_vocabulary_is_the_services_own(documented, owned):
    assert list(documented) == list(owned)


def _strict_schemas():
    from gateway.schemas.base import Strict
    seen, todo = set(), list(Strict.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.add(cls)
            todo += cls.__subclasses__()
    return sorted(seen, key=lambda cls: cls.__name__)


def _numbers(schema_class):
    """(path, field) of every number a client sends through the schema, nested ones too."""
    from marshmallow import fields as f
    for name, field in schema_class._declared_fields.items():
        inner = field.inner if isinstance(field, f.List) else field
        if isinstance(inner, f.Nested):
            nested = inner.nested if isinstance(inner.nested, type) else type(inner.nested)
            yield from ((f"{name}.{path}", number) for path, number in _numbers(nested))
        elif isinstance(inner, (f.Integer, f.Float)):
            yield name, inner


def test_every_number_a_client_sends_has_bounds_a_database_holds():
    from marshmallow import validate
    from common.validation import INT32_MAX
    unbounded = []
    for schema_class in _strict_schemas():
        for path, field in _numbers(schema_class):
            ranges = [v for v in field.validators if isinstance(v, validate.Range)]
            if not any(r.min is not None and r.max is not None and -INT32_MAX <= r.min and r.max <= INT32_MAX
                       for r in ranges):
                unbounded.append(f"{schema_class.__name__}.{path}")
    assert not unbounded, unbounded
