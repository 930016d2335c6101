"""The send job (worker): audiences, batches over one SMTP connection, retries, A/B winners.

One run of the job (the scheduler runs it on one worker at a time, every second):

1. rows left ``sending`` by a crashed run become ``in_doubt`` - they may have reached the SMTP
   server, so they are never sent again (at most ``send_chunk`` per crash);
2. pending sends get their audience (:mod:`campaign_service.service.audience`);
3. A/B tests whose window has passed get their winner and release the held recipients;
4. chunks of due messages (``pending``, or ``deferred`` whose retry time has come) of running
   campaigns are claimed (committed as ``sending``), re-checked against consent and suppressions
   *at send time*, rendered, handed to SMTP over one connection, and their outcomes committed
   with their events: delivered, deferred (temporary failure, retried with back-off), bounced
   hard (address suppressed) or soft (retries exhausted);
5. sends with nothing left to do are marked finished (or awaiting the winner).
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr
from typing import Any
from urllib.parse import quote

from sqlalchemy import and_, bindparam, func, select, update

from campaign_service.adapters import tables as t
from campaign_service.adapters.sql import insert_ignore
from campaign_service.config import CampaignSettings
from campaign_service.domain import events
from campaign_service.domain.audience import address_hash
from campaign_service.domain.campaigns import Campaign
from campaign_service.domain.errors import TemplateProblem
from campaign_service.domain.links import PublicUrls, decorate
from campaign_service.domain.rendering import CompiledContent
from campaign_service.domain.tokens import TokenSigner
from campaign_service.service import results
from campaign_service.service.audience import resolve_audience
from campaign_service.service.campaigns import select_winner
from servicekit.logging import get_logger
from servicekit.mail import Delivery, Mail, MailSettings, SmtpSender
from servicekit.types import utcnow

log = get_logger("campaign.sending")

OPEN_STATES = ("pending", "sending", "deferred")


@dataclass
class Prepared:
    row: Any
    address: str
    mail: Mail | None
    links: dict[str, str]
    problem: str | None = None


@dataclass
class Outcome:
    row: Any
    address: str | None
    status: str
    delivery: Delivery | None = None
    skip_reason: str | None = None
    error: str | None = None


class SendContext:
    """What one run of the job needs: settings, signer, URLs, compiled variants, known links."""

    def __init__(
        self,
        uow_factory,
        cfg: CampaignSettings,
        mail: MailSettings,
        signer: TokenSigner,
        base_url: str,
    ) -> None:
        self.uow = uow_factory
        self.cfg = cfg
        self.mail = mail
        self.signer = signer
        self.base_url = base_url.rstrip("/")
        sender_name, sender_address = parseaddr(mail.sender)
        self.sender_name = sender_name or None
        self.sender_address = sender_address or "no-reply@mms.local"
        self.domain = self.sender_address.rsplit("@", 1)[-1]
        self.mailto = cfg.unsubscribe_mailto or f"unsubscribe@{self.domain}"
        self._campaigns: dict[str, Campaign] = {}
        self._compiled: dict[str, CompiledContent] = {}
        self._links: set[tuple[str, str]] = set()

    def campaign(self, campaign_id: str) -> Campaign:
        if campaign_id not in self._campaigns:
            with self.uow() as uow:
                self._campaigns[campaign_id] = uow.campaigns.get(campaign_id)
        return self._campaigns[campaign_id]

    def forget(self, campaign_id: str) -> None:
        self._campaigns.pop(campaign_id, None)

    def compiled(self, campaign: Campaign, variant_id: str) -> CompiledContent:
        if variant_id not in self._compiled:
            content = campaign.variant(variant_id).content
            self._compiled[variant_id] = CompiledContent(
                subject=content.subject,
                text=content.text,
                html=content.html,
                preheader=content.preheader,
                defaults=content.defaults,
            )
        return self._compiled[variant_id]

    def from_header(self, campaign: Campaign, variant_id: str) -> str:
        content = campaign.variant(variant_id).content
        name = content.from_name or self.sender_name
        return formataddr((name, self.sender_address)) if name else self.sender_address

    # -- one message ------------------------------------------------------------------------

    def prepare(self, campaign: Campaign, row) -> Prepared:
        message_id = row.id
        address = row.email
        compiled = self.compiled(campaign, row.variant_id)
        unsubscribe_token = self.signer.sign("unsubscribe", message_id)
        unsubscribe_url = f"{self.base_url}/unsubscribe/{unsubscribe_token}"
        survey_url = (
            f"{self.base_url}/f/{self.signer.sign('survey', message_id)}"
            if row.purpose == "survey_invitation"
            else None
        )
        values = {
            "first_name": row.first_name,
            "last_name": row.last_name,
            "name": row.name,
            "company": row.company,
            "job_title": row.job_title,
            "email": address,
            "country": row.country,
            "city": row.city,
            "language": row.language,
            "attributes": row.attributes or {},
            "coupon_code": row.coupon_code,
            "campaign_name": campaign.name,
            "unsubscribe_url": unsubscribe_url,
            "survey_url": survey_url,
        }
        try:
            rendered = compiled.render(values)
        except TemplateProblem as exc:
            return Prepared(row, address, None, {}, problem=str(exc)[:500])
        urls = PublicUrls(
            click=lambda link_id: (
                f"{self.base_url}/r/c/{self.signer.sign('click', message_id, link_id)}"
            ),
            pixel=f"{self.base_url}/r/o/{self.signer.sign('open', message_id)}.gif",
            unsubscribe=unsubscribe_url,
            survey=survey_url,
        )
        decorated = decorate(
            rendered,
            urls,
            base_url=self.base_url,
            add_unsubscribe_footer=not compiled.uses_unsubscribe,
            add_survey_link=survey_url is not None and not compiled.uses_survey,
        )
        mail = Mail(
            to=address,
            to_name=row.name or None,
            subject=rendered.subject,
            text=decorated.text,
            html=decorated.html,
            sender=self.from_header(campaign, row.variant_id),
            message_id=f"<{message_id}@{self.domain}>",
            headers={
                "List-Unsubscribe": (
                    f"<mailto:{self.mailto}?subject={quote('unsubscribe ' + unsubscribe_token)}>, "
                    f"<{unsubscribe_url}>"
                ),
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Precedence": "bulk",
                "Feedback-ID": f"{campaign.id[:8]}:{row.variant_id[:8]}:mms",
            },
        )
        return Prepared(row, address, mail, decorated.links)

    def store_links(self, campaign_id: str, prepared: list[Prepared]) -> None:
        """Record every new link before the messages carrying it leave (clicks must resolve)."""
        now = utcnow()
        new = {}
        for item in prepared:
            for link_id, url in item.links.items():
                key = (item.row.variant_id, link_id)
                if key not in self._links:
                    new[key] = url
        if not new:
            return
        with self.uow() as uow:
            insert_ignore(
                uow.session,
                t.message_links,
                [
                    {
                        "variant_id": variant_id,
                        "link_id": link_id,
                        "campaign_id": campaign_id,
                        "url": url,
                        "created_at": now,
                    }
                    for (variant_id, link_id), url in new.items()
                ],
                ["variant_id", "link_id"],
            )
            uow.commit()
        self._links.update(new)


# -- claiming and recording -----------------------------------------------------------------


def _claim(ctx: SendContext, campaign_id: str, now: datetime) -> list[Any]:
    m = t.messages.c
    with ctx.uow() as uow:
        status = uow.session.execute(
            select(t.campaigns.c.status).where(t.campaigns.c.id == campaign_id)
        ).scalar()
        if status != "running":
            return []  # paused or ended since the run started
        postgres = uow.session.get_bind().dialect.name == "postgresql"
        ids: list[str] = []
        # Two index range scans (campaign, status[, due time]) rather than one OR that would
        # scan and sort every remaining row of a large send for each chunk.
        for condition in (
            m.status == "pending",
            and_(m.status == "deferred", m.next_attempt_at <= now),
        ):
            want = ctx.cfg.send_chunk - len(ids)
            if want <= 0:
                break
            query = select(m.id).where(m.campaign_id == campaign_id, condition).limit(want)
            if postgres:
                query = query.with_for_update(skip_locked=True)
            ids.extend(uow.session.execute(query).scalars())
        if not ids:
            return []
        uow.session.execute(
            update(t.messages).where(m.id.in_(ids)).values(status="sending", claimed_at=now)
        )
        c, cs = t.customers.c, t.consents.c
        company = t.customers.alias("company")
        rows = uow.session.execute(
            select(
                m.id,
                m.variant_id,
                m.customer_id,
                m.purpose,
                m.attempts,
                m.sent_at,
                m.coupon_code,
                m.to_address,
                c.email,
                c.status.label("customer_status"),
                c.name,
                c.first_name,
                c.last_name,
                c.job_title,
                c.country,
                c.city,
                c.language,
                c.attributes,
                company.c.name.label("company"),
                cs.status.label("consent"),
            )
            .select_from(
                t.messages.outerjoin(t.customers, c.id == m.customer_id)
                .outerjoin(company, company.c.id == c.company_id)
                .outerjoin(t.consents, and_(cs.customer_id == m.customer_id, cs.channel == "email"))
            )
            .where(m.id.in_(ids))
            .order_by(m.id)
        ).all()
        uow.commit()
    return rows


def _suppressed(ctx: SendContext, rows: list[Any]) -> tuple[set[str], set[str]]:
    s = t.suppressions.c
    customer_ids = [r.customer_id for r in rows]
    hashes = [address_hash(r.email) for r in rows if r.email]
    with ctx.uow.db.session() as session:
        by_customer = set(
            session.execute(select(s.customer_id).where(s.customer_id.in_(customer_ids))).scalars()
        )
        by_address = (
            set(session.execute(select(s.address_hash).where(s.address_hash.in_(hashes))).scalars())
            if hashes
            else set()
        )
    return by_customer, by_address


def _skip_reason(row, suppressed_customers: set[str], suppressed_addresses: set[str]) -> str | None:
    """Send-time re-check: consent or suppression may have changed since the audience was fixed."""
    if row.customer_status != "active":
        return "inactive"
    if not row.email:
        return "no_email"
    if row.consent != "granted":
        return "no_consent"
    if row.customer_id in suppressed_customers or address_hash(row.email) in suppressed_addresses:
        return "suppressed"
    return None


def _record(ctx: SendContext, campaign: Campaign, outcomes: list[Outcome]) -> None:
    now = utcnow()
    delays = ctx.cfg.retry_delays
    params, domain_events, bounces = [], [], []
    for o in outcomes:
        row = o.row
        ref = events.MessageRef(row.id, campaign.id, row.variant_id, row.customer_id, row.purpose)
        attempts = row.attempts + (0 if o.status == "skipped" else 1)
        values = {
            "mid": row.id,
            "status": o.status,
            "attempts": attempts,
            "sent_at": row.sent_at or (None if o.status == "skipped" else now),
            "delivered_at": None,
            "bounced_at": None,
            "next_attempt_at": None,
            "smtp_code": o.delivery.code if o.delivery else None,
            "last_error": o.error or (o.delivery.detail if o.delivery else None),
            "skip_reason": o.skip_reason,
            "to_address": o.address or row.to_address,
        }
        if o.status != "skipped" and row.sent_at is None:
            domain_events.append(events.MessageSent(ref, now))
        delivery = o.delivery
        if o.status == "skipped":
            pass
        elif delivery.outcome == "sent":
            values["status"] = "delivered"
            values["delivered_at"] = now
            domain_events.append(events.MessageDelivered(ref, now, attempts, delivery.code))
        elif delivery.outcome == "permanent":
            values["status"] = "bounced_hard"
            values["bounced_at"] = now
            bounces.append(o)
            domain_events.append(
                events.MessageBounced(
                    ref, "hard", delivery.code, (delivery.detail or "")[:500], attempts, now
                )
            )
        elif attempts <= len(delays):
            values["status"] = "deferred"
            values["next_attempt_at"] = now + timedelta(seconds=delays[attempts - 1])
        else:
            values["status"] = "bounced_soft"
            values["bounced_at"] = now
            domain_events.append(
                events.MessageBounced(
                    ref, "soft", delivery.code, (delivery.detail or "")[:500], attempts, now
                )
            )
        params.append(values)
    m = t.messages.c
    with ctx.uow() as uow:
        uow.session.execute(
            update(t.messages)
            .where(m.id == bindparam("mid"))
            .values(
                status=bindparam("status"),
                attempts=bindparam("attempts"),
                sent_at=bindparam("sent_at"),
                delivered_at=bindparam("delivered_at"),
                bounced_at=bindparam("bounced_at"),
                next_attempt_at=bindparam("next_attempt_at"),
                smtp_code=bindparam("smtp_code"),
                last_error=bindparam("last_error"),
                skip_reason=bindparam("skip_reason"),
                to_address=bindparam("to_address"),
                claimed_at=None,
            ),
            params,
        )
        if bounces:
            insert_ignore(
                uow.session,
                t.suppressions,
                [
                    {
                        "id": str(uuid.uuid4()),
                        "address_hash": address_hash(o.address),
                        "address": o.address,
                        "customer_id": o.row.customer_id,
                        "reason": "hard_bounce",
                        "campaign_id": campaign.id,
                        "message_id": o.row.id,
                        "note": (o.delivery.detail or "")[:500],
                        "created_at": now,
                        "created_by": "system:bounce",
                    }
                    for o in bounces
                ],
                ["address_hash"],
            )
        for event in domain_events:
            uow.add_event(event)
        uow.commit()


@dataclass
class Batch:
    """One claimed chunk: what goes to SMTP and what was decided without it."""

    campaign: Campaign
    prepared: list[Prepared]
    outcomes: list[Outcome]
    deliveries: list[Delivery] | None = None

    @property
    def size(self) -> int:
        return len(self.prepared) + len(self.outcomes)


def prepare_chunk(ctx: SendContext, campaign_id: str) -> Batch | None:
    """Claim a chunk, re-check it at send time, render it and record its links."""
    now = utcnow()
    rows = _claim(ctx, campaign_id, now)
    if not rows:
        return None
    campaign = ctx.campaign(campaign_id)
    suppressed_customers, suppressed_addresses = _suppressed(ctx, rows)
    batch = Batch(campaign, [], [])
    for row in rows:
        reason = _skip_reason(row, suppressed_customers, suppressed_addresses)
        if reason:
            batch.outcomes.append(Outcome(row, row.email, "skipped", skip_reason=reason))
            continue
        item = ctx.prepare(campaign, row)
        if item.mail is None:
            batch.outcomes.append(
                Outcome(row, row.email, "skipped", skip_reason="render_error", error=item.problem)
            )
            continue
        batch.prepared.append(item)
    ctx.store_links(campaign_id, batch.prepared)
    return batch


def record_batch(ctx: SendContext, batch: Batch) -> None:
    outcomes = list(batch.outcomes)
    for item, delivery in zip(batch.prepared, batch.deliveries or [], strict=True):
        outcomes.append(Outcome(item.row, item.address, delivery.outcome, delivery))
    _record(ctx, batch.campaign, outcomes)


def send_chunk(ctx: SendContext, smtp: SmtpSender, campaign_id: str) -> int:
    """Claim, check, render, send and record one chunk; the number of messages handled."""
    batch = prepare_chunk(ctx, campaign_id)
    if batch is None:
        return 0
    batch.deliveries = smtp.send([p.mail for p in batch.prepared]) if batch.prepared else []
    record_batch(ctx, batch)
    return batch.size


class Courier:
    """Hands prepared chunks to SMTP on its own thread.

    While one chunk travels over the SMTP connection (mostly waiting for the server), the job
    claims and renders the next one and records the one before: the database and template
    work overlaps the SMTP round trips. At most three chunks are claimed and not yet recorded
    (one being prepared, one queued, one travelling), which bounds the messages a crash can
    leave in doubt. The SMTP sender stays on this one thread (it is not thread-safe).
    """

    def __init__(self, smtp) -> None:
        self.smtp = smtp
        self._todo: queue.Queue = queue.Queue(maxsize=1)
        self._done: queue.Queue = queue.Queue()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="smtp-courier", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            batch = self._todo.get()
            if batch is None:
                return
            try:
                batch.deliveries = (
                    self.smtp.send([p.mail for p in batch.prepared]) if batch.prepared else []
                )
            except BaseException as exc:  # handed back to the job's thread
                self._failure = exc
                self._done.put(None)
                return
            self._done.put(batch)

    def _check(self) -> None:
        if self._failure is not None:
            raise self._failure

    def submit(self, batch: Batch) -> None:
        while True:
            self._check()
            try:
                self._todo.put(batch, timeout=0.5)
                return
            except queue.Full:
                continue

    def finished(self) -> list[Batch]:
        """Chunks back from SMTP so far (without waiting)."""
        out = []
        while True:
            try:
                batch = self._done.get_nowait()
            except queue.Empty:
                break
            if batch is not None:
                out.append(batch)
        self._check()
        return out

    def abandon(self) -> None:
        """Stop after the chunk in flight (the job failed); unrecorded chunks end in doubt."""
        try:
            self._todo.get_nowait()
        except queue.Empty:
            pass
        try:
            self._todo.put_nowait(None)
        except queue.Full:
            pass
        self._thread.join(timeout=60)

    def close(self) -> list[Batch]:
        """Wait for everything submitted; the chunks not yet collected."""
        while self._thread.is_alive():
            try:
                self._todo.put(None, timeout=0.5)
                break
            except queue.Full:
                continue  # the courier may have just died: is_alive says so next round
        self._thread.join()
        rest = []
        while not self._done.empty():
            batch = self._done.get_nowait()
            if batch is not None:
                rest.append(batch)
        self._check()
        return rest


# -- the job --------------------------------------------------------------------------------


def mark_in_doubt(uow_factory) -> int:
    """Rows a crashed run left 'sending' may have been sent: never send them again."""
    with uow_factory() as uow:
        count = uow.session.execute(
            update(t.messages)
            .where(t.messages.c.status == "sending")
            .values(status="in_doubt", claimed_at=None)
        ).rowcount
        uow.commit()
    if count:
        log.warning("messages_in_doubt", count=count)
    return count


def _sends(session, *phases: str) -> list[Any]:
    s, c = t.sends.c, t.campaigns.c
    return session.execute(
        select(s.campaign_id, s.phase, s.test_ends_at, c.status)
        .join(t.campaigns, c.id == s.campaign_id)
        .where(s.phase.in_(phases))
        .order_by(s.requested_at)
    ).all()


def choose_due_winners(uow_factory, now: datetime | None = None) -> int:
    now = now or utcnow()
    with uow_factory() as uow:
        due = [
            row.campaign_id
            for row in _sends(uow.session, "sending", "awaiting_winner")
            if row.status == "running" and row.test_ends_at is not None and row.test_ends_at <= now
        ]
    chosen = 0
    for campaign_id in due:
        with uow_factory() as uow:
            campaign = uow.campaigns.get(campaign_id)
            if (
                campaign.winner_variant_id is None
                and campaign.has_test_phase
                and campaign.ab_test.auto_select
            ):
                select_winner(uow, None, campaign_id, None, method="automatic", now=now)
                chosen += 1
    return chosen


def settle_sends(uow_factory, now: datetime | None = None) -> None:
    """Finish sends with nothing left to send; park those waiting only for the winner."""
    now = now or utcnow()
    m = t.messages.c
    with uow_factory() as uow:
        candidates = [row.campaign_id for row in _sends(uow.session, "sending")]
    for campaign_id in candidates:
        with uow_factory() as uow:
            counts = dict(
                uow.session.execute(
                    select(m.status, func.count())
                    .where(m.campaign_id == campaign_id, m.status.in_((*OPEN_STATES, "held")))
                    .group_by(m.status)
                ).all()
            )
            if any(counts.get(state) for state in OPEN_STATES):
                continue
            if counts.get("held"):
                phase = "awaiting_winner"
                finished_at = None
            else:
                phase = "finished"
                finished_at = now
                uow.add_event(
                    events.SendFinished(
                        campaign_id, results.send_totals(uow.session, campaign_id), now
                    )
                )
            uow.session.execute(
                update(t.sends)
                .where(t.sends.c.campaign_id == campaign_id, t.sends.c.phase == "sending")
                .values(phase=phase, finished_at=finished_at, updated_at=now)
            )
            uow.commit()


def run_send_job(
    uow_factory,
    cfg: CampaignSettings,
    mail: MailSettings,
    signer: TokenSigner,
    base_url: str,
    *,
    mailer=None,
    budget_seconds: float | None = None,
) -> int:
    """One run of the job; returns how many messages it handled."""
    deadline = time.monotonic() + (budget_seconds or cfg.send_run_seconds)
    mark_in_doubt(uow_factory)
    with uow_factory() as uow:
        pending = [row.campaign_id for row in _sends(uow.session, "pending")]
    for campaign_id in pending:
        resolve_audience(uow_factory, campaign_id, cfg)
    choose_due_winners(uow_factory)
    with uow_factory() as uow:
        active = [
            row.campaign_id for row in _sends(uow.session, "sending") if row.status == "running"
        ]
    handled = 0
    if active:
        ctx = SendContext(uow_factory, cfg, mail, signer, base_url)
        smtp = (mailer or SmtpSender)(mail)
        courier = Courier(smtp)
        try:
            remaining = list(active)
            # Round robin: one chunk per campaign in turn, so a big send does not starve others.
            while remaining and time.monotonic() < deadline:
                for campaign_id in list(remaining):
                    batch = prepare_chunk(ctx, campaign_id)
                    if batch is None:
                        remaining.remove(campaign_id)
                        continue
                    courier.submit(batch)
                    handled += batch.size
                    for done in courier.finished():
                        record_batch(ctx, done)
                    if time.monotonic() >= deadline:
                        break
            for done in courier.close():
                record_batch(ctx, done)
        except BaseException:
            courier.abandon()
            raise
        finally:
            smtp.close()
    settle_sends(uow_factory)
    return handled
