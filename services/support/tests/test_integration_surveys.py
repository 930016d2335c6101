"""Satisfaction surveys through a real SMTP server: sent on resolution, answered on the public
page, low scores followed up; reply emails carry public messages and never notes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from support_helpers import Caller, build_runtime, customer_data, feed, open_ticket, outbox

from servicekit.mail import MailSettings, SmtpSender
from servicekit.testing import wait_for
from servicekit.testing.workers import running_worker
from support_service.entrypoints import runtime as runtime_module
from support_service.entrypoints.wsgi import create_app
from support_service.service import mailing

pytestmark = pytest.mark.integration

BASE = "https://suite.example.com"
LINK = re.compile(re.escape(BASE) + r"/csat/([A-Za-z0-9_-]+)")


@pytest.fixture
def env(databases, db_backend, minter, clock, smtp_sink):
    def make(**support):
        rt = build_runtime(
            databases.url(runtime_module.MIGRATIONS),
            minter,
            clock,
            mail=MailSettings(host=smtp_sink.host, port=smtp_sink.port, timeout=5),
            public_base_url=BASE,
            mail_interval=0.05,
            **support,
        )
        made.append(rt)
        client = create_app(rt).test_client()
        return rt, client, Caller(client, minter, ("admin",))

    made = []
    yield make
    for rt in made:
        rt.db.dispose()


def send(rt) -> int:
    ctx = rt.extras["support"]
    with SmtpSender(ctx.mail_settings) as sender:
        return mailing.send_due_surveys(rt.uow, ctx, sender)


def resolved_ticket(rt, admin, email="mei.lin@example.com", **over):
    data = customer_data(name="Mei Lin", email=email)
    feed(rt, "customer.created", data)
    ticket = open_ticket(
        admin, data["customer_id"], category="question", subject="Kettle stopped heating", **over
    )
    admin.post(f"/api/v1/tickets/{ticket['id']}/note", json={"body": "Internal: known defect"})
    admin.post(f"/api/v1/tickets/{ticket['id']}/resolve", json={})
    return data, ticket


def token_from(sink, address: str) -> str:
    (message,) = sink.to(address)
    return LINK.search(message.body()).group(1)


def test_a_survey_is_emailed_on_resolution_and_answered_once_on_the_public_page(
    env, smtp_sink, clock
):
    rt, client, admin = env()
    _, ticket = resolved_ticket(rt, admin)
    with running_worker(rt, relay=False, consumer=False, jobs=True):
        wait_for(lambda: smtp_sink.to("mei.lin@example.com"), message="the survey email")
    (message,) = smtp_sink.to("mei.lin@example.com")
    assert "How did we do" in message.subject
    token = LINK.search(message.body()).group(1)
    assert LINK.search(message.body("html"))
    sent = wait_for(lambda: outbox(rt, "support.survey.sent"), message="survey.sent")[0]["data"]
    assert sent["ticket_id"] == ticket["id"] and sent["kind"] == "csat"
    from sqlalchemy import select

    from support_service.adapters import tables as t

    with rt.db.session() as session:
        stored = session.execute(select(t.surveys.c.token_hash)).scalar_one()
    assert stored != token and len(stored) == 64  # only the hash is kept

    page = client.get(f"/csat/{token}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert html.count('type="radio"') == 5 and "<legend>" in html and 'lang="en"' in html
    for secret in ("Kettle", ticket["number"], "Mei", "Internal", "defect", ticket["id"]):
        assert secret not in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]

    answered = client.post(f"/csat/{token}", data={"score": "5", "comment": "Quick and kind"})
    assert answered.status_code == 200 and "Thank you" in answered.get_data(as_text=True)
    event = outbox(rt, "support.survey.answered")[0]["data"]
    assert (event["score"], event["satisfied"], event["low_score"]) == (5, True, False)
    assert event["comment"] == "Quick and kind" and event["follow_up"] is None
    shown = admin.get(f"/api/v1/tickets/{ticket['id']}").json
    assert shown["satisfaction"]["score"] == 5 and shown["status"] == "resolved"

    again = client.post(f"/csat/{token}", data={"score": "1"})
    assert again.status_code == 409 and "already answered" in again.get_data(as_text=True)
    assert client.get(f"/csat/{token}").status_code == 409
    assert len(outbox(rt, "support.survey.answered")) == 1


def test_a_low_score_reopens_the_ticket(env, smtp_sink):
    rt, client, admin = env()
    _, ticket = resolved_ticket(rt, admin)
    assert send(rt) == 1
    token = token_from(smtp_sink, "mei.lin@example.com")
    bad = client.post(f"/csat/{token}", data={"score": "9"})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert 'role="alert"' in body and "from 1 to 5" in body
    assert client.post(f"/csat/{token}", data={}).status_code == 422
    assert (
        client.post(f"/csat/{token}", data={"score": "1", "comment": "Still broken"}).status_code
        == 200
    )
    reopened = admin.get(f"/api/v1/tickets/{ticket['id']}").json
    assert reopened["status"] == "open" and reopened["reopened_count"] == 1
    event = outbox(rt, "support.ticket.reopened")[0]["data"]
    assert event["trigger"] == "survey" and "1 on 1-5" in event["reason"]
    answered = outbox(rt, "support.survey.answered")[0]["data"]
    assert answered["low_score"] is True and answered["follow_up"] == "reopened"


def test_a_low_nps_opens_a_complaint_when_the_policy_says_so(env, smtp_sink, clock):
    rt, client, admin = env()
    admin.post(
        "/api/v1/sla-policies",
        json={
            "name": "All",
            "resolution_minutes": 600,
            "survey_kind": "nps",
            "survey_delay_minutes": 60,
            "low_score_action": "complaint",
            "low_score_threshold": 4,
        },
    )
    _, ticket = resolved_ticket(rt, admin, email="lars@example.com")
    assert send(rt) == 0  # an hour after resolution
    clock.advance(minutes=61)
    assert send(rt) == 1
    token = token_from(smtp_sink, "lars@example.com")
    page = client.get(f"/csat/{token}").get_data(as_text=True)
    assert page.count('type="radio"') == 11 and "recommend" in page
    assert (
        client.post(f"/csat/{token}", data={"score": "2", "comment": "Never again"}).status_code
        == 200
    )
    answered = outbox(rt, "support.survey.answered")[0]["data"]
    assert answered["nps_category"] == "detractor" and answered["follow_up"] == "complaint_opened"
    follow = admin.get(f"/api/v1/tickets/{answered['follow_up_ticket_id']}").json
    assert follow["category"] == "complaint" and follow["priority"] == "high"
    assert follow["parent_ticket_id"] == ticket["id"] and follow["origin"] == "survey_follow_up"
    comments = admin.get(f"/api/v1/tickets/{follow['id']}/comments").json["items"]
    assert [c["body"] for c in comments] == ["Never again"]
    assert admin.get(f"/api/v1/tickets/{ticket['id']}").json["status"] == "resolved"


def test_links_expire_and_bounces_are_not_retried(env, smtp_sink, clock):
    rt, client, admin = env(survey_ttl_days=3)
    resolved_ticket(rt, admin)
    resolved_ticket(rt, admin, email="bounce-me@example.com")
    assert send(rt) == 1
    failed = admin.get("/api/v1/satisfaction-surveys?status=failed").json["items"]
    assert len(failed) == 1 and "No such user" in failed[0]["last_error"]
    assert send(rt) == 0
    token = token_from(smtp_sink, "mei.lin@example.com")
    clock.advance(days=3, seconds=1)
    assert client.get(f"/csat/{token}").status_code == 410
    late = client.post(f"/csat/{token}", data={"score": "4"})
    assert late.status_code == 410 and "expired" in late.get_data(as_text=True)
    assert mailing.expire_surveys(rt.uow, rt.extras["support"]) == 1
    assert admin.get("/api/v1/satisfaction-surveys?status=expired").json["items"]
    assert outbox(rt, "support.survey.answered") == []


def test_a_temporary_smtp_failure_is_retried_later(env, smtp_sink, clock):
    rt, _client, admin = env()
    resolved_ticket(rt, admin, email="tempfail@example.com")
    assert send(rt) == 0
    (survey,) = admin.get("/api/v1/satisfaction-surveys?status=scheduled").json["items"]
    assert survey["attempts"] == 1 and "temporarily" in survey["last_error"]
    assert send(rt) == 0  # not before the retry time
    clock.advance(minutes=2)
    assert send(rt) == 0
    assert admin.get("/api/v1/satisfaction-surveys").json["items"][0]["attempts"] == 2


def test_reopening_cancels_a_survey_not_sent_yet(env, clock):
    rt, _client, admin = env(survey_delay_minutes=30)
    _, ticket = resolved_ticket(rt, admin)
    admin.post(f"/api/v1/tickets/{ticket['id']}/reopen", json={"reason": "customer called"})
    clock.advance(hours=1)
    assert send(rt) == 0
    (survey,) = admin.get("/api/v1/satisfaction-surveys").json["items"]
    assert survey["status"] == "cancelled"


def test_public_replies_are_emailed_and_notes_never_are(env, smtp_sink):
    rt, _client, admin = env(reply_emails=True)
    data = customer_data(email="anna@example.com")
    feed(rt, "customer.created", data)
    ticket = open_ticket(
        admin, data["customer_id"], contact={"name": "Anna S.", "email": "anna.s@example.com"}
    )
    path = f"/api/v1/tickets/{ticket['id']}"
    admin.post(path + "/note", json={"body": "Customer is difficult"})
    admin.post(path + "/reply", json={"body": "A replacement is on its way."})
    ctx = rt.extras["support"]
    with SmtpSender(ctx.mail_settings) as sender:
        assert mailing.send_queued_mail(rt.uow, ctx, sender) == 1
    (mail,) = smtp_sink.to("anna.s@example.com")  # the ticket's contact, not the profile email
    assert mail.subject == f"[{ticket['number']}] Parcel arrived damaged"
    assert "A replacement is on its way." in mail.body()
    assert "difficult" not in mail.raw.decode()
    assert smtp_sink.to("anna@example.com") == []
    with SmtpSender(ctx.mail_settings) as sender:
        assert mailing.send_queued_mail(rt.uow, ctx, sender) == 0


def test_the_survey_after_a_manual_request_uses_the_requested_kind(env, smtp_sink):
    rt, client, admin = env(survey_kind="none")
    _, ticket = resolved_ticket(rt, admin)
    assert admin.get("/api/v1/satisfaction-surveys").json["items"] == []
    made = admin.post("/api/v1/satisfaction-surveys", json={"ticket_id": ticket["id"]})
    assert made.status_code == 201 and made.json["kind"] == "csat"
    assert send(rt) == 1
    assert client.get(f"/csat/{token_from(smtp_sink, 'mei.lin@example.com')}").status_code == 200
    assert timedelta(days=14) == rt.extras["support"].settings.survey_ttl
