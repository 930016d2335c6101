"""HTTP schemas of /api/v1/webhooks (requests reject unknown fields, everything is bounded)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from gateway.webhooks.model import ORIGINS, STATUSES
from gateway.webhooks.patterns import MAX_PATTERN_LENGTH
from servicekit.schemas import PageQuerySchema, StrictSchema, Text, UtcDateTime

MAX_PATTERNS = 50
UUID = validate.Regexp(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    error="Must be a UUID.",
)
OWNER = validate.Regexp(
    r"^(user|key):[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    error="Use user:<id> or key:<id>.",
)
EVENT_TYPE = validate.Regexp(
    r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$", error="An event type such as sales.order.placed."
)


def url_field(**kwargs):
    return fields.String(
        validate=validate.Length(min=1, max=2048),
        metadata={"description": "http(s) URL of the receiver (a public address, see SSRF)."},
        **kwargs,
    )


def patterns_field(**kwargs):
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_PATTERN_LENGTH)),
        validate=validate.Length(min=1, max=MAX_PATTERNS),
        metadata={
            "description": "Event types or AMQP-style patterns: 'sales.order.*' (one word), "
            "'sales.#' (any number of words), '#' (everything you may read)."
        },
        **kwargs,
    )


def filters_field(**kwargs):
    return fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=200)),
        values=fields.Raw(allow_none=True),
        metadata={
            "description": "Conditions on event fields, all of which must hold: "
            '{"data.channel": "online_store", "data.total.currency": ["EUR", "USD"], '
            '"data.total.amount": {"gte": 100}}. Operators: eq, ne, in, not_in, gt, gte, lt, '
            "lte, prefix, exists. See docs/webhooks.md."
        },
        **kwargs,
    )


def secret_field(**kwargs):
    return fields.String(
        validate=validate.Regexp(
            r"^[\x21-\x7e]{24,200}$", error="24 to 200 printable ASCII characters, no spaces."
        ),
        metadata={"description": "Your own signing secret; generated (whsec_...) when omitted."},
        **kwargs,
    )


class SubscriptionCreate(StrictSchema):
    url = url_field(required=True)
    event_types = patterns_field(required=True)
    filters = filters_field(load_default=dict)
    description = Text(1000, allow_none=True, load_default=None)
    active = fields.Boolean(load_default=True)
    ordered = fields.Boolean(
        load_default=True,
        metadata={"description": "Send events of one aggregate in order (default true)."},
    )
    secret = secret_field()


class SubscriptionPatch(StrictSchema):
    url = url_field()
    event_types = patterns_field()
    filters = filters_field()
    description = Text(1000, allow_none=True)
    ordered = fields.Boolean()

    @ma.validates_schema
    def not_empty(self, data, **_kwargs):
        if not data:
            raise ma.ValidationError("Give at least one field to change.")


class DisableIn(StrictSchema):
    reason = Text(500, allow_none=True, load_default=None)


class RotateIn(StrictSchema):
    secret = secret_field()
    overlap_seconds = fields.Integer(
        validate=validate.Range(min=0),
        metadata={
            "description": "How long the previous secret also signs (default 24 h, at most 7 days;"
            " 0 ends it now)."
        },
    )


class ReplayIn(StrictSchema):
    since = UtcDateTime(required=True, metadata={"description": "Events that occurred at or after"})
    until = UtcDateTime(
        load_default=None, metadata={"description": "... and before this (default: now)"}
    )
    event_types = fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_PATTERN_LENGTH)),
        validate=validate.Length(min=1, max=MAX_PATTERNS),
        load_default=None,
        metadata={"description": "Default: the subscription's patterns."},
    )
    apply_filters = fields.Boolean(
        load_default=True, metadata={"description": "Apply the subscription's filters too."}
    )


class SubscriptionListQuery(PageQuerySchema):
    active = fields.Boolean()
    owner = fields.String(validate=OWNER, metadata={"description": "Administrators: user:<id>"})


class DeliveryListQuery(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    event_type = fields.String(validate=[validate.Length(max=120), EVENT_TYPE])
    origin = fields.String(validate=validate.OneOf(ORIGINS))
    replay_id = fields.String(validate=UUID)
    event_id = fields.String(validate=UUID)
    since = UtcDateTime(metadata={"description": "Created at or after"})
    until = UtcDateTime(metadata={"description": "Created before"})

    @ma.validates_schema
    def ordered_range(self, data, **_kwargs):
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise ma.ValidationError("since must be before until.", "until")


class AttemptListQuery(PageQuerySchema):
    pass


class OwnerOut(ma.Schema):
    kind = fields.String(required=True, metadata={"description": "user or api_key"})
    id = fields.String(required=True)
    name = fields.String(allow_none=True)


class HealthOut(ma.Schema):
    consecutive_failures = fields.Integer(required=True)
    failing_since = fields.DateTime(allow_none=True)
    last_success_at = fields.DateTime(allow_none=True)
    last_failure_at = fields.DateTime(allow_none=True)
    last_failure_reason = fields.String(allow_none=True)


class SubscriptionOut(ma.Schema):
    id = fields.String(required=True)
    url = fields.String(required=True)
    description = fields.String(allow_none=True)
    event_types = fields.List(fields.String(), required=True)
    filters = fields.Dict(required=True)
    active = fields.Boolean(required=True)
    ordered = fields.Boolean(required=True)
    owner = fields.Nested(OwnerOut, required=True)
    secret_hint = fields.String(required=True)
    secret_rotated_at = fields.DateTime(allow_none=True)
    previous_secret_expires_at = fields.DateTime(
        allow_none=True, metadata={"description": "Until then the old secret signs too"}
    )
    disabled_reason = fields.String(allow_none=True)
    disabled_at = fields.DateTime(allow_none=True)
    disabled_by = fields.String(allow_none=True, metadata={"description": "system or a subject"})
    health = fields.Nested(HealthOut, required=True)
    version = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class SubscriptionCreated(SubscriptionOut):
    secret = fields.String(required=True, metadata={"description": "Shown only once: store it"})


class SecretRotated(ma.Schema):
    secret = fields.String(required=True, metadata={"description": "Shown only once: store it"})
    subscription = fields.Nested(SubscriptionOut, required=True)


class SubscriptionPage(ma.Schema):
    items = fields.List(fields.Nested(SubscriptionOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class AttemptOut(ma.Schema):
    number = fields.Integer(required=True)
    started_at = fields.DateTime(required=True)
    duration_ms = fields.Float(required=True)
    status_code = fields.Integer(allow_none=True)
    outcome = fields.String(
        required=True, metadata={"description": "succeeded, retry, failed, dead"}
    )
    error = fields.String(allow_none=True)
    response_excerpt = fields.String(allow_none=True, metadata={"description": "First 1 KiB"})
    remote_address = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)


class AttemptPage(ma.Schema):
    items = fields.List(fields.Nested(AttemptOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class DeliveryOut(ma.Schema):
    id = fields.String(required=True, metadata={"description": "X-MMS-Delivery-Id"})
    seq = fields.Integer(required=True)
    subscription_id = fields.String(required=True)
    event_id = fields.String(required=True, metadata={"description": "The idempotency key"})
    event_type = fields.String(required=True)
    occurred_at = fields.DateTime(required=True)
    ordering_key = fields.String(allow_none=True)
    aggregate_version = fields.Integer(allow_none=True)
    origin = fields.String(required=True, metadata={"description": ", ".join(ORIGINS)})
    replay_id = fields.String(allow_none=True)
    requested_by = fields.String(allow_none=True)
    status = fields.String(required=True, metadata={"description": ", ".join(STATUSES)})
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    deadline_at = fields.DateTime(required=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(allow_none=True)


class DeliveryDetail(DeliveryOut):
    attempt_log = fields.List(
        fields.Nested(AttemptOut),
        required=True,
        metadata={"description": "The latest 50 attempts, oldest first"},
    )


class DeliveryPage(ma.Schema):
    items = fields.List(fields.Nested(DeliveryOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ReplayOut(ma.Schema):
    replay_id = fields.String(required=True)
    deliveries_created = fields.Integer(required=True)
    events_scanned = fields.Integer(required=True)
    events_not_permitted = fields.Integer(required=True)
    since = fields.DateTime(required=True)
    until = fields.DateTime(required=True)
    event_types = fields.List(fields.String(), required=True)
    filters_applied = fields.Boolean(required=True)


class EventTypeOut(ma.Schema):
    event_type = fields.String(required=True)
    producer = fields.String(required=True)
    versions = fields.List(fields.Integer(), required=True)
    scope = fields.String(required=True, metadata={"description": "Needed to receive it"})
    permitted = fields.Boolean(required=True, metadata={"description": "You may receive it"})


class EventTypesOut(ma.Schema):
    items = fields.List(fields.Nested(EventTypeOut), required=True)
