"""Marketing from segment to revenue, across the customer, campaign, sales and analytics
services and the gateway's public links, with a real SMTP server receiving the emails."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

import pytest
import requests

from servicekit.testing import wait_for

pytestmark = pytest.mark.e2e

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SCANNER = "Proofpoint URL Defense/1.0"
HTML = """<html><body><p>Hello {{ first_name }},</p>
<p>Your code {{ coupon_code }} takes 10% off:
<a href="https://shop.example.com/tea?utm=1">our teas</a> and
<a href="https://shop.example.com/cups">our cups</a>.</p></body></html>"""


def _delivered(admin, campaign_id, customer_id):
    items = admin.ok(
        "GET",
        "/api/v1/campaigns/messages",
        params={"customer_id": customer_id, "campaign_id": campaign_id},
    )["items"]
    return items[0] if items and items[0]["status"] == "delivered" else None


def test_segment_campaign_tracking_unsubscribe_coupon_and_revenue(api, mail, shop, suite):
    admin = api.admin
    gateway = suite.processes["gateway-api"].url
    city = f"Teeburg-{datetime.now().strftime('%H%M%S%f')}"
    mei = shop.customer(name="Mei Lin", first_name="M", consent=True, address={"city": city})
    wei = shop.customer(name="Wei Zhang", first_name="W", consent=True, address={"city": city})
    shop.customer(name="No Consent", first_name="Nora", address={"city": city})

    segment = admin.ok(
        "POST",
        "/api/v1/segments",
        json={
            "name": f"Emailable in {city}",
            "kind": "dynamic",
            "rules": {
                "all": [
                    {"field": "consent.email", "op": "eq", "value": True},
                    {"field": "city", "op": "eq", "value": city},
                ]
            },
        },
    )
    shop.wait_segment(segment["id"], 2)
    members = admin.ok("GET", f"/api/v1/segments/{segment['id']}/members")["items"]
    assert sorted(m["id"] for m in members) == sorted([mei["id"], wei["id"]])

    code = f"TEA{datetime.now().strftime('%H%M%S%f')}"
    coupon = admin.ok(
        "POST",
        "/api/v1/coupons",
        json={"name": "Ten off", "mode": "shared", "code": code, "discount_kind": "percent",
              "value": "10"},
    )  # fmt: skip
    template = admin.ok(
        "POST",
        "/api/v1/templates",
        json={"name": f"Spring {code}", "subject": "Hi {{ first_name }}", "html": HTML},
    )
    for person, first_name in ((mei, "Mei"), (wei, "Wei")):
        shop.known_to_campaign(template["id"], person["id"], first_name)

    campaign = admin.ok(
        "POST",
        "/api/v1/campaigns",
        json={
            "name": f"Spring tea {code}",
            "channel": "email",
            "objective": "conversion",
            "segment_ids": [segment["id"]],
            "coupon_id": coupon["id"],
            "variants": [{"name": "A", "split_percent": 100, "template_id": template["id"]}],
        },
    )
    assert admin.ok("POST", f"/api/v1/campaigns/{campaign['id']}/launch")["status"] == "running"

    progress = wait_for(
        lambda: (
            (p := admin.ok("GET", f"/api/v1/campaigns/{campaign['id']}/send"))["phase"]
            == "finished"
            and p
        ),
        timeout=60,
        message="the send to finish",
    )
    assert progress["recipients"] == 2
    assert progress["by_status"] == {"delivered": 2}

    mei_address, wei_address = mei["primary_email"], wei["primary_email"]
    (to_mei,) = wait_for(lambda: mail.to(mei_address), timeout=30, message="Mei's email")
    (to_wei,) = wait_for(lambda: mail.to(wei_address), timeout=30, message="Wei's email")
    assert to_mei.subject == "Hi Mei"
    assert to_mei.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = re.search(
        r"<(https?://[^>]+/unsubscribe/[^>]+)>", to_mei.message["List-Unsubscribe"]
    ).group(1)
    assert unsubscribe_url.startswith(gateway), "links point at the gateway's public URL"
    html = to_mei.body("html")
    assert code in html and "shop.example.com" not in html  # every link is tracked
    clicks = re.findall(r'href="(' + re.escape(gateway) + r'/r/c/[^"]+)"', html)
    pixel = re.search(r'src="(' + re.escape(gateway) + r'/r/o/[^"]+\.gif)"', html).group(1)
    assert len(clicks) == 2
    wei_clicks = re.findall(r'href="(' + re.escape(gateway) + r'/r/c/[^"]+)"', to_wei.body("html"))

    # Nobody reads and clicks within a second of delivery (MMS_CAMPAIGN_MACHINE_SECONDS=1 in
    # the shared suite): wait for the clock, not for an effect.
    message = _delivered(admin, campaign["id"], mei["id"])
    delivered_at = datetime.fromisoformat(message["delivered_at"])
    wait_for(
        lambda: (datetime.now(delivered_at.tzinfo) - delivered_at).total_seconds() > 1.5,
        timeout=10,
        message="a human pace after delivery",
    )
    browser = {"User-Agent": BROWSER}
    opened = requests.get(pixel, headers=browser, timeout=10)
    assert opened.status_code == 200 and opened.headers["Content-Type"] == "image/gif"
    clicked = requests.get(clicks[0], headers=browser, allow_redirects=False, timeout=10)
    assert clicked.status_code == 302
    assert clicked.headers["Location"] == "https://shop.example.com/tea?utm=1"
    tampered = clicks[0][:-3] + ("AAA" if not clicks[0].endswith("AAA") else "BBB")
    assert (
        requests.get(tampered, headers=browser, allow_redirects=False, timeout=10).status_code
        == 404
    )
    scanned = requests.get(
        wei_clicks[1], headers={"User-Agent": SCANNER}, allow_redirects=False, timeout=10
    )
    assert scanned.status_code == 302

    def tracked():
        mine = _delivered(admin, campaign["id"], mei["id"])
        theirs = _delivered(admin, campaign["id"], wei["id"])
        return (
            mine["opened"]
            and mine["clicked"]
            and theirs["machine_clicks"] == 1
            and (
                mine,
                theirs,
            )
        )

    mine, theirs = wait_for(tracked, timeout=20, message="opens and clicks recorded")
    assert mine["machine_clicks"] == 0 and mine["clicks"] == 1 and mine["opens"] == 1
    assert theirs["clicked"] is False and theirs["clicks"] == 0

    # RFC 8058 one-click unsubscribe through the gateway's public route (a GET only shows a page).
    page = requests.get(unsubscribe_url, headers=browser, timeout=10)
    assert page.status_code == 200 and "<form" in page.text
    assert admin.ok("GET", f"/api/v1/customers/{mei['id']}")["consents"]["email"]["status"] == (
        "granted"
    )
    done = requests.post(
        unsubscribe_url, data={"List-Unsubscribe": "One-Click"}, headers=browser, timeout=10
    )
    assert done.status_code == 200
    wait_for(
        lambda: (
            admin.ok("GET", f"/api/v1/customers/{mei['id']}")["consents"]["email"]["status"]
            == "withdrawn"
        ),
        timeout=30,
        message="consent withdrawn in the customer service",
    )
    history = admin.ok("GET", f"/api/v1/customers/{mei['id']}/consents")["history"]
    assert any(h["status"] == "withdrawn" for h in history)

    # The coupon is used on an order, which is paid: revenue is attributed to the campaign.
    product = shop.product(price="40.00", tax_rate="0.19")
    shop.known_to_sales(mei["id"], product["id"])
    order = shop.order(mei["id"], product["id"], quantity="2", coupon_code=code.lower())
    assert order["coupon_id"] == coupon["id"] and order["campaign_id"] == campaign["id"]
    assert order["discount_total"]["amount"] == "8.00"
    paid = admin.ok("POST", f"/api/v1/orders/{order['id']}/pay", json={})
    revenue = Decimal(paid["base_total"]["amount"])
    assert revenue == Decimal("85.68")  # (80 - 8) * 1.19

    report = wait_for(
        lambda: (
            (r := admin.ok("GET", f"/api/v1/campaigns/{campaign['id']}/report"))["totals"][
                "conversions"
            ]
            == 1
            and r
        ),
        timeout=30,
        message="the campaign report to show the conversion",
    )
    totals = report["totals"]
    assert Decimal(totals["revenue"]) == revenue
    assert totals["opened_human"] == 1 and totals["clicked_human"] == 1
    assert totals["clicked_machine"] == 1 and totals["unsubscribed"] == 1
    assert totals["delivered"] == 2 and totals["sent"] == 2

    def analytics_revenue():
        rows = admin.ok(
            "GET",
            "/api/v1/analytics/revenue",
            params={"campaign": campaign["id"], "granularity": "year"},
        )["rows"]
        paid_rows = [r for r in rows if r["paid_orders"]]
        return paid_rows and paid_rows

    rows = wait_for(analytics_revenue, timeout=30, message="analytics revenue by campaign")
    assert sum(r["paid_orders"] for r in rows) == 1
    assert sum(Decimal(r["gross"]) for r in rows) == revenue

    def campaign_row():
        rows = admin.ok("GET", "/api/v1/analytics/campaigns", params={"campaign": campaign["id"]})[
            "rows"
        ]
        return rows and rows[0]["orders_last_touch"] == 1 and rows[0]

    row = wait_for(campaign_row, timeout=30, message="analytics campaign report")
    assert row["key"] == campaign["id"]
    assert Decimal(row["revenue_last_touch"]) == revenue
    assert row["messages_sent"] == 2 and row["redemptions"] == 1
