"""A whole email send through the API and the send job, against a real SMTP server."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from campaign_service.adapters import tables as t
from campaign_service.service import sending
from servicekit.mail import MailSettings

pytestmark = pytest.mark.integration

HTML = """<html><body><p>Hello {{ first_name }} from {{ company }},</p>
<p>Use {{ coupon_code }}: <a href="https://shop.example.com/tea?x=1&amp;y=2">shop</a>
and <a href="https://shop.example.com/about">about us</a>.</p></body></html>"""


def run_job(rt, sink, **kwargs):
    mail = MailSettings(
        host=sink.host, port=sink.port, sender="Lin Tea <news@mms.test>", bounce_address=None
    )
    return sending.run_send_job(
        rt.uow,
        rt.extras["campaign"],
        mail,
        rt.extras["signer"],
        rt.settings.public_base_url,
        **kwargs,
    )


def make_template(admin, **overrides):
    body = {
        "name": "Spring",
        "subject": "Hi {{ first_name }}",
        "html": HTML,
        "defaults": {"first_name": "friend", "company": "your company"},
        **overrides,
    }
    response = admin.post("/api/v1/templates", json=body)
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_send_track_and_unsubscribe(rt, client, admin, feed, smtp_sink):
    segment = feed.segment("Tea lovers")
    company = feed.company("Lin Trading")
    mei = feed.customer(email="mei@example.com", segments=(segment,), company_id=company)
    feed.customer(email="wei@example.com", first_name="", segments=(segment,))
    feed.customer(email="nope@example.com", consent="withdrawn", segments=(segment,))
    feed.customer(email=None, segments=(segment,))
    feed.customer(email="bounce-1@example.com", segments=(segment,))
    coupon = admin.post(
        "/api/v1/coupons",
        json={
            "name": "10%",
            "mode": "shared",
            "code": "TEA10",
            "discount_kind": "percent",
            "value": "10",
        },
    ).json
    template_id = make_template(admin)
    created = admin.post(
        "/api/v1/campaigns",
        json={
            "name": "Spring tea",
            "channel": "email",
            "objective": "conversion",
            "segment_ids": [segment],
            "coupon_id": coupon["id"],
            "variants": [{"name": "A", "split_percent": 100, "template_id": template_id}],
        },
    )
    assert created.status_code == 201, created.json
    campaign_id = created.json["id"]
    launched = admin.post(f"/api/v1/campaigns/{campaign_id}/launch")
    assert launched.status_code == 200, launched.json
    assert launched.json["status"] == "running"

    handled = run_job(rt, smtp_sink)
    assert handled == 3
    progress = admin.get(f"/api/v1/campaigns/{campaign_id}/send").json
    assert progress["phase"] == "finished"
    assert progress["excluded"]["no_consent"] == 1
    assert progress["excluded"]["no_email"] == 1
    assert progress["by_status"] == {"delivered": 2, "bounced_hard": 1}

    (received,) = smtp_sink.to("mei@example.com")
    assert received.subject == "Hi Mei"
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_header = received.message["List-Unsubscribe"]
    assert "mailto:" in unsubscribe_header
    https_unsubscribe = re.search(r"<(https://[^>]+)>", unsubscribe_header).group(1)
    html = received.body("html")
    assert "Hello Mei from Lin Trading" in html
    assert "TEA10" in html
    assert "https://shop.example.com/tea" not in html  # every link goes through tracking
    links = re.findall(r'href="(https://mms\.example\.com/r/c/[^"]+)"', html)
    assert len(links) == 2
    assert https_unsubscribe in html or https_unsubscribe in received.body("plain")
    pixel = re.search(r'src="(https://mms\.example\.com/r/o/[^"]+\.gif)"', html).group(1)
    (wei,) = smtp_sink.to("wei@example.com")
    assert wei.subject == "Hi friend"  # the default fills a missing first name

    # The hard bounce suppresses the address for the future.
    with rt.db.session() as session:
        reasons = dict(
            session.execute(select(t.suppressions.c.address, t.suppressions.c.reason)).all()
        )
    assert reasons == {"bounce-1@example.com": "hard_bounce"}

    # Open (human) and a click redirect to the recorded URL only.
    ua = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/125.0"}
    opened = client.get(urlsplit(pixel).path, headers=ua)
    assert opened.status_code == 200 and opened.mimetype == "image/gif"
    clicked = client.get(urlsplit(links[0]).path, headers=ua)
    assert clicked.status_code == 302
    assert clicked.headers["Location"] == "https://shop.example.com/tea?x=1&y=2"
    # Change a character in the middle: the last base64 characters carry padding bits, and a
    # fixed replacement may equal the original (both made this check flaky before).
    path = urlsplit(links[0]).path
    middle = len(path) - 12
    tampered = path[:middle] + ("B" if path[middle] == "A" else "A") + path[middle + 1 :]
    assert client.get(tampered, headers=ua).status_code == 404
    scanner = client.get(urlsplit(links[1]).path, headers={"User-Agent": "Proofpoint URL Defense"})
    assert scanner.status_code == 302

    messages = admin.get(f"/api/v1/campaigns/messages?customer_id={mei}").json["items"]
    assert len(messages) == 1
    assert messages[0]["opened"] is True and messages[0]["clicked"] is True
    assert messages[0]["machine_clicks"] == 1

    # GET shows a page and changes nothing; the one-click POST unsubscribes.
    path = urlsplit(https_unsubscribe).path
    page = client.get(path)
    assert page.status_code == 200 and b"<form" in page.data
    assert (
        rt.db.session()
        .execute(select(t.suppressions).where(t.suppressions.c.reason == "unsubscribed"))
        .first()
        is None
    )
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    again = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200

    report = admin.get(f"/api/v1/campaigns/{campaign_id}/report").json
    totals = report["totals"]
    assert totals["sent"] == 3 and totals["delivered"] == 2 and totals["bounced_hard"] == 1
    assert totals["opened_human"] == 1
    assert totals["clicked_human"] == 1 and totals["clicked_machine"] == 1
    assert totals["unsubscribed"] == 1
    assert report["variants"][0]["delivered"] == 2
