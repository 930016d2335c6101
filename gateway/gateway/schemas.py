"""HTTP schemas of the gateway's own operations (requests reject unknown fields)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from gateway.scopes import ALL_SCOPES, ROLES
from servicekit.schemas import PageQuerySchema, StrictSchema, Text, UtcDateTime

TEAM_NAME = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,59}$",
    error="Letters, digits, space, '-', '_' and '.', up to 60 characters.",
)
Role = fields.String(validate=validate.OneOf(ROLES))
Email = fields.Email(validate=validate.Length(max=320))


class LoginIn(StrictSchema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class RefreshIn(StrictSchema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class LogoutIn(StrictSchema):
    refresh_token = fields.String(validate=validate.Length(min=1, max=200))
    all_sessions = fields.Boolean(load_default=False)


class UserOut(ma.Schema):
    id = fields.String(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    team = fields.String(allow_none=True)
    active = fields.Boolean(required=True)
    version = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    last_login_at = fields.DateTime(allow_none=True)


class TokenPairOut(ma.Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds"})
    refresh_token = fields.String(required=True)
    refresh_expires_in = fields.Integer(required=True, metadata={"description": "Seconds"})
    user = fields.Nested(UserOut, required=True)


class MeOut(ma.Schema):
    kind = fields.String(required=True, metadata={"description": "user or api_key"})
    id = fields.String(required=True)
    subject = fields.String(required=True)
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    roles = fields.List(fields.String(), required=True)
    scopes = fields.List(fields.String(), required=True)
    team = fields.String(allow_none=True)
    user = fields.Nested(UserOut, allow_none=True)


class MePatch(StrictSchema):
    name = Text(200, required=True)


class PasswordChangeIn(StrictSchema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class PasswordResetIn(StrictSchema):
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class UserCreate(StrictSchema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    name = Text(200, required=True)
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    roles = fields.List(Role, required=True, validate=validate.Length(min=1, max=6))
    team = fields.String(allow_none=True, load_default=None, validate=TEAM_NAME)
    active = fields.Boolean(load_default=True)


class UserPatch(StrictSchema):
    name = Text(200)
    roles = fields.List(Role, validate=validate.Length(min=1, max=6))
    team = fields.String(allow_none=True, validate=TEAM_NAME)
    active = fields.Boolean()


class UserListQuery(PageQuerySchema):
    team = fields.String(validate=TEAM_NAME)
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()
    q = fields.String(validate=validate.Length(min=1, max=100))
    sort = fields.String(
        load_default="email", validate=validate.OneOf(["email", "name", "-created_at"])
    )


class UserPage(ma.Schema):
    items = fields.List(fields.Nested(UserOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class TeamIn(StrictSchema):
    name = fields.String(required=True, validate=TEAM_NAME)
    description = Text(1000, allow_none=True, load_default=None)


class TeamPatch(StrictSchema):
    description = Text(1000, allow_none=True, required=True)


class TeamOut(ma.Schema):
    name = fields.String(required=True)
    description = fields.String(allow_none=True)
    members = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)


class ApiKeyCreate(StrictSchema):
    name = Text(120, required=True)
    description = Text(1000, allow_none=True, load_default=None)
    scopes = fields.List(
        fields.String(validate=validate.OneOf([*ALL_SCOPES, "*"])),
        required=True,
        validate=validate.Length(min=1, max=len(ALL_SCOPES) + 1),
    )
    expires_at = UtcDateTime(allow_none=True, load_default=None)


class ApiKeyOut(ma.Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(allow_none=True)
    prefix = fields.String(required=True, metadata={"description": "Identifies the key"})
    scopes = fields.List(fields.String(), required=True)
    status = fields.String(required=True, metadata={"description": "active, expired, revoked"})
    created_by = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(
        allow_none=True, metadata={"description": "Updated at most once a minute"}
    )


class ApiKeyCreated(ApiKeyOut):
    key = fields.String(required=True, metadata={"description": "Shown only once: store it now"})


class ApiKeyListQuery(PageQuerySchema):
    include_revoked = fields.Boolean(load_default=False)


class ApiKeyPage(ma.Schema):
    items = fields.List(fields.Nested(ApiKeyOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class RolesOut(ma.Schema):
    roles = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)
    scopes = fields.List(fields.String(), required=True)


class MissingSection(ma.Schema):
    section = fields.String(required=True)
    service = fields.String(required=True)
    reason = fields.String(
        required=True,
        metadata={
            "description": "service_unavailable, gateway_timeout, bad_gateway, not_permitted, error"
        },
    )
    message = fields.String(required=True)


class Customer360Out(ma.Schema):
    customer_id = fields.String(required=True)
    profile = fields.Dict(allow_none=True, required=True)
    open_opportunities = fields.List(fields.Dict(), allow_none=True, required=True)
    recent_orders = fields.List(fields.Dict(), allow_none=True, required=True)
    open_tickets = fields.List(fields.Dict(), allow_none=True, required=True)
    touchpoints = fields.List(fields.Dict(), allow_none=True, required=True)
    messages = fields.List(fields.Dict(), allow_none=True, required=True)
    scores = fields.Dict(allow_none=True, required=True)
    missing = fields.List(fields.Nested(MissingSection), required=True)
