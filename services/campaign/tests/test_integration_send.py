"""The send job against a real SMTP server: retries, bounces, crashes, pauses, A/B, caps."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from campaign_service.adapters import tables as t
from campaign_service.service import sending
from servicekit.mail import SmtpSender
from servicekit.types import utcnow

pytestmark = pytest.mark.integration

HUMAN = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/126.0"}


def statuses(rt, campaign_id):
    with rt.db.session() as session:
        return dict(
            session.execute(
                select(t.messages.c.to_address, t.messages.c.status).where(
                    t.messages.c.campaign_id == campaign_id
                )
            ).all()
        )


def test_temporary_failures_are_retried_then_soft_bounce(
    rt, feed, email_campaign, send_job, outbox, smtp_sink
):
    segment = feed.segment()
    feed.customer(email="tempfail-1@example.com", segments=(segment,))
    feed.customer(email="ok@example.com", segments=(segment,))
    campaign = email_campaign([segment])
    for _ in range(3):  # each run retries what became due (retry_delays are 0 here)
        send_job()
    with rt.db.session() as session:
        row = session.execute(
            select(t.messages).where(t.messages.c.to_address == "tempfail-1@example.com")
        ).one()
    # retry_delays=(0, 0): tried three times, then a soft bounce; never suppressed.
    assert (row.status, row.attempts, row.smtp_code) == ("bounced_soft", 3, 451)
    bounced = outbox("campaign.message.bounced")
    assert [(b["bounce_type"], b["attempts"]) for b in bounced] == [("soft", 3)]
    assert len(outbox("campaign.message.sent")) == 2  # one per message, not per attempt
    assert statuses(rt, campaign["id"])["ok@example.com"] == "delivered"
    with rt.db.session() as session:
        assert session.execute(select(t.suppressions)).first() is None


@pytest.mark.parametrize("settings_overrides", [{"retry_delays": (3600.0,)}])
def test_a_deferred_message_waits_for_its_retry_time(rt, feed, email_campaign, send_job):
    segment = feed.segment()
    feed.customer(email="tempfail-2@example.com", segments=(segment,))
    campaign = email_campaign([segment])
    send_job()
    assert statuses(rt, campaign["id"]) == {"tempfail-2@example.com": "deferred"}
    assert send_job() == 0  # not due yet
    with rt.db.session() as session:
        send = session.execute(select(t.sends)).one()
    assert send.phase == "sending"


class CrashAfterHandOff:
    """An SMTP sender whose worker 'dies' right after the second batch reached the server."""

    def __init__(self, settings):
        self.inner = SmtpSender(settings)
        self.calls = 0

    def send(self, mails):
        self.calls += 1
        result = self.inner.send(mails)
        if self.calls == 2:
            raise RuntimeError("worker killed")
        return result

    def close(self):
        self.inner.close()


@pytest.mark.parametrize("settings_overrides", [{"send_chunk": 5}])
def test_a_crash_never_leads_to_a_second_message(
    rt, feed, email_campaign, send_job, smtp_sink, admin
):
    segment = feed.segment()
    for i in range(15):
        feed.customer(email=f"c{i}@example.com", segments=(segment,))
    campaign = email_campaign([segment])
    with pytest.raises(RuntimeError, match="worker killed"):
        send_job(mailer=CrashAfterHandOff)
    assert len(smtp_sink.messages) == 10  # two chunks of 5 reached the server
    send_job()  # rows left 'sending' are in doubt: never sent again
    send_job()
    addresses = [m.rcpt_tos[0] for m in smtp_sink.messages]
    assert len(addresses) == len(set(addresses))  # nobody got the message twice
    counts = admin.get(f"/api/v1/campaigns/{campaign['id']}/send").json["by_status"]
    # The crashed chunk (5) is in doubt; so is a chunk the job had claimed meanwhile.
    assert counts["in_doubt"] in (5, 10)
    assert counts["delivered"] + counts["in_doubt"] == 15
    assert len(addresses) == counts["delivered"] + 5
    report = admin.get(f"/api/v1/campaigns/{campaign['id']}/report").json
    assert report["totals"]["in_doubt"] == counts["in_doubt"]
    assert report["audience"]["phase"] == "finished"


def test_running_the_job_again_sends_nothing_twice(rt, feed, email_campaign, send_job, smtp_sink):
    segment = feed.segment()
    for i in range(3):
        feed.customer(email=f"x{i}@example.com", segments=(segment,))
    email_campaign([segment])
    assert send_job() == 3
    assert send_job() == 0
    assert len(smtp_sink.messages) == 3


def test_pause_holds_the_send_and_resume_continues(
    rt, feed, email_campaign, send_job, smtp_sink, admin
):
    segment = feed.segment()
    feed.customer(email="p@example.com", segments=(segment,))
    campaign = email_campaign([segment])
    assert admin.post(f"/api/v1/campaigns/{campaign['id']}/pause").status_code == 200
    assert send_job() == 0
    assert smtp_sink.messages == []
    assert admin.post(f"/api/v1/campaigns/{campaign['id']}/resume").status_code == 200
    assert send_job() == 1


def test_cancel_stops_unsent_messages(rt, feed, email_campaign, send_job, smtp_sink, admin, outbox):
    segment = feed.segment()
    feed.customer(email="q@example.com", segments=(segment,))
    campaign = email_campaign([segment])
    sending.resolve_audience(rt.uow, campaign["id"], rt.extras["campaign"])
    assert admin.post(f"/api/v1/campaigns/{campaign['id']}/cancel").status_code == 200
    assert send_job() == 0
    assert statuses(rt, campaign["id"]) == {"q@example.com": "cancelled"}
    (finished,) = outbox("campaign.send.finished")
    assert finished["sent"] == 0
    assert outbox("campaign.cancelled")[0]["status"] == "cancelled"


def test_consent_is_checked_again_at_send_time(rt, feed, email_campaign, send_job, smtp_sink):
    segment = feed.segment()
    withdrawn = feed.customer(email="w@example.com", segments=(segment,))
    feed.customer(email="k@example.com", segments=(segment,))
    campaign = email_campaign([segment])
    sending.resolve_audience(rt.uow, campaign["id"], rt.extras["campaign"])
    feed.consent(withdrawn, "withdrawn")
    send_job()
    assert statuses(rt, campaign["id"]) == {
        "w@example.com": "skipped",
        "k@example.com": "delivered",
    }
    assert [m.rcpt_tos for m in smtp_sink.messages] == [["k@example.com"]]


@pytest.mark.parametrize("settings_overrides", [{"frequency_cap": 1}])
def test_frequency_cap_and_suppressions_leave_people_out(rt, feed, email_campaign, send_job, admin):
    segment = feed.segment()
    feed.customer(email="a@example.com", segments=(segment,))
    feed.customer(email="bounce-x@example.com", segments=(segment,))
    feed.customer(email="manual@example.com", segments=(segment,))
    first = email_campaign([segment], name="First")
    send_job()
    assert (
        admin.post(
            "/api/v1/suppressions", json={"address": "Manual@Example.com", "note": "asked by phone"}
        ).status_code
        == 201
    )
    second = email_campaign([segment], name="Second")
    send_job()
    excluded = admin.get(f"/api/v1/campaigns/{second['id']}/send").json["excluded"]
    assert excluded["hard_bounced"] == 1
    assert excluded["suppressed"] == 1  # manual@: a suppression outranks the cap
    assert excluded["frequency_capped"] == 1  # a@ got the first one this week
    assert admin.get(f"/api/v1/campaigns/{first['id']}/send").json["recipients"] == 3


def test_ab_test_with_held_audience_and_winner_by_clicks(
    rt, client, feed, admin, send_job, smtp_sink, outbox
):
    segment = feed.segment()
    for i in range(20):
        feed.customer(email=f"ab{i}@example.com", segments=(segment,))
    templates = [
        admin.post(
            "/api/v1/templates",
            json={
                "name": name,
                "subject": subject,
                "html": '<p><a href="https://shop.example.com/x">x</a></p>',
            },
        ).json["id"]
        for name, subject in (("A", "Subject A"), ("B", "Subject B"))
    ]
    campaign = admin.post(
        "/api/v1/campaigns",
        json={
            "name": "A/B",
            "channel": "email",
            "segment_ids": [segment],
            "variants": [
                {"name": "A", "split_percent": 50, "template_id": templates[0]},
                {"name": "B", "split_percent": 50, "template_id": templates[1]},
            ],
            "ab_test": {
                "winner_metric": "clicks",
                "test_share_percent": 40,
                "test_duration_hours": 4,
            },
        },
    ).json
    admin.post(f"/api/v1/campaigns/{campaign['id']}/launch")
    send_job()
    progress = admin.get(f"/api/v1/campaigns/{campaign['id']}/send").json
    assert progress["phase"] == "awaiting_winner"
    assert progress["recipients"] == 20 and progress["held_for_winner"] == 12
    subjects = [m.subject for m in smtp_sink.messages]
    assert subjects.count("Subject A") == 4 and subjects.count("Subject B") == 4
    for received in smtp_sink.messages:
        if received.subject == "Subject B":
            link = re.search(r'href="([^"]+/r/c/[^"]+)"', received.body("html")).group(1)
            assert client.get(urlsplit(link).path, headers=HUMAN).status_code == 302
    chosen = admin.post(f"/api/v1/campaigns/{campaign['id']}/select-winner", json={})
    assert chosen.status_code == 200, chosen.json
    variant_b = next(v["id"] for v in campaign["variants"] if v["name"] == "B")
    assert chosen.json["winner_variant_id"] == variant_b
    (winner,) = outbox("campaign.variant.winner_selected")
    assert winner["method"] == "manual" and winner["metric"] == "clicks"
    send_job()
    subjects = [m.subject for m in smtp_sink.messages]
    assert subjects.count("Subject B") == 16 and subjects.count("Subject A") == 4
    report = admin.get(f"/api/v1/campaigns/{campaign['id']}/report").json
    by_name = {v["name"]: v for v in report["variants"]}
    assert by_name["B"]["is_winner"] and by_name["B"]["clicked_human"] == 4
    assert by_name["B"]["delivered"] == 16
    assert admin.get(f"/api/v1/campaigns/{campaign['id']}/send").json["phase"] == "finished"


def test_automatic_winner_after_the_test_window(rt, feed, admin, send_job, outbox):
    segment = feed.segment()
    for i in range(10):
        feed.customer(email=f"auto{i}@example.com", segments=(segment,))
    template = admin.post(
        "/api/v1/templates", json={"name": "T", "subject": "s", "text": "hello"}
    ).json["id"]
    campaign = admin.post(
        "/api/v1/campaigns",
        json={
            "name": "Auto",
            "channel": "email",
            "segment_ids": [segment],
            "variants": [
                {"name": "A", "split_percent": 50, "template_id": template},
                {"name": "B", "split_percent": 50, "template_id": template},
            ],
            "ab_test": {
                "winner_metric": "opens",
                "test_share_percent": 20,
                "test_duration_hours": 1,
            },
        },
    ).json
    admin.post(f"/api/v1/campaigns/{campaign['id']}/launch")
    send_job()
    assert sending.choose_due_winners(rt.uow) == 0  # the window is still open
    assert sending.choose_due_winners(rt.uow, now=utcnow() + timedelta(hours=2)) == 1
    (winner,) = outbox("campaign.variant.winner_selected")
    assert winner["method"] == "automatic"
    send_job()
    assert admin.get(f"/api/v1/campaigns/{campaign['id']}/send").json["by_status"] == {
        "delivered": 10
    }


def test_unique_coupon_codes_are_issued_and_given_per_recipient(
    rt, feed, admin, email_campaign, send_job, smtp_sink, outbox
):
    segment = feed.segment()
    for i in range(3):
        feed.customer(email=f"u{i}@example.com", segments=(segment,))
    coupon = admin.post(
        "/api/v1/coupons",
        json={
            "name": "Personal 5",
            "mode": "unique",
            "discount_kind": "amount",
            "value": "5",
            "currency": "EUR",
        },
    ).json
    email_campaign([segment], coupon_id=coupon["id"])
    send_job()
    codes = {
        re.search(r"([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})", m.body("html")).group(1)
        for m in smtp_sink.messages
    }
    assert len(codes) == 3
    (issued,) = outbox("campaign.coupon.codes_issued")
    assert set(issued["codes"]) == codes
    assigned = admin.get(f"/api/v1/coupons/{coupon['id']}/codes?assigned=true").json["items"]
    assert {c["code"] for c in assigned} == codes
    assert admin.get(f"/api/v1/coupons/{coupon['id']}").json["codes_issued"] == 3


@pytest.mark.parametrize("settings_overrides", [{"machine_min_seconds": 600.0}])
def test_an_open_right_after_delivery_is_a_machine(
    rt, client, feed, email_campaign, send_job, smtp_sink, admin, outbox
):
    segment = feed.segment()
    customer = feed.customer(email="fast@example.com", segments=(segment,))
    email_campaign([segment])
    send_job()
    pixel = re.search(r'src="[^"]+(/r/o/[^"]+)"', smtp_sink.messages[0].body("html")).group(1)
    assert client.get(pixel, headers=HUMAN).status_code == 200
    (opened,) = outbox("campaign.message.opened")
    assert opened["machine"] is True and opened["machine_reason"] == "too_soon_after_delivery"
    (message,) = admin.get(f"/api/v1/campaigns/messages?customer_id={customer}").json["items"]
    assert message["opened"] is False and message["machine_opens"] == 1


def test_a_click_burst_relabels_the_whole_burst(
    rt, client, feed, email_campaign, send_job, smtp_sink, admin
):
    segment = feed.segment()
    customer = feed.customer(email="burst@example.com", segments=(segment,))
    email_campaign([segment])
    send_job()
    links = re.findall(r'href="[^"]+(/r/c/[^"]+)"', smtp_sink.messages[0].body("html"))
    assert len(links) == 2
    for link in links:
        assert client.get(link, headers=HUMAN).status_code == 302
    (message,) = admin.get(f"/api/v1/campaigns/messages?customer_id={customer}").json["items"]
    assert message["clicked"] is False
    assert message["machine_clicks"] == 2
    with rt.db.session() as session:
        touchpoints = session.execute(select(t.touchpoints)).all()
    assert len(touchpoints) == 1  # the first click looked human when it arrived


def test_survey_campaign_form_answers_and_results(
    rt, client, feed, admin, send_job, smtp_sink, outbox
):
    segment = feed.segment()
    customer = feed.customer(email="s@example.com", segments=(segment,))
    survey = admin.post(
        "/api/v1/surveys",
        json={
            "name": "Buyers",
            "intro": "Two questions <b>only</b>",
            "questions": [
                {"type": "nps", "text": "Recommend us?", "required": True},
                {
                    "type": "multiple_choice",
                    "text": "What matters?",
                    "options": [{"label": "Price"}, {"label": "Taste"}],
                },
                {"type": "text", "text": "Ideas?"},
            ],
        },
    ).json
    assert admin.post(f"/api/v1/surveys/{survey['id']}/open").status_code == 200
    template = admin.post(
        "/api/v1/templates",
        json={"name": "Invite", "subject": "Your view", "text": "Please answer: {{ survey_url }}"},
    ).json["id"]
    campaign = admin.post(
        "/api/v1/campaigns",
        json={
            "name": "Survey",
            "channel": "survey",
            "segment_ids": [segment],
            "survey_id": survey["id"],
            "variants": [{"name": "A", "split_percent": 100, "template_id": template}],
        },
    ).json
    assert campaign["objective"] == "research"
    assert admin.post(f"/api/v1/campaigns/{campaign['id']}/launch").status_code == 200
    send_job()
    (received,) = smtp_sink.messages
    form_path = urlsplit(re.search(r"(https://\S+/f/\S+)", received.body("plain")).group(1)).path
    page = client.get(form_path)
    assert page.status_code == 200
    html = page.data.decode()
    assert "<fieldset" in html and "<legend>" in html and 'lang="en"' in html
    assert "&lt;b&gt;only&lt;/b&gt;" in html  # marketers' text is escaped too
    invalid = client.post(form_path, data={"q_q1": "11", "q_q2": "o9"})
    assert invalid.status_code == 422
    assert b'role="alert"' in invalid.data and b'aria-invalid="true"' in invalid.data
    ok = client.post(form_path, data={"q_q1": "9", "q_q2": ["o1", "o2"], "q_q3": "Oolong"})
    assert ok.status_code == 200 and b"Thank you" in ok.data
    assert client.post(form_path, data={"q_q1": "1"}).status_code == 409
    assert client.get(form_path).status_code == 200  # shows "already answered"
    results = admin.get(f"/api/v1/surveys/{survey['id']}/results").json
    assert results["responses"] == 1
    nps, matters, ideas = results["questions"]
    assert nps["nps"]["score"] == "100.0" and nps["average"] == "9.00"
    assert [o["count"] for o in matters["options"]] == [1, 1]
    assert ideas["text_answers"][0]["text"] == "Oolong"
    (answered,) = outbox("campaign.survey.answered")
    assert answered["customer_id"] == customer and answered["nps"] == 9
    assert client.get("/f/not-a-real-token").status_code == 404
    assert admin.post(f"/api/v1/surveys/{survey['id']}/close").status_code == 200


def test_a_resolution_interrupted_half_way_is_completed_without_duplicates(
    rt, feed, email_campaign, send_job, smtp_sink, admin, monkeypatch
):
    from campaign_service.service import audience

    segment = feed.segment()
    for i in range(7):
        feed.customer(email=f"r{i}@example.com", segments=(segment,))
    campaign = email_campaign([segment])
    monkeypatch.setattr(audience, "WRITE_BATCH", 3)
    calls = {"n": 0}
    original = audience._assign_unique_codes

    def dies_on_the_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return original(*args, **kwargs)

    monkeypatch.setattr(audience, "_assign_unique_codes", dies_on_the_second_batch)
    with pytest.raises(RuntimeError):
        sending.resolve_audience(rt.uow, campaign["id"], rt.extras["campaign"])
    assert admin.get(f"/api/v1/campaigns/{campaign['id']}/send").json["phase"] == "pending"
    assert len(statuses(rt, campaign["id"])) == 3
    send_job()
    progress = admin.get(f"/api/v1/campaigns/{campaign['id']}/send").json
    assert progress["recipients"] == 7 and progress["phase"] == "finished"
    assert sorted(m.rcpt_tos[0] for m in smtp_sink.messages) == [
        f"r{i}@example.com" for i in range(7)
    ]
