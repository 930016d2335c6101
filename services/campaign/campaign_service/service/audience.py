"""Fixing a send's audience at send time (worker): candidates, exclusions, split, message rows.

Every recipient's message row (``pending``, or ``held`` for the A/B winner) exists before
anything is sent; the unique constraint on ``(campaign_id, customer_id)`` keeps it one per
recipient however often a crashed resolution is run again.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, select, update

from campaign_service.adapters import tables as t
from campaign_service.adapters.sql import insert_ignore
from campaign_service.config import CampaignSettings
from campaign_service.domain import audience
from campaign_service.domain.campaigns import Campaign
from campaign_service.domain.events import AudienceResolved
from campaign_service.service.campaigns import test_window_end
from servicekit.types import utcnow

# Messages that count against the frequency cap: sent, or about to be.
CAPPED_STATES = ("held", "pending", "sending", "deferred", "delivered", "in_doubt")


def _members(segment_ids: list[str]):
    sm = t.segment_members.c
    return (
        select(sm.customer_id)
        .where(sm.segment_id.in_(segment_ids), sm.member.is_(True))
        .distinct()
        .subquery()
    )


def load_candidates(
    session, campaign: Campaign, cfg: CampaignSettings, now: datetime
) -> list[audience.Candidate]:
    members = _members(campaign.segment_ids)
    c, cs = t.customers.c, t.consents.c
    rows = session.execute(
        select(members.c.customer_id, c.email, c.status, cs.status.label("consent")).select_from(
            members.outerjoin(t.customers, c.id == members.c.customer_id).outerjoin(
                t.consents, and_(cs.customer_id == members.c.customer_id, cs.channel == "email")
            )
        )
    ).all()
    excluded_ids: set[str] = set()
    if campaign.exclude_segment_ids:
        excluded = _members(campaign.exclude_segment_ids)
        excluded_ids = set(session.execute(select(excluded.c.customer_id)).scalars())
    by_customer: dict[str, str] = {}
    by_address: dict[str, str] = {}
    for customer_id, digest, reason in session.execute(
        select(t.suppressions.c.customer_id, t.suppressions.c.address_hash, t.suppressions.c.reason)
    ):
        by_address[digest] = reason
        # An unsubscribe outranks other reasons for the same customer.
        if customer_id and by_customer.get(customer_id) != "unsubscribed":
            by_customer[customer_id] = reason
    recent: dict[str, int] = {}
    if cfg.frequency_cap is not None and campaign.respect_frequency_cap:
        m = t.messages.c
        since = now - timedelta(days=cfg.frequency_window_days)
        recent = dict(
            session.execute(
                select(m.customer_id, func.count())
                .where(
                    m.created_at >= since,
                    m.campaign_id != campaign.id,
                    m.status.in_(CAPPED_STATES),
                )
                .group_by(m.customer_id)
            ).all()
        )
    candidates = []
    for customer_id, email, status, consent in rows:
        suppression = by_customer.get(customer_id)
        if email and suppression is None and by_address:
            suppression = by_address.get(audience.address_hash(email))
        candidates.append(
            audience.Candidate(
                customer_id=customer_id,
                email=email,
                status=status,
                consent=consent,
                excluded_segment=customer_id in excluded_ids,
                suppression=suppression,
                recent_messages=recent.get(customer_id, 0),
            )
        )
    return candidates


def _assign_unique_codes(uow, campaign: Campaign, message_ids: dict[str, str], now) -> dict:
    """customer id -> personal code of the campaign's unique-code coupon (issuing more if short)."""
    coupon = uow.coupons.get(campaign.coupon_id) if campaign.coupon_id else None
    if coupon is None:
        return {}
    if coupon.mode == "shared":
        return dict.fromkeys(message_ids, coupon.code)
    cc = t.coupon_codes.c
    held = dict(
        uow.session.execute(
            select(cc.customer_id, cc.code).where(
                cc.coupon_id == coupon.id, cc.customer_id.in_(list(message_ids))
            )
        ).all()
        if len(message_ids) <= 900
        else uow.session.execute(
            select(cc.customer_id, cc.code).where(
                cc.coupon_id == coupon.id, cc.customer_id.is_not(None)
            )
        ).all()
    )
    need = [cid for cid in message_ids if cid not in held]
    free = list(
        uow.session.execute(
            select(cc.code)
            .where(cc.coupon_id == coupon.id, cc.customer_id.is_(None))
            .order_by(cc.code)
            .limit(len(need))
        ).scalars()
    )
    missing = len(need) - len(free)
    while missing > 0:
        count = min(missing, 50_000)
        batches = coupon.issue_codes(count, None, uow.coupons.codes_taken)
        uow.coupons.add_codes(coupon.id, batches, now)
        free.extend(code for _, codes in batches for code in codes)
        missing -= count
    if need:
        uow.coupons.save(coupon)
    assignments = [
        {"c": code, "cust": cid, "msg": message_ids[cid], "at": now}
        for cid, code in zip(need, free, strict=False)
    ]
    if assignments:
        uow.session.execute(
            update(t.coupon_codes)
            .where(cc.code == bindparam("c"))
            .values(
                customer_id=bindparam("cust"),
                message_id=bindparam("msg"),
                assigned_at=bindparam("at"),
            ),
            assignments,
        )
    return {
        **{cid: held[cid] for cid in message_ids if cid in held},
        **{a["cust"]: a["c"] for a in assignments},
    }


