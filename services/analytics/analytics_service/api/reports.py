"""/api/v1/analytics: every report as JSON, CSV, SVG or PNG, customer scores, the report index.

All endpoints need ``analytics:read`` and see everything (analytics holds no per-owner data
beyond ids).
"""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields, validate

from analytics_service.api import params
from analytics_service.api.rendering import choose_format, render
from analytics_service.domain import forecasting, scores
from analytics_service.service.reports import campaigns, customers
from analytics_service.service.reports.registry import REPORTS, ReportSpec
from servicekit.blueprint import Blueprint
from servicekit.schemas import StrictSchema
from servicekit.types import utcnow
from servicekit.webctx import require_scope, service

DESCRIPTION = (
    "Decision support built only from the suite's events: revenue and volume, pipeline and "
    "forecasts, funnel, rep targets, campaign ROI, email engagement, support SLAs and "
    "satisfaction, RFM, cohorts and customer lifetime value. Every report takes format=json|"
    "csv|svg|png (or the Accept header). Money is in the base currency, as decimal strings.\n\n"
    "Revenue forecast method:\n" + forecasting.__doc__ + "\n\nCustomer scores:\n" + scores.__doc__
)

blp = Blueprint(
    "analytics",
    __name__,
    url_prefix="/api/v1/analytics",
    description="Reports (JSON, CSV, SVG, PNG), customer scores and forecasts. Scope: "
    "analytics:read.",
)


class ColumnOut(StrictSchema):
    name = fields.String(required=True)
    label = fields.String(required=True)
    kind = fields.String(
        required=True,
        metadata={
            "description": "period, text, id, money, count, ratio, days, hours, number or date"
        },
    )


class ReportOut(StrictSchema):
    report = fields.String(required=True)
    title = fields.String(required=True)
    subtitle = fields.String()
    currency = fields.String(required=True)
    params = fields.Dict(required=True, metadata={"description": "The parameters applied."})
    columns = fields.List(fields.Nested(ColumnOut), required=True)
    rows = fields.List(
        fields.Dict(),
        required=True,
        metadata={"description": "One object per row, keyed by column name; money as strings."},
    )
    totals = fields.Dict(allow_none=True)
    notes = fields.String(metadata={"description": "How the figures are computed."})


# What some reports add to the common shape (Report.extra in the service layer): each such
# report documents its own JSON body, so every body is described exactly.


class CampaignsReportOut(ReportOut):
    model = fields.String(
        required=True,
        validate=validate.OneOf(campaigns.MODELS),
        metadata={"description": "The attribution model behind ROAS, cost per order and chart."},
    )


class ForecastModelOut(StrictSchema):
    method = fields.String(
        required=True,
        validate=validate.OneOf(("holt_linear", "mean")),
        metadata={"description": "holt_linear, or mean with fewer than four months of history"},
    )
    alpha = fields.Float(required=True, allow_none=True, metadata={"description": "Level weight"})
    beta = fields.Float(required=True, allow_none=True, metadata={"description": "Trend weight"})
    sigma = fields.String(
        required=True,
        metadata={"format": "decimal", "description": "Standard deviation of one-step errors"},
    )
    level = fields.Integer(
        required=True, metadata={"description": "Prediction interval, in percent (80 or 95)"}
    )
    history_months = fields.Integer(
        required=True, metadata={"description": "Months of history the model was fitted to"}
    )


class ForecastReportOut(ReportOut):
    model = fields.Nested(ForecastModelOut, required=True)


class ReturnsOut(StrictSchema):
    requested = fields.Integer(required=True)
    approved = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    approval_rate = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "format": "decimal",
            "description": "approved / (approved + rejected), 0-1; null before any decision",
        },
    )


class SupportReportOut(ReportOut):
    returns = fields.Nested(
        ReturnsOut,
        required=True,
        metadata={"description": "Return requests made in the period and how they were decided."},
    )


class ScoredReportOut(ReportOut):
    """The reports built on the customer scores (RFM, CLV)."""

    as_of = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "The day the scores were computed; null before the first run."},
    )


RESPONSE_SCHEMAS: dict[str, type[ReportOut]] = {
    "campaigns": CampaignsReportOut,
    "forecast": ForecastReportOut,
    "support": SupportReportOut,
    "rfm": ScoredReportOut,
    "clv": ScoredReportOut,
}


def response_schema(spec: ReportSpec) -> type[ReportOut]:
    """The schema of ``spec``'s JSON body."""
    return RESPONSE_SCHEMAS.get(spec.name, ReportOut)


