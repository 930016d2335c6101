"""/api/v1/forecasts and /api/v1/fx-rates.

Scopes: forecasts need ``opportunities:read``; exchange rates are read with ``products:read``
and recorded with ``sales:admin``.
"""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from flask.views import MethodView

from sales_service.api.common import created, paging, reading
from sales_service.api.schemas import planning as s
from sales_service.domain.money import to_base
from sales_service.service import fx as use
from sales_service.service import queries
from sales_service.service.common import fx_rate
from sales_service.service.forecast import forecast
from servicekit.blueprint import Blueprint
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service

forecasts = Blueprint(
    "forecasts",
    __name__,
    url_prefix="/api/v1/forecasts",
    description="Weighted pipeline and commit / best case per month or quarter, per rep or "
    "team, in the base currency. Scope opportunities:read.",
)
fx_rates = Blueprint(
    "fx_rates",
    __name__,
    url_prefix="/api/v1/fx-rates",
    description="Exchange rates to the base currency with effective dates; every amount keeps "
    "its original currency and the rate of its transaction time. Read with products:read, "
    "record with sales:admin.",
)


@forecasts.route("")
class Forecast(MethodView):
    @forecasts.arguments(s.ForecastQuery, location="query")
    @forecasts.response(200, s.ForecastOut)
    def get(self, query):
        """The forecast over the deals you may see."""
        identity = require_scope("opportunities:read")
        config = service().extras["config"]
        start = query.get("start") or config.now().date()
        months = 1 if query["period"] == "month" else 3
        end = query.get("end") or start + relativedelta(months=2 * months)
        with service().db.session() as session:
            return forecast(
                session,
                identity,
                kind=query["period"],
                first=start,
                last=end,
                group_by=query["group_by"],
                base_currency=config.base_currency,
                pipeline_id=query.get("pipeline_id"),
                owner_id=query.get("owner_id"),
                team=query.get("team"),
            )


@fx_rates.route("")
class Rates(MethodView):
    @fx_rates.arguments(s.FxRateQuery, location="query")
    @fx_rates.response(200, s.FxRatePage)
    def get(self, query):
        """Recorded exchange rates, newest first."""
        require_scope("products:read")
        limit, cursor, sort = paging(query)
        with service().db.session() as session:
            return queries.list_fx_rates(
                session, query, limit=limit, cursor=cursor, sort=sort
            ).to_dict()

    @idempotent
    @fx_rates.arguments(s.FxRateIn)
    @fx_rates.response(201, s.FxRateOut)
    def post(self, body):
        """Record a rate (base-currency units per unit), effective from a moment on. Rates are
        history: a correction is a new rate with a later effective_from."""
        identity = require_scope("sales:admin")
        with service().uow() as uow:
            rate = use.record_rate(uow, identity, body)
        return created(rate, f"/api/v1/fx-rates?currency={rate.currency}")


@fx_rates.route("/convert")
class Convert(MethodView):
    @fx_rates.arguments(s.FxConvertQuery, location="query")
    @fx_rates.response(200, s.FxConvertOut)
    def get(self, query):
        """An amount in the base currency at the rate effective at ``at`` (default now)."""
        require_scope("products:read")
        config = service().extras["config"]
        at = query.get("at") or config.now()
        with reading() as reader:
            rate = fx_rate(reader, query["currency"], at)
        return {
            "amount": query["amount"],
            "currency": query["currency"],
            "rate": rate,
            "base_amount": to_base(query["amount"], rate, config.base_currency),
            "base_currency": config.base_currency,
            "at": at,
        }
