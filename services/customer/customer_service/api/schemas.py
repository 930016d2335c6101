"""Request and response schemas of the customer API."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from customer_service.domain import attributes as attr_domain
from customer_service.domain import interactions as int_domain
from customer_service.domain import model
from customer_service.domain.imports import POLICIES
from servicekit.schemas import (
    MAX_INT32,
    PageQuerySchema,
    StrictSchema,
    Text,
    UtcDateTime,
    page_schema,
)

ID = fields.UUID
_one_of = validate.OneOf


class EmailIn(StrictSchema):
    address = Text(320, required=True)
    label = Text(40, allow_none=True)
    primary = fields.Boolean(load_default=False)


class PhoneIn(StrictSchema):
    number = Text(40, required=True)
    label = Text(40, allow_none=True)
    primary = fields.Boolean(load_default=False)


class AddressIn(StrictSchema):
    country = fields.String(allow_none=True, validate=validate.Length(equal=2))
    region = Text(100, allow_none=True)
    city = Text(100, allow_none=True)
    postal_code = Text(20, allow_none=True)
    street = Text(300, allow_none=True)


class DemographicsIn(StrictSchema):
    birth_date = fields.Date(allow_none=True)
    gender = fields.String(allow_none=True, validate=_one_of(model.DEMOGRAPHIC_CHOICES["gender"]))
    income_band = fields.String(
        allow_none=True, validate=_one_of(model.DEMOGRAPHIC_CHOICES["income_band"])
    )
    education = fields.String(
        allow_none=True, validate=_one_of(model.DEMOGRAPHIC_CHOICES["education"])
    )
    occupation = Text(100, allow_none=True)
    marital_status = fields.String(
        allow_none=True, validate=_one_of(model.DEMOGRAPHIC_CHOICES["marital_status"])
    )
    household_size = fields.Integer(allow_none=True, validate=validate.Range(1, 30))
    language = Text(35, allow_none=True)


class PsychographicsIn(StrictSchema):
    lifestyle = Text(200, allow_none=True)
    personality = Text(200, allow_none=True)
    interests = fields.List(Text(50), validate=validate.Length(max=50), allow_none=True)
    values = fields.List(Text(50), validate=validate.Length(max=50), allow_none=True)


class ProfileFields(StrictSchema):
    name = Text(300)
    first_name = Text(120, allow_none=True)
    last_name = Text(120, allow_none=True)
    company_id = ID(allow_none=True)
    job_title = Text(200, allow_none=True)
    emails = fields.List(fields.Nested(EmailIn), validate=validate.Length(max=20))
    phones = fields.List(fields.Nested(PhoneIn), validate=validate.Length(max=20))
    address = fields.Nested(AddressIn)
    industry = Text(100, allow_none=True)
    size = fields.String(allow_none=True, validate=_one_of(model.COMPANY_SIZES))
    source = Text(100, allow_none=True)
    lifecycle_stage = fields.String(allow_none=True, validate=_one_of(model.LIFECYCLE_STAGES))
    demographics = fields.Nested(DemographicsIn)
    psychographics = fields.Nested(PsychographicsIn)
    attributes = fields.Dict(
        keys=fields.String(validate=validate.Length(max=50)), validate=validate.Length(max=100)
    )


class CustomerCreateSchema(ProfileFields):
    kind = fields.String(required=True, validate=_one_of(model.KINDS))
    owner_id = ID(allow_none=True)
    owner_team = Text(60, allow_none=True)
    tags = fields.List(Text(50), validate=validate.Length(max=100))

    @ma.post_load
    def plain(self, data, **kwargs):
        return _plain(data)


class CustomerPatchSchema(ProfileFields):
    @ma.validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("send at least one field to change")

    @ma.post_load
    def plain(self, data, **kwargs):
        return _plain(data)


def _plain(data: dict) -> dict:
    """UUIDs and dates as strings: the domain speaks plain values."""
    for key in ("company_id", "owner_id"):
        if data.get(key) is not None:
            data[key] = str(data[key])
    demo = data.get("demographics")
    if demo and demo.get("birth_date") is not None:
        demo["birth_date"] = demo["birth_date"].isoformat()
    return data


class CreateQuerySchema(StrictSchema):
    force = fields.Boolean(
        load_default=False,
        metadata={"description": "Create even when the customer looks like an existing one."},
    )


class EmailOut(ma.Schema):
    address = fields.String()
    label = fields.String(allow_none=True)
    primary = fields.Boolean()


class PhoneOut(ma.Schema):
    number = fields.String()
    label = fields.String(allow_none=True)
    primary = fields.Boolean()


class ConsentOut(ma.Schema):
    channel = fields.String()
    status = fields.String()
    source = fields.String()
    at = fields.DateTime()


class BehaviourOut(ma.Schema):
    orders_count = fields.Integer()
    total_spent = fields.Decimal(as_string=True, dump_only=True)
    currency = fields.String(allow_none=True)
    first_order_at = fields.DateTime(allow_none=True)
    last_order_at = fields.DateTime(allow_none=True)


class AddressOut(ma.Schema):
    country = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    street = fields.String(allow_none=True)


class CustomerSchema(ma.Schema):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    company_id = fields.String(allow_none=True)
    job_title = fields.String(allow_none=True)
    emails = fields.List(fields.Nested(EmailOut))
    phones = fields.List(fields.Nested(PhoneOut))
    primary_email = fields.String(allow_none=True)
    primary_phone = fields.String(allow_none=True)
    address = fields.Nested(AddressOut)
    industry = fields.String(allow_none=True)
    size = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    lifecycle_stage = fields.String(allow_none=True)
    owner_id = fields.String(allow_none=True)
    owner_team = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    attributes = fields.Dict()
    demographics = fields.Dict()
    psychographics = fields.Dict()
    consents = fields.Method("dump_consents")
    behaviour = fields.Nested(BehaviourOut)
    scores = fields.Dict()
    status = fields.String()
    merged_into = fields.String(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def dump_consents(self, obj):
        return {ch: ConsentOut().dump(c) for ch, c in obj.consents.items()}


CustomerPage = page_schema(CustomerSchema, "CustomerPage")


class CustomerListQuery(PageQuerySchema):
    q = Text(200, metadata={"description": "Search name, email or phone."})
    kind = fields.String(validate=_one_of(model.KINDS))
    status = fields.String(load_default="active", validate=_one_of(("active", "merged", "erased")))
    country = fields.String(validate=validate.Length(equal=2))
    region = Text(100)
    city = Text(100)
    industry = Text(100)
    size = fields.String(validate=_one_of(model.COMPANY_SIZES))
    source = Text(100)
    lifecycle_stage = fields.String(validate=_one_of(model.LIFECYCLE_STAGES))
    owner_id = Text(36)
    owner_team = Text(60)
    company_id = Text(36)
    tag = Text(50)
    segment_id = Text(36)
    created_after = UtcDateTime()
    created_before = UtcDateTime()
    updated_since = UtcDateTime()
    # orders_count is an INTEGER column: a bound beyond its range cannot be compared with it
    # (SQLite cannot bind it at all), so it is a 422 naming min_orders, documented as maximum.
    min_orders = fields.Integer(validate=validate.Range(min=0, max=MAX_INT32))
    sort = fields.String(
        load_default="name",
        validate=_one_of(
            ("name", "-name", "created_at", "-created_at", "updated_at", "-updated_at")
        ),
    )
    total = fields.Boolean(load_default=False)

    @ma.validates("q")
    def no_nul(self, value, **kwargs):
        # PostgreSQL text cannot hold a NUL: the search would fail in the database (a 500).
        if "\x00" in value:
            raise ma.ValidationError("Must not contain NUL characters.")


class ExportQuery(CustomerListQuery):
    class Meta:
        exclude = ("limit", "cursor", "sort", "total")


class AssignSchema(StrictSchema):
    owner_id = ID(required=True, allow_none=True)
    owner_team = Text(60, allow_none=True)


class TagsSchema(StrictSchema):
    add = fields.List(Text(50), load_default=list, validate=validate.Length(max=100))
    remove = fields.List(Text(50), load_default=list, validate=validate.Length(max=100))

    @ma.validates_schema
    def something(self, data, **kwargs):
        if not data.get("add") and not data.get("remove"):
            raise ma.ValidationError("send tags to add or remove")


class ConsentIn(StrictSchema):
    channel = fields.String(required=True, validate=_one_of(model.CHANNELS))
    status = fields.String(required=True, validate=_one_of(model.CONSENT_STATUSES))
    source = Text(100, required=True)
    evidence = Text(2000, allow_none=True)
    at = UtcDateTime(metadata={"description": "When the customer decided (default: now)."})


class ConsentHistoryItem(ma.Schema):
    channel = fields.String()
    status = fields.String()
    source = fields.String()
    at = fields.DateTime()
    recorded_at = fields.DateTime()
    recorded_by = fields.String(allow_none=True)
    evidence = fields.String(allow_none=True)


class ConsentsOut(ma.Schema):
    current = fields.Dict(keys=fields.String(), values=fields.Nested(ConsentOut))
    history = fields.List(fields.Nested(ConsentHistoryItem))


class MergeIn(StrictSchema):
    duplicate_ids = fields.List(ID(), required=True, validate=validate.Length(min=1, max=20))
    dry_run = fields.Boolean(load_default=False)

    @ma.post_load
    def plain(self, data, **kwargs):
        data["duplicate_ids"] = [str(i) for i in data["duplicate_ids"]]
        return data


class MergeOut(ma.Schema):
    dry_run = fields.Boolean()
    survivor = fields.Nested(CustomerSchema)
    merged_ids = fields.List(fields.String())
    changed_fields = fields.List(fields.String())


class EraseIn(StrictSchema):
    confirm = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="Set confirm to true: erasure cannot be undone."),
    )
    reason = Text(500, required=True)


class CandidateSchema(ma.Schema):
    customer_id = fields.String()
    reason = fields.String()
    score = fields.Integer()
    value = fields.String()


class DuplicateGroupSchema(ma.Schema):
    reason = fields.String()
    value = fields.String()
    customer_ids = fields.List(fields.String())
    score = fields.Integer()


class DuplicatesQuery(StrictSchema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class InteractionIn(StrictSchema):
    kind = fields.String(required=True, validate=_one_of(int_domain.KINDS))
    occurred_at = UtcDateTime()
    subject = Text(300, allow_none=True)
    notes = Text(10_000, allow_none=True)
    outcome = fields.String(allow_none=True, validate=_one_of(int_domain.OUTCOMES))
    next_step = Text(500, allow_none=True)
    next_step_due = UtcDateTime(allow_none=True)


class InteractionPatch(StrictSchema):
    kind = fields.String(validate=_one_of(int_domain.KINDS))
    occurred_at = UtcDateTime()
    subject = Text(300, allow_none=True)
    notes = Text(10_000, allow_none=True)
    outcome = fields.String(allow_none=True, validate=_one_of(int_domain.OUTCOMES))
    next_step = Text(500, allow_none=True)
    next_step_due = UtcDateTime(allow_none=True)

    @ma.validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("send at least one field to change")


class InteractionSchema(ma.Schema):
    id = fields.String()
    customer_id = fields.String()
    kind = fields.String()
    occurred_at = fields.DateTime()
    actor_id = fields.String(allow_none=True)
    actor_name = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    next_step = fields.String(allow_none=True)
    next_step_due = fields.DateTime(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()


InteractionPage = page_schema(InteractionSchema, "InteractionPage")


class InteractionListQuery(PageQuerySchema):
    kind = fields.String(validate=_one_of(int_domain.KINDS))


class AttributeIn(StrictSchema):
    key = fields.String(
        required=True,
        validate=validate.Regexp(
            attr_domain.KEY, error="lower-case letters, digits and _, starting with a letter"
        ),
    )
    label = Text(200, required=True)
    type = fields.String(required=True, validate=_one_of(attr_domain.TYPES))
    options = fields.List(Text(100), load_default=list, validate=validate.Length(max=200))
    required = fields.Boolean(load_default=False)
    description = Text(2000, allow_none=True)


class AttributePatch(StrictSchema):
    label = Text(200)
    options = fields.List(Text(100), validate=validate.Length(max=200))
    required = fields.Boolean()
    description = Text(2000, allow_none=True)

    @ma.validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("send at least one field to change")


class AttributeSchema(ma.Schema):
    key = fields.String()
    label = fields.String()
    type = fields.String()
    options = fields.List(fields.String())
    required = fields.Boolean()
    description = fields.String(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SegmentIn(StrictSchema):
    name = Text(200, required=True)
    kind = fields.String(required=True, validate=_one_of(("static", "dynamic")))
    description = Text(2000, allow_none=True)
    rules = fields.Dict(
        allow_none=True,
        metadata={
            "description": 'Rule tree: {"all"|"any": [...]} / {"not": {...}} around '
            '{"field", "op", "value"}; see GET /api/v1/segments/fields.'
        },
    )


class SegmentPatch(StrictSchema):
    name = Text(200)
    description = Text(2000, allow_none=True)
    rules = fields.Dict()

    @ma.validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("send at least one field to change")


class SegmentSchema(ma.Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    description = fields.String(allow_none=True)
    rules = fields.Dict(allow_none=True)
    status = fields.String()
    evaluation = fields.String(metadata={"description": "current, pending or running"})
    member_count = fields.Integer()
    evaluated_at = fields.DateTime(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


SegmentPage = page_schema(SegmentSchema, "SegmentPage")


class SegmentListQuery(PageQuerySchema):
    status = fields.String(validate=_one_of(("active", "archived")))
    kind = fields.String(validate=_one_of(("static", "dynamic")))


class MembersChange(StrictSchema):
    add = fields.List(ID(), load_default=list, validate=validate.Length(max=1000))
    remove = fields.List(ID(), load_default=list, validate=validate.Length(max=1000))

    @ma.post_load
    def plain(self, data, **kwargs):
        return {k: [str(i) for i in v] for k, v in data.items()}


class PreviewIn(StrictSchema):
    rules = fields.Dict(required=True)


class PreviewOut(ma.Schema):
    count = fields.Integer()
    sample = fields.List(fields.Dict())


class FieldCatalogue(ma.Schema):
    fields_ = fields.Dict(data_key="fields")
    groups = fields.Dict()
    operators = fields.Dict()


class ImportQuery(StrictSchema):
    dedupe = fields.String(
        load_default="skip",
        validate=_one_of(POLICIES),
        metadata={
            "description": "skip: leave matching customers alone; update: fill them from the row; "
            "create: always create"
        },
    )
    filename = Text(300)


class ImportSchema(ma.Schema):
    id = fields.String()
    filename = fields.String(allow_none=True)
    policy = fields.String()
    status = fields.String()
    total_rows = fields.Integer()
    rows_done = fields.Integer()
    progress = fields.Method("dump_progress")
    created = fields.Integer()
    updated = fields.Integer()
    skipped = fields.Integer()
    failed = fields.Integer()
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    version = fields.Integer()

    def dump_progress(self, obj):
        total = obj.total_rows or 0
        return round(obj.rows_done / total, 4) if total else 1.0


ImportPage = page_schema(ImportSchema, "ImportPage")


class ImportErrorsSchema(ma.Schema):
    errors = fields.List(fields.Dict())
    failed = fields.Integer()
    truncated = fields.Boolean()
