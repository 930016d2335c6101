"""Query-string schemas of the reports, built from the report registry.

Every schema rejects unknown parameters, bounds every value, and names the parameter at fault:
an unknown dimension, ``from`` after ``to``, a granularity that would make too many buckets, a
period of more than ten years, a filter that is not an id where one is needed, an unknown format.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate, validates_schema
from webargs.fields import DelimitedList

from analytics_service.domain import periods
from analytics_service.domain.errors import InvalidQuery
from analytics_service.service.reports.base import ReportQuery
from analytics_service.service.reports.registry import ReportSpec
from servicekit.schemas import StrictSchema

FORMATS = ("json", "csv", "svg", "png")
MAX_FILTER_VALUES = 50


def _filter_field(name: str, is_id: bool) -> fields.Field:
    item = fields.UUID() if is_id else fields.String(validate=validate.Length(min=1, max=100))
    return DelimitedList(
        item,
        validate=validate.Length(min=1, max=MAX_FILTER_VALUES),
        metadata={
            "description": f"Only these {name} values (comma-separated"
            + (", ids" if is_id else "")
            + f"; at most {MAX_FILTER_VALUES})."
        },
    )


def _day_field(description: str, **kwargs) -> fields.Field:
    """A day within the bounds every report's calendar arithmetic can reach past safely."""
    bounds = f"{periods.EARLIEST_DAY} to {periods.LATEST_DAY}"
    return fields.Date(
        validate=validate.Range(
            min=periods.EARLIEST_DAY,
            max=periods.LATEST_DAY,
            error=f"Must be a day from {bounds}.",
        ),
        metadata={"description": f"{description} From {bounds}."},
        **kwargs,
    )


def schema_for(spec: ReportSpec) -> type[ma.Schema]:
    """The query-string schema of one report."""
    attrs: dict[str, Any] = {
        "format": fields.String(
            validate=validate.OneOf(FORMATS),
            metadata={
                "description": "json, csv, svg or png (default: from the Accept header, else json)."
            },
        ),
        "dimension": fields.String(
            load_default=spec.default_dimension,
            validate=validate.OneOf(spec.dimensions),
            metadata={"description": f"Group by: {', '.join(spec.dimensions)}."},
        ),
    }
    if spec.period is not None:
        attrs["start"] = _day_field("First day (YYYY-MM-DD, UTC), included.", data_key="from")
        attrs["end"] = _day_field("Last day (YYYY-MM-DD, UTC), included.", data_key="to")
    if spec.granularities:
        attrs["granularity"] = fields.String(
            load_default=spec.default_granularity,
            validate=validate.OneOf(spec.granularities),
            metadata={"description": f"Buckets: {', '.join(spec.granularities)}."},
        )
    if spec.metrics:
        attrs["metric"] = fields.String(
            validate=validate.OneOf(spec.metrics),
            metadata={"description": f"Charted measure: {', '.join(spec.metrics)}."},
        )
    attrs["top"] = fields.Integer(
        load_default=8,
        validate=validate.Range(min=1, max=20),
        metadata={"description": "Series or bars shown in the chart (1-20); the rest is 'Other'."},
    )
    for name in spec.filters:
        attrs[name] = _filter_field(name, name in spec.id_filters)
    for option in spec.options:
        if option.kind == "date":
            attrs[option.name] = _day_field(option.description)
        elif option.kind == "int":
            attrs[option.name] = fields.Integer(
                load_default=option.default,
                validate=validate.Range(min=option.minimum, max=option.maximum),
                metadata={"description": option.description},
            )
        else:
            field_type = fields.Integer if isinstance(option.default, int) else fields.String
            attrs[option.name] = field_type(
                load_default=option.default,
                validate=validate.OneOf(option.choices),
                metadata={"description": option.description},
            )

    @validates_schema
    def check_period(self, data, **kwargs):
        start, end = data.get("start"), data.get("end")
        if start and end:
            try:
                periods.check_period(start, end, data.get("granularity"))
            except InvalidQuery as exc:
                raise ma.ValidationError(exc.details) from None

    attrs["check_period"] = check_period
    name = "".join(part.capitalize() for part in spec.name.split("_")) + "Query"
    return type(name, (StrictSchema,), attrs)


def to_query(spec: ReportSpec, args: dict[str, Any], today: date) -> ReportQuery:
    """Fill defaults (period, as_of) and check what only the full picture can tell."""
    start, end = args.get("start"), args.get("end")
    if spec.period is not None:
        default_start, default_end = spec.period(today)
        if start is None and end is None:
            start, end = default_start, default_end
        elif start is None:
            start = min(default_start, end)
            start = periods.add_months(periods.month_start(end), -11) if end else start
        elif end is None:
            end = max(start, default_end)
        periods.check_period(start, end, args.get("granularity"))
    else:
        start = end = today
    filters = {name: tuple(str(v) for v in args[name]) for name in spec.filters if args.get(name)}
    options = {option.name: args.get(option.name, option.default) for option in spec.options}
    if any(option.name == "as_of" for option in spec.options):
        options["as_of"] = args.get("as_of") or today
        if options["as_of"] > today:
            raise InvalidQuery("as_of", "A snapshot cannot be taken of a future day.")
    options["today"] = today
    return ReportQuery(
        start=start,
        end=end,
        granularity=args.get("granularity") or spec.default_granularity or "month",
        dimension=args["dimension"],
        filters=filters,
        metric=args.get("metric"),
        top=args["top"],
        options=options,
        periodic=spec.period is not None,
        bucketed=bool(spec.granularities),
    )
