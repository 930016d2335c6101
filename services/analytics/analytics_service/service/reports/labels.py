"""Human labels for dimension keys, from the dimension tables the projections keep.

Reps and agents are users of the gateway, whose names analytics never receives: they are shown
by a short id prefix.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics_service.adapters import tables as t
from analytics_service.domain.scores import SEGMENTS
from analytics_service.service.reports.base import NONE_LABEL, short_id

RFM_LABELS = {
    "champions": "Champions",
    "loyal": "Loyal",
    "potential_loyalist": "Potential loyalists",
    "new": "New customers",
    "promising": "Promising",
    "need_attention": "Need attention",
    "about_to_sleep": "About to sleep",
    "at_risk": "At risk",
    "cant_lose_them": "Can't lose them",
    "hibernating": "Hibernating",
    "no_purchases": "No purchases",
}
RFM_ORDER = {name: index for index, name in enumerate((*SEGMENTS, "no_purchases"))}

CHANNEL_LABELS = {
    "direct": "Direct",
    "online_store": "Online store",
    "retail_store": "Retail store",
    "distributor": "Distributor",
    "partner": "Partner",
}


def _names(session: Session, column_key, column_name, keys: Iterable[str]) -> dict[str, str]:
    wanted = sorted({k for k in keys if k})
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        for key, name in session.execute(
            select(column_key, column_name).where(column_key.in_(chunk))
        ):
            if name:
                found[key] = name
    return found


def labels(session: Session, dimension: str, keys: Iterable[str]) -> dict[str, str]:
    """key -> label for the keys of one dimension."""
    keys = list(keys)
    if dimension == "total":
        return dict.fromkeys(keys, "All")
    if dimension == "campaign":
        return _fill(_names(session, t.campaigns.c.campaign_id, t.campaigns.c.name, keys), keys)
    if dimension == "coupon":
        names = _names(session, t.coupons.c.coupon_id, t.coupons.c.name, keys)
        return _fill(names, keys)
    if dimension == "product":
        names = _names(session, t.products.c.product_id, t.products.c.name, keys)
        skus = _names(session, t.products.c.product_id, t.products.c.sku, keys)
        return _fill({k: f"{names[k]} ({skus[k]})" if k in skus else names[k] for k in names}, keys)
    if dimension == "segment":
        return _fill(_names(session, t.segments.c.segment_id, t.segments.c.name, keys), keys)
    if dimension == "pipeline":
        return _fill(_names(session, t.pipelines.c.pipeline_id, t.pipelines.c.name, keys), keys)
    if dimension in ("rfm_segment", "segment_rfm"):
        return {k: RFM_LABELS.get(k, k) if k else NONE_LABEL for k in keys}
    if dimension == "channel":
        return {k: CHANNEL_LABELS.get(k, k) if k else NONE_LABEL for k in keys}
    if dimension in ("rep", "agent"):
        return {k: short_id(k, "user ") for k in keys}
    if dimension == "group":
        return {k: short_id(k, "group ") for k in keys}
    if dimension == "policy":
        return {k: short_id(k, "policy ") for k in keys}
    return {k: k if k else NONE_LABEL for k in keys}


def _fill(found: dict[str, str], keys: Iterable[str]) -> dict[str, str]:
    return {k: found.get(k) or (short_id(k) if k else NONE_LABEL) for k in keys}


def variant_labels(session: Session, campaign_ids: Iterable[str]) -> dict[str, str]:
    """variant id -> "<campaign name> / <variant name>"."""
    wanted = sorted({c for c in campaign_ids if c})
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 900):
        query = select(t.campaigns.c.name, t.campaigns.c.variants).where(
            t.campaigns.c.campaign_id.in_(wanted[start : start + 900])
        )
        for name, variants in session.execute(query):
            for variant in variants or []:
                found[variant["variant_id"]] = f"{name} / {variant['name']}"
    return found


def stage_order(session: Session) -> dict[str, tuple[int, str]]:
    """stage id -> (position, name) across every pipeline."""
    order: dict[str, tuple[int, str]] = {}
    for (stages,) in session.execute(select(t.pipelines.c.stages)):
        for stage in stages or []:
            order[stage["stage_id"]] = (stage["position"], stage["name"])
    return order
