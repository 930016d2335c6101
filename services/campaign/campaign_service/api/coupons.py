"""/api/v1/coupons: shared-code and unique-code coupons; sales enforces them at checkout."""

from __future__ import annotations

from flask.views import MethodView

from campaign_service.adapters.repositories import CouponRepository
from campaign_service.api import schemas as s
from campaign_service.api.common import if_match_doc
from campaign_service.domain.errors import NotFound
from campaign_service.service import coupons as use
from campaign_service.service import queries
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import current_identity, require_scope, service

blp = Blueprint(
    "coupons",
    __name__,
    url_prefix="/api/v1/coupons",
    description="Coupons: one shared code or bulk unique codes (unguessable, readable "
    "alphabet), percent or amount off, validity, redemption limits in total and per customer, "
    "minimum order. Published to sales (campaign.coupon.*), which enforces them.",
)


def _coupon(session, coupon_id: str):
    coupon = CouponRepository(session).get(coupon_id)
    if coupon is None:
        raise NotFound(f"no coupon {coupon_id}")
    return coupon


@blp.route("")
class Coupons(MethodView):
    @blp.arguments(s.CouponListQuery, location="query")
    @blp.response(200, s.CouponPage)
    def get(self, query):
        """List coupons, newest first (filter by campaign, state, mode or a code)."""
        require_scope("coupons:read")
        with service().db.session() as session:
            page = queries.coupons_page(
                session, query, limit=query["limit"], cursor=query["cursor"]
            )
        return page.to_dict()

    @idempotent
    @blp.arguments(s.CouponCreate)
    @blp.response(201, s.CouponOut)
    def post(self, body):
        """Define a coupon; a shared coupon without a code gets a generated one."""
        require_scope("coupons:write")
        with service().uow() as uow:
            coupon = use.create_coupon(uow, current_identity(), body)
        return with_etag(coupon, coupon.version, 201, {"Location": f"/api/v1/coupons/{coupon.id}"})


@blp.route("/<uuid:coupon_id>")
class CouponItem(MethodView):
    @blp.response(200, s.CouponOut)
    def get(self, coupon_id):
        """One coupon (with codes issued and redemptions so far)."""
        require_scope("coupons:read")
        with service().db.session() as session:
            coupon = _coupon(session, str(coupon_id))
        return with_etag(coupon, coupon.version)

    @blp.arguments(s.CouponPatch)
    @blp.response(200, s.CouponOut)
    @blp.doc(parameters=[if_match_doc()])
    def patch(self, body, coupon_id):
        """Change name, campaign, validity, limits, minimum order or active (If-Match)."""
        require_scope("coupons:write")
        version = expected_version()
        with service().uow() as uow:
            coupon = use.update_coupon(uow, current_identity(), str(coupon_id), version, body)
        return with_etag(coupon, coupon.version)


@blp.route("/<uuid:coupon_id>/codes")
class Codes(MethodView):
    @blp.arguments(s.CodeListQuery, location="query")
    @blp.response(200, s.CodePage)
    def get(self, query, coupon_id):
        """The unique codes of a coupon (filter: assigned to a recipient or not)."""
        require_scope("coupons:read")
        with service().db.session() as session:
            _coupon(session, str(coupon_id))
            page = queries.codes_page(
                session,
                str(coupon_id),
                assigned=query.get("assigned"),
                limit=query["limit"],
                cursor=query["cursor"],
            )
        return page.to_dict()

    @idempotent
    @blp.arguments(s.CodesIn)
    @blp.response(201, s.CodesOut)
    def post(self, body, coupon_id):
        """Issue unique codes (up to 50,000 per call, published in batches of 5,000)."""
        require_scope("coupons:write")
        with service().uow() as uow:
            coupon, batches = use.issue_codes(
                uow, str(coupon_id), body["count"], body.get("prefix")
            )
        codes = [code for _, chunk in batches for code in chunk]
        return {
            "coupon_id": coupon.id,
            "issued": len(codes),
            "batches": [number for number, _ in batches],
            "codes": codes if len(codes) <= 1000 else [],
        }, 201
