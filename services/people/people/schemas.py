from marshmallow import Schema, fields, validate, validates

from common.roles import ROLES


class AccountSchema(Schema):
    id = fields.String(dump_only=True)
    username = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z0-9][a-z0-9_.-]{2,63}$",
        error="3-64 characters: lower-case letters, digits, '_', '.', '-'"))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=200))
    roles = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    grid_scope = fields.String(load_default=None, allow_none=True,
                               validate=validate.Regexp(r"^\d{6,24}$", error="must be a grid code"))
    disabled = fields.Boolean(load_default=False)
    locked_until = fields.AwareDateTime(dump_only=True, allow_none=True)
    last_login_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)

    @validates("roles")
    def _known_roles(self, roles, **_):
        unknown = sorted(set(roles) - set(ROLES))
        if unknown:
            raise validate.ValidationError(
                f"unknown role(s) {', '.join(unknown)}; known: {', '.join(ROLES)}")


class CredentialsSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
