"""/api/v1/campaigns: plan, actions, send progress, messages, report, costs."""

from __future__ import annotations

from flask.views import MethodView

from campaign_service.adapters.repositories import CampaignRepository
from campaign_service.api import schemas as s
from campaign_service.api.common import campaign_settings, if_match_doc
from campaign_service.domain.errors import NotFound
from campaign_service.service import campaigns as use
from campaign_service.service import costs as cost_use
from campaign_service.service import queries, results
from campaign_service.service.access import visible_campaign
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import current_identity, require_scope, service

blp = Blueprint(
    "campaigns",
    __name__,
    url_prefix="/api/v1/campaigns",
    description="Campaigns: plan (channel, objective, budget, dates, owner, target segments, "
    "A/B variants), explicit state actions, send progress, messages, costs and the report "
    "(opens and clicks by people and by machines apart, conversions, revenue, ROI). Marketers "
    "and admins see every campaign; other roles those they own (managers: their team's).",
)


def _visible(session, campaign_id: str):
    return visible_campaign(CampaignRepository(session), current_identity(), campaign_id)


@blp.route("")
class Campaigns(MethodView):
    @blp.arguments(s.CampaignListQuery, location="query")
    @blp.response(200, s.CampaignPage)
    def get(self, query):
        """List campaigns (filters, cursor pagination)."""
        identity = require_scope("campaigns:read")
        limit, cursor, sort = query.pop("limit"), query.pop("cursor"), query.pop("sort")
        with service().db.session() as session:
            page = queries.campaigns_page(
                session, identity, query, limit=limit, cursor=cursor, sort=sort
            )
        return page.to_dict()

    @idempotent
    @blp.arguments(s.CampaignCreate)
    @blp.response(201, s.CampaignSchema)
    def post(self, body):
        """Plan a campaign (a draft). Without variants it gets one variant 'A' at 100%."""
        identity = require_scope("campaigns:write")
        with service().uow() as uow:
            campaign = use.create_campaign(
                uow, identity, body, base_currency=service().settings.base_currency
            )
        return with_etag(
            campaign, campaign.version, 201, {"Location": f"/api/v1/campaigns/{campaign.id}"}
        )


@blp.route("/messages")
class CustomerMessages(MethodView):
    @blp.arguments(s.CustomerMessagesQuery, location="query")
    @blp.response(200, s.MessagePage)
    def get(self, query):
        """Messages sent to one customer, newest first, with opened/clicked flags (customer 360).

        ``opened`` and ``clicked`` count people only; machine opens and clicks are given apart.
        """
        identity = require_scope("campaigns:read")
        with service().db.session() as session:
            page = queries.messages_page(
                session, identity, query, limit=query["limit"], cursor=query["cursor"]
            )
        return page.to_dict()


@blp.route("/<uuid:campaign_id>")
class CampaignItem(MethodView):
    @blp.response(200, s.CampaignSchema)
    def get(self, campaign_id):
        """One campaign."""
        require_scope("campaigns:read")
        with service().db.session() as session:
            campaign = _visible(session, str(campaign_id))
        return with_etag(campaign, campaign.version)

    @blp.arguments(s.CampaignPatch)
    @blp.response(200, s.CampaignSchema)
    @blp.doc(parameters=[if_match_doc()])
    def patch(self, body, campaign_id):
        """Change the plan (If-Match required). Audience, channel, variants, A/B settings,
        coupon, survey and UTM key change only before launch."""
        identity = require_scope("campaigns:write")
        version = expected_version()
        with service().uow() as uow:
            campaign = use.update_campaign(uow, identity, str(campaign_id), version, body)
        return with_etag(campaign, campaign.version)


@blp.route("/<uuid:campaign_id>/schedule")
class Schedule(MethodView):
    @idempotent
    @blp.arguments(s.ScheduleIn)
    @blp.response(200, s.CampaignSchema)
    def post(self, body, campaign_id):
        """Schedule the send (draft or scheduled campaigns); the worker launches it on time."""
        identity = require_scope("campaigns:write")
        with service().uow() as uow:
            campaign = use.schedule(uow, identity, str(campaign_id), body["send_at"])
        return with_etag(campaign, campaign.version)


@blp.route("/<uuid:campaign_id>/launch")
class Launch(MethodView):
    @idempotent
    @blp.response(200, s.CampaignSchema)
    def post(self, campaign_id):
        """Go live now. Email and survey campaigns freeze their templates and start sending
        (the audience is fixed at send time by the worker)."""
        identity = require_scope("campaigns:write")
        with service().uow() as uow:
            campaign = use.launch(uow, identity, str(campaign_id))
        return with_etag(campaign, campaign.version)


def _act(name: str, campaign_id):
    identity = require_scope("campaigns:write")
    with service().uow() as uow:
        campaign = getattr(use, name)(uow, identity, str(campaign_id))
    return with_etag(campaign, campaign.version)


@blp.route("/<uuid:campaign_id>/pause")
class Pause(MethodView):
    @idempotent
    @blp.response(200, s.CampaignSchema)
    def post(self, campaign_id):
        """Pause a running campaign (sending stops after the batch in flight)."""
        return _act("pause", campaign_id)