def _other_formats(title: str, body: type[ReportOut]) -> dict:
    return {
        "responses": {
            "200": {
                "description": title,
                "content": {
                    "application/json": {"schema": body},
                    "text/csv": {"schema": {"type": "string"}},
                    "image/svg+xml": {"schema": {"type": "string"}},
                    "image/png": {"schema": {"type": "string", "format": "binary"}},
                },
            },
            "406": {"description": "The Accept header names no format a report comes in."},
        }
    }


def _register(spec: ReportSpec) -> None:
    schema = params.schema_for(spec)
    body = response_schema(spec)

    def get(self, args):
        require_scope("analytics:read")
        fmt = choose_format(args.pop("format", None))
        query = params.to_query(spec, args, utcnow().date())
        rt = service()
        with rt.db.session() as session:
            report = spec.run(session, query, rt.settings.base_currency)
        return render(report, fmt)

    get.__doc__ = f"{spec.title}\n\n{spec.description.strip()}"
    get = blp.doc(**_other_formats(spec.title, body))(get)
    get = blp.response(200, body, description=spec.title)(get)
    get = blp.arguments(schema, location="query")(get)
    view = type(f"{spec.name.title().replace('_', '')}Report", (MethodView,), {"get": get})
    blp.route(spec.path, endpoint=spec.name)(view)


for _spec in REPORTS:
    _register(_spec)


class OptionOut(StrictSchema):
    name = fields.String()
    kind = fields.String()
    description = fields.String()


class ReportIndexOut(StrictSchema):
    name = fields.String()
    path = fields.String()
    title = fields.String()
    dimensions = fields.List(fields.String())
    filters = fields.List(fields.String())
    granularities = fields.List(fields.String())
    metrics = fields.List(fields.String())
    period = fields.Boolean(metadata={"description": "Takes from/to."})
    options = fields.List(fields.Nested(OptionOut))
    formats = fields.List(fields.String())


@blp.route("/reports")
class ReportIndex(MethodView):
    @blp.response(200, ReportIndexOut(many=True))
    def get(self):
        """Every report with its dimensions, filters, granularities, metrics and options."""
        require_scope("analytics:read")
        return [
            {
                "name": spec.name,
                "path": f"/api/v1/analytics{spec.path}",
                "title": spec.title,
                "dimensions": list(spec.dimensions),
                "filters": list(spec.filters),
                "granularities": list(spec.granularities),
                "metrics": list(spec.metrics),
                "period": spec.period is not None,
                "options": [
                    {"name": o.name, "kind": o.kind, "description": o.description}
                    for o in spec.options
                ],
                "formats": list(params.FORMATS),
            }
            for spec in REPORTS
        ]


class MoneyOut(StrictSchema):
    amount = fields.String()
    currency = fields.String()


class RfmOut(StrictSchema):
    recency = fields.Integer()
    frequency = fields.Integer()
    monetary = fields.Integer()
    score = fields.String()
    segment = fields.String()
    segment_label = fields.String()
    recency_days = fields.Integer()
    purchases = fields.Integer()
    net_revenue = fields.String()


class ScoresOut(StrictSchema):
    as_of = fields.Date()
    computed_at = fields.DateTime()
    rfm = fields.Nested(RfmOut)
    average_order_value = fields.String()
    clv_historic = fields.Nested(MoneyOut)
    clv_predicted = fields.Nested(MoneyOut)
    churn_risk = fields.String(metadata={"description": "Probability 0-1 (decimal string)."})


class PurchasesOut(StrictSchema):
    orders = fields.Integer()
    net_revenue = fields.String()
    first_order_day = fields.Date(allow_none=True)
    last_order_day = fields.Date(allow_none=True)
    cohort = fields.String(allow_none=True)


class CustomerScoresOut(StrictSchema):
    customer_id = fields.String()
    scored_customer_id = fields.String(
        metadata={"description": "The customer the scores are kept under (after merges)."}
    )
    currency = fields.String()
    purchases = fields.Nested(PurchasesOut)
    scores = fields.Nested(ScoresOut, allow_none=True)


@blp.route("/customers/<uuid:customer_id>/scores")
class CustomerScores(MethodView):
    @blp.response(200, CustomerScoresOut)
    @blp.alt_response(404, description="Analytics has seen no event about this customer.")
    def get(self, customer_id):
        """One customer's RFM scores, segment, CLV (historic and predicted) and churn risk."""
        require_scope("analytics:read")
        rt = service()
        with rt.db.session() as session:
            return customers.customer_scores(session, str(customer_id), rt.settings.base_currency)