WRITE_BATCH = 5000


def _pending_send(uow, campaign_id: str):
    """The send row, locked on PostgreSQL (a cancel and a batch of rows cannot interleave)."""
    query = select(t.sends).where(t.sends.c.campaign_id == campaign_id)
    if uow.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    send = uow.session.execute(query).first()
    return send if send is not None and send.phase == "pending" else None


def resolve_audience(uow_factory, campaign_id: str, cfg: CampaignSettings, now=None) -> bool:
    """Fix the audience of a pending send; True when it did.

    The audience is computed on a read session, then its message rows are written in batches
    (so a large send never holds SQLite's write lock for long), and finally the send moves on.
    A crash in between leaves the send pending: the next run computes again, rows already
    written stay as they are (one per recipient), and the counts come from the rows.
    """
    now = now or utcnow()
    s = t.sends.c
    with uow_factory() as uow:
        if _pending_send(uow, campaign_id) is None:
            return False
        campaign = uow.campaigns.get(campaign_id)
        if campaign.is_final:
            uow.session.execute(
                update(t.sends).where(s.campaign_id == campaign_id).values(phase="cancelled")
            )
            uow.commit()
            return False
        if campaign.status != "running":
            return False  # paused before its audience was fixed: wait
    with uow_factory.db.session() as session:
        candidates = load_candidates(session, campaign, cfg, now)
    cap = cfg.frequency_cap if campaign.respect_frequency_cap else None
    chosen, excluded = audience.select(candidates, frequency_cap=cap)
    test_share = campaign.ab_test.test_share_percent if campaign.has_test_phase else None
    assignment = audience.split(
        campaign.id,
        [c.customer_id for c in chosen],
        [(v.id, v.split_percent) for v in campaign.variants],
        test_share,
    )
    purpose = "survey_invitation" if campaign.channel == "survey" else "campaign"
    for start in range(0, len(chosen), WRITE_BATCH):
        batch = chosen[start : start + WRITE_BATCH]
        with uow_factory() as uow:
            if _pending_send(uow, campaign_id) is None:
                return False  # cancelled or completed meanwhile
            message_ids = {c.customer_id: str(uuid.uuid4()) for c in batch}
            codes = _assign_unique_codes(uow, campaign, message_ids, now)
            insert_ignore(
                uow.session,
                t.messages,
                [
                    {
                        "id": message_ids[c.customer_id],
                        "campaign_id": campaign.id,
                        "variant_id": assignment[c.customer_id],
                        "customer_id": c.customer_id,
                        "to_address": c.email,
                        "purpose": purpose,
                        "status": "pending" if assignment[c.customer_id] else "held",
                        "attempts": 0,
                        "coupon_code": codes.get(c.customer_id),
                        "created_at": now,
                        "opens": 0,
                        "machine_opens": 0,
                        "clicks": 0,
                        "machine_clicks": 0,
                    }
                    for c in batch
                ],
                ["campaign_id", "customer_id"],
            )
            uow.commit()
    with uow_factory() as uow:
        if _pending_send(uow, campaign_id) is None:
            return False
        m = t.messages.c
        per_variant = {v.id: 0 for v in campaign.variants}
        held = 0
        for variant_id, count in uow.session.execute(
            select(m.variant_id, func.count())
            .where(m.campaign_id == campaign.id)
            .group_by(m.variant_id)
        ):
            if variant_id is None:
                held = count
            else:
                per_variant[variant_id] = count
        recipients = held + sum(per_variant.values())
        uow.session.execute(
            update(t.sends)
            .where(s.campaign_id == campaign.id)
            .values(
                phase="sending",
                recipients=recipients,
                held_for_winner=held,
                excluded=excluded,
                test_ends_at=test_window_end(campaign, now),
                resolved_at=now,
                updated_at=now,
            )
        )
        uow.add_event(AudienceResolved(campaign.id, recipients, held, per_variant, excluded, now))
        uow.commit()
        return True