@blp.route("/<uuid:campaign_id>/resume")
class Resume(MethodView):
    @idempotent
    @blp.response(200, s.CampaignSchema)
    def post(self, campaign_id):
        """Resume a paused campaign where it stopped."""
        return _act("resume", campaign_id)


@blp.route("/<uuid:campaign_id>/complete")
class Complete(MethodView):
    @idempotent
    @blp.response(200, s.CampaignSchema)
    def post(self, campaign_id):
        """End the campaign; messages not yet sent are never sent."""
        return _act("complete", campaign_id)


@blp.route("/<uuid:campaign_id>/cancel")
class Cancel(MethodView):
    @idempotent
    @blp.response(200, s.CampaignSchema)
    def post(self, campaign_id):
        """Cancel the campaign; messages not yet sent are never sent."""
        return _act("cancel", campaign_id)


@blp.route("/<uuid:campaign_id>/select-winner")
class SelectWinner(MethodView):
    @idempotent
    @blp.arguments(s.WinnerIn)
    @blp.response(200, s.CampaignSchema)
    def post(self, body, campaign_id):
        """Choose the A/B winner (or let the campaign's metric choose now); the recipients held
        back then receive it."""
        identity = require_scope("campaigns:write")
        variant_id = str(body["variant_id"]) if body.get("variant_id") else None
        with service().uow() as uow:
            campaign = use.select_winner(
                uow, identity, str(campaign_id), variant_id, method="manual"
            )
        return with_etag(campaign, campaign.version)


@blp.route("/<uuid:campaign_id>/send")
class SendProgress(MethodView):
    @blp.response(200, s.SendProgressOut)
    def get(self, campaign_id):
        """Progress of the campaign's send: phase, audience, messages by status."""
        require_scope("campaigns:read")
        with service().db.session() as session:
            _visible(session, str(campaign_id))
            progress = queries.send_progress(session, str(campaign_id))
        if progress is None:
            raise NotFound("this campaign has not started sending")
        return progress


@blp.route("/<uuid:campaign_id>/messages")
class CampaignMessages(MethodView):
    @blp.arguments(s.CampaignMessagesQuery, location="query")
    @blp.response(200, s.MessagePage)
    def get(self, query, campaign_id):
        """The campaign's messages, newest first (filter by status or variant)."""
        identity = require_scope("campaigns:read")
        with service().db.session() as session:
            _visible(session, str(campaign_id))
            page = queries.messages_page(
                session,
                identity,
                {**query, "campaign_id": str(campaign_id)},
                limit=query["limit"],
                cursor=query["cursor"],
            )
        return page.to_dict()


@blp.route("/<uuid:campaign_id>/report")
class Report(MethodView):
    @blp.arguments(s.ReportQuery, location="query")
    @blp.response(200, s.ReportOut)
    def get(self, query, campaign_id):
        """Results per campaign and per variant: sent, delivered, bounced (hard/soft), opened
        and clicked (people and machines apart), unsubscribed, conversions, revenue, cost, ROI.

        ``model`` picks the attribution model (default: the configured one, last_touch).
        """
        require_scope("campaigns:read")
        model = query.get("model") or campaign_settings().attribution_model
        with service().db.session() as session:
            campaign = _visible(session, str(campaign_id))
            return results.campaign_report(session, campaign, model)


@blp.route("/<uuid:campaign_id>/attributions")
class Attributions(MethodView):
    @blp.arguments(s.AttributionQuery, location="query")
    @blp.response(200, s.AttributionPage)
    def get(self, query, campaign_id):
        """Orders attributed to the campaign under a model (default: the configured one),
        newest first, with share and attributed revenue (base currency)."""
        require_scope("campaigns:read")
        model = query.get("model") or campaign_settings().attribution_model
        with service().db.session() as session:
            _visible(session, str(campaign_id))
            page = queries.attributions_page(
                session, str(campaign_id), model, limit=query["limit"], cursor=query["cursor"]
            )
        return page.to_dict()


@blp.route("/<uuid:campaign_id>/costs")
class Costs(MethodView):
    @blp.arguments(s.PageQuerySchema, location="query")
    @blp.response(200, s.CostPage)
    def get(self, query, campaign_id):
        """Spend items, newest first."""
        require_scope("campaigns:read")
        with service().db.session() as session:
            _visible(session, str(campaign_id))
            page = queries.costs_page(
                session, str(campaign_id), limit=query["limit"], cursor=query["cursor"]
            )
        return page.to_dict()

    @idempotent
    @blp.arguments(s.CostIn)
    @blp.response(201, s.CostOut)
    def post(self, body, campaign_id):
        """Record a spend item. Other currencies are converted to the base currency with the
        item's fx_rate, else sales' rate for that day, else the configured rate."""
        identity = require_scope("campaigns:write")
        with service().uow() as uow:
            cost = cost_use.record_cost(
                uow, identity, str(campaign_id), body, cfg=campaign_settings()
            )
        return cost, 201, {"Location": f"/api/v1/campaigns/{campaign_id}/costs/{cost.id}"}


@blp.route("/<uuid:campaign_id>/costs/<uuid:cost_id>")
class CostItem(MethodView):
    @blp.response(204)
    def delete(self, campaign_id, cost_id):
        """Remove a spend item recorded in error."""
        identity = require_scope("campaigns:write")
        with service().uow() as uow:
            cost_use.remove_cost(uow, identity, str(campaign_id), str(cost_id))
        return None
