"""A web form captures leads with inline contact details: the customer service deduplicates them
into one customer and sales links every lead to it."""

from __future__ import annotations

import uuid

import pytest

from servicekit.testing import wait_for

pytestmark = pytest.mark.e2e


def _linked(admin, lead_id):
    lead = admin.ok("GET", f"/api/v1/leads/{lead_id}")
    return lead if lead["link"]["status"] == "linked" else None


def test_two_forms_with_one_email_link_to_one_deduplicated_customer(api):
    admin = api.admin
    email = f"form.{uuid.uuid4().hex[:10]}@example.com"
    contact = {
        "name": "Lena Vogel",
        "first_name": "Lena",
        "last_name": "Vogel",
        "company": "Vogel Teehaus",
        "email": email,
        "country": "DE",
        "city": "Hamburg",
    }
    first = admin.ok(
        "POST",
        "/api/v1/leads",
        json={"source": "web_form", "contact": contact, "utm": {"source": "newsletter"}},
    )
    assert first["link"]["status"] == "pending"

    lead = wait_for(lambda: _linked(admin, first["id"]), timeout=30, message="first lead linked")
    customer_id = lead["customer_id"]
    assert lead["link"]["customer_created"] is True
    customer = admin.ok("GET", f"/api/v1/customers/{customer_id}")
    assert customer["primary_email"] == email
    assert customer["name"] == "Lena Vogel"
    assert customer["address"]["city"] == "Hamburg"

    # The same person fills in another form (other case, other details): no second customer.
    second = admin.ok(
        "POST",
        "/api/v1/leads",
        json={
            "source": "trade_fair",
            "contact": {"name": "L. Vogel", "email": email.upper(), "phone": "+49 40 123456"},
        },
    )
    again = wait_for(lambda: _linked(admin, second["id"]), timeout=30, message="second lead")
    assert again["customer_id"] == customer_id
    assert again["link"]["customer_created"] is False
    assert again["link"]["matched_on"]

    found = admin.ok("GET", "/api/v1/customers", params={"q": email, "status": "active"})
    assert [c["id"] for c in found["items"]] == [customer_id]
    leads = admin.ok("GET", "/api/v1/leads", params={"customer_id": customer_id})
    assert sorted(item["id"] for item in leads["items"]) == sorted([first["id"], second["id"]])
