"""Campaign send throughput: messages rendered and handed to a local SMTP sink per second.

    .venv/bin/python bench/campaign_send_bench.py [--members 100000] [--baseline 20000]
                                                  [--backend sqlite|postgres] [--chunk 50]

A segment of --members customers (replica rows, email consent, memberships) is seeded straight
into a fresh campaign database; an email campaign with an HTML template (personalised greeting,
company name, two tracked links, coupon code) is launched and the real send job runs until the
send has finished: audience resolution, per-recipient message rows, send-time consent and
suppression checks, rendering in the sandbox, link tracking, unsubscribe headers and footer,
SMTP hand-off over one connection, outcome rows and two outbox events per message.

Baseline, in the same run against the same sink: a bare smtplib loop sending one message exactly
as the pipeline renders it, prebuilt, over one connection (the protocol and sink ceiling for this
message size); half of it runs before the pipeline and half after, to even out machine noise.
The sink is an aiosmtpd server in its own process that only counts what it accepts. Also printed:
the sender's CPU time per message (all threads), which depends far less on how busy the machine
is than the wall-clock rates. Target: >= 500 messages/s end to end.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import smtplib
import tempfile
import time
import uuid
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

from _common import fresh_pg_database, say, servers, table
from sqlalchemy import insert, select

from campaign_service.adapters import tables as t
from campaign_service.config import CampaignSettings
from campaign_service.entrypoints import runtime as runtime_module
from campaign_service.service import campaigns as campaign_use
from campaign_service.service import sending, templates
from servicekit import migrations
from servicekit.identity import Identity
from servicekit.mail import MailSettings

ACTOR = Identity(subject="system:bench", kind="system", roles=frozenset({"admin"}))
HTML = """<html><body>
<p>Dear {{ first_name }},</p>
<p>The spring harvest has arrived for {{ company }}. Use <strong>{{ coupon_code }}</strong>
for 10% off.</p>
<p><a href="https://shop.example.com/tea/longjing?utm_campaign=bench">See the new harvest</a>
&middot; <a href="https://shop.example.com/tea?utm_campaign=bench">All teas</a></p>
</body></html>"""


def _sink(port: int, ready, counter) -> None:
    import asyncio

    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            with counter.get_lock():
                counter.value += 1
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        asyncio.run(asyncio.sleep(10**9))
    finally:
        controller.stop()


def start_sink():
    from servicekit.testing.servers import free_port

    port = free_port()
    ready = multiprocessing.Event()
    counter = multiprocessing.Value("q", 0)
    process = multiprocessing.Process(target=_sink, args=(port, ready, counter), daemon=True)
    process.start()
    if not ready.wait(30):
        raise RuntimeError("the SMTP sink did not start")
    return process, port, counter


def sample_message(rt, campaign_id: str) -> bytes:
    """One message exactly as the pipeline renders it, flattened once (the baseline's cargo)."""
    from email.generator import BytesGenerator
    from io import BytesIO
    from types import SimpleNamespace

    from campaign_service.domain.campaigns import Content

    ctx = sending.SendContext(
        rt.uow,
        rt.extras["campaign"],
        rt.extras["mail"],
        rt.extras["signer"],
        rt.settings.public_base_url,
    )
    with rt.uow() as uow:
        campaign = uow.campaigns.get(campaign_id)
        variant = campaign.variants[0]
        variant.content = Content(**uow.templates.get(variant.template_id).content().as_dict())
    row = SimpleNamespace(
        id=str(uuid.uuid4()),
        variant_id=variant.id,
        purpose="campaign",
        email="m@example.com",
        name="Customer 1",
        first_name="Name1",
        last_name="Bench",
        company="Lin Trading",
        job_title=None,
        country=None,
        city=None,
        language=None,
        attributes={},
        coupon_code=None,
    )
    mail = ctx.prepare(campaign, row).mail
    buffer = BytesIO()
    BytesGenerator(buffer).flatten(mail.build("news@mms.bench"), linesep="\r\n")
    return buffer.getvalue()


def baseline(port: int, count: int, message: bytes) -> float:
    """A bare smtplib loop: the prebuilt message, one connection, nothing else."""
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        started = time.perf_counter()
        for _ in range(count):
            smtp.sendmail("news@mms.bench", ["m@example.com"], message)
        return time.perf_counter() - started


def seed(rt, members: int) -> tuple[str, str]:
    """Customers, consent and membership of one segment, written straight into the replica."""
    now = datetime.now(UTC)
    segment_id = str(uuid.uuid4())
    company_id = str(uuid.uuid4())
    with rt.db.write_session() as session:
        session.execute(
            insert(t.segments).values(
                id=segment_id, name="Bench", kind="static", status="active", revision=1
            )
        )
        session.execute(
            insert(t.customers).values(
                id=company_id,
                kind="company",
                name="Lin Trading",
                attributes={},
                status="active",
                revision=1,
                updated_at=now,
            )
        )
        batch = 5000
        for start in range(0, members, batch):
            ids = [str(uuid.uuid4()) for _ in range(min(batch, members - start))]
            session.execute(
                insert(t.customers),
                [
                    {
                        "id": cid,
                        "kind": "person",
                        "name": f"Customer {start + n}",
                        "first_name": f"Name{start + n}",
                        "last_name": "Bench",
                        "company_id": company_id,
                        "email": f"member{start + n}@example.com",
                        "attributes": {},
                        "status": "active",
                        "revision": 1,
                        "updated_at": now,
                    }
                    for n, cid in enumerate(ids)
                ],
            )
            session.execute(
                insert(t.consents),
                [
                    {
                        "customer_id": cid,
                        "channel": "email",
                        "status": "granted",
                        "source": "bench",
                        "revision": 1,
                        "changed_at": now,
                    }
                    for cid in ids
                ],
            )
            session.execute(
                insert(t.segment_members),
                [
                    {
                        "segment_id": segment_id,
                        "customer_id": cid,
                        "member": True,
                        "changed_at": now,
                    }
                    for cid in ids
                ],
            )
        session.commit()
    with rt.uow() as uow:
        template = templates.create_template(
            uow,
            ACTOR,
            {
                "name": "Bench",
                "subject": "{{ first_name }}, the spring harvest is here",
                "html": HTML,
                "defaults": {"coupon_code": "SPRING10"},
            },
        )
    with rt.uow() as uow:
        campaign = campaign_use.create_campaign(
            uow,
            ACTOR,
            {
                "name": "Bench send",
                "channel": "email",
                "segment_ids": [segment_id],
                "respect_frequency_cap": False,
                "variants": [{"name": "A", "split_percent": 100, "template_id": template.id}],
            },
            base_currency="EUR",
        )
    return campaign.id, segment_id


def pipeline(rt, campaign_id: str, port: int) -> dict:
    cfg = rt.extras["campaign"]
    mail = MailSettings(host="127.0.0.1", port=port, sender="Lin Tea <news@mms.bench>")
    with rt.uow() as uow:
        campaign_use.launch(uow, ACTOR, campaign_id)
    started = time.perf_counter()
    cpu_started = time.process_time()
    sending.resolve_audience(rt.uow, campaign_id, cfg)
    resolved = time.perf_counter()
    while True:
        sending.run_send_job(
            rt.uow,
            cfg,
            mail,
            rt.extras["signer"],
            rt.settings.public_base_url,
            budget_seconds=3600,
        )
        with rt.db.session() as session:
            phase = session.execute(
                select(t.sends.c.phase).where(t.sends.c.campaign_id == campaign_id)
            ).scalar()
        if phase == "finished":
            break
    finished = time.perf_counter()
    cpu = time.process_time() - cpu_started
    with rt.db.session() as session:
        delivered = session.execute(
            select(t.messages.c.id).where(t.messages.c.status == "delivered")
        ).all()
    return {
        "delivered": len(delivered),
        "resolve_s": resolved - started,
        "send_s": finished - resolved,
        "total_s": finished - started,
        "cpu_s": cpu,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=20_000, help="bare smtplib messages")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--chunk", type=int, default=50, help="MMS_CAMPAIGN_SEND_CHUNK")
    args = parser.parse_args()

    process, port, counter = start_sink()
    try:
        with (
            servers(need_postgres=True) if args.backend == "postgres" else nullcontext((None, None))
        ) as (_amqp, dsn):
            if args.backend == "postgres":
                url = fresh_pg_database(dsn, "bench_campaign_send")
            else:
                url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-campaign-')) / 'c.db'}"
            cfg = CampaignSettings(
                tracking_secret=b"bench-tracking-secret-0123456789",
                send_chunk=args.chunk,
                frequency_cap=None,
            )
            rt = runtime_module.build(
                campaign=cfg,
                mail=MailSettings(host="127.0.0.1", port=port, sender="Lin Tea <news@mms.bench>"),
                database_url=url,
                amqp_url="amqp://guest:guest@127.0.0.1:1//",
                public_base_url="https://mms.example.com",
            )
            migrations.upgrade(rt.migrations_dir, rt.db)
            say(f"seeding a {args.members}-member segment ({args.backend}) ...")
            campaign_id, _ = seed(rt, args.members)
            message = sample_message(rt, campaign_id)
            say(
                f"SMTP sink on 127.0.0.1:{port}; baseline: {args.baseline} bare smtplib sends of "
                f"one rendered campaign message ({len(message)} bytes), before and after ..."
            )
            base_seconds = baseline(port, args.baseline // 2, message)
            before = counter.value
            say("sending through the campaign pipeline ...")
            result = pipeline(rt, campaign_id, port)
            accepted = counter.value - before
            base_seconds += baseline(port, args.baseline - args.baseline // 2, message)
            base_rate = args.baseline / base_seconds
            rt.db.dispose()
    finally:
        process.terminate()
        process.join(10)

    rate = result["delivered"] / result["total_s"]
    send_rate = result["delivered"] / result["send_s"]
    say("")
    say(
        table(
            [
                (
                    "bare smtplib loop (baseline)",
                    args.baseline,
                    f"{base_seconds:.1f}",
                    f"{base_rate:,.0f}",
                ),
                (
                    "campaign send, end to end",
                    result["delivered"],
                    f"{result['total_s']:.1f}",
                    f"{rate:,.0f}",
                ),
                ("  of which audience resolution", args.members, f"{result['resolve_s']:.1f}", "-"),
                (
                    "  of which sending",
                    result["delivered"],
                    f"{result['send_s']:.1f}",
                    f"{send_rate:,.0f}",
                ),
            ],
            ("what", "messages", "seconds", "messages/s"),
        )
    )
    say("")
    say(f"sink accepted {accepted} of {result['delivered']} delivered messages")
    cpu_ms = result["cpu_s"] * 1000 / max(result["delivered"], 1)
    say(
        f"sender CPU: {cpu_ms:.2f} ms per message (all threads; the wall-clock figures also "
        f"depend on how busy this machine is: load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs)"
    )
    say(
        f"campaign / bare smtplib: {rate / base_rate:.2f}x (sending only: "
        f"{send_rate / base_rate:.2f}x)"
    )
    say(
        f"target >= 500 messages/s end to end: {'met' if rate >= 500 else 'NOT met'} "
        f"({rate:,.0f}/s, backend {args.backend}, chunk {args.chunk})"
    )
    return 0 if accepted == result["delivered"] == args.members else 1


if __name__ == "__main__":
    raise SystemExit(main())
