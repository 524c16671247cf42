"""Organisations (组织) as the API shows them."""
from marshmallow import fields, validate

from common.validation import CODE, GRID_CODE, ID, PLACE_CODE, Text, bounded
from gateway.schemas.base import Loose, Strict

# people.organisations' (tests/unit/test_api_schemas.py keeps them equal)
KINDS = {
    "enterprise": ("企业", "enterprise"),
    "social_organisation": ("社会组织", "social organisation"),
    "property_company": ("物业公司", "property company"),
    "owners_committee": ("业主委员会", "owners' committee"),
    "public_institution": ("事业单位", "public institution"),
    "other": ("其他组织", "other organisation"),
}
STATUSES = {"active": ("在册", "active"), "deregistered": ("已注销", "deregistered")}
CREDIT_CODE = {"description": "统一社会信用代码 (GB 32100-2015): 18 characters with a check character; no two "
                              "organisations share one", "example": "91350100M000100Y43"}


class OrganisationPath(Strict):
    organisation_id = fields.String(required=True, validate=ID)


class NewOrganisation(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    name = Text(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "金湖物业管理有限公司"})
    credit_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=30),
                                metadata=CREDIT_CODE)
    grid_code = fields.String(required=True, validate=GRID_CODE)
    place_code = fields.String(load_default=None, allow_none=True, validate=PLACE_CODE,
                               metadata={"description": "where it sits: a place of the grid registry in its grid"})
    address = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    employees = fields.Integer(load_default=None, allow_none=True, strict=True, validate=bounded(0, 1_000_000))
    contact_name = Text(load_default=None, allow_none=True, validate=validate.Length(min=1, max=50))
    department_code = fields.String(load_default=None, allow_none=True, validate=CODE, metadata={
        "description": "a property company registered as a department (to be summoned by a whistle)"})


class OrganisationEdit(Strict):
    kind = fields.String(validate=validate.OneOf(KINDS))
    name = Text(validate=validate.Length(min=1, max=100))
    credit_code = fields.String(allow_none=True, validate=validate.Length(min=1, max=30), metadata=CREDIT_CODE)
    place_code = fields.String(allow_none=True, validate=PLACE_CODE)
    address = Text(allow_none=True, validate=validate.Length(max=200))
    employees = fields.Integer(allow_none=True, strict=True, validate=bounded(0, 1_000_000))
    contact_name = Text(allow_none=True, validate=validate.Length(min=1, max=50))
    department_code = fields.String(allow_none=True, validate=CODE)
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "deregistered: 已注销"})


class OrganisationListQuery(Strict):
    root = fields.String(load_default=None, validate=GRID_CODE)
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    q = Text(load_default=None, validate=validate.Length(max=50),
             metadata={"description": "a part of the name, or the whole credit code"})
    after = fields.String(load_default=None, validate=ID, metadata={"description": "the next of the page before"})
    limit = fields.Integer(load_default=100, validate=bounded(1, 1000))


class Organisation(Loose):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    kind_label = fields.Dict(required=True)
    name = fields.String(required=True)
    credit_code = fields.String(allow_none=True)
    grid_code = fields.String(required=True)
    place_code = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    employees = fields.Integer(allow_none=True)
    contact_name = fields.String(allow_none=True)
    department_code = fields.String(allow_none=True)
    status = fields.String(required=True)
    created_by = fields.String(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    updated_at = fields.String(required=True, metadata={"format": "date-time"})


class OrganisationPage(Loose):
    items = fields.List(fields.Nested(Organisation), required=True)
    next = fields.String(allow_none=True, required=True)
    by_kind = fields.Dict(required=True, metadata={"description": "{kind: how many match}, all pages"})
