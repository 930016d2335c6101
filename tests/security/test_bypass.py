"""API8/API2 Bypassing the gateway: every operation of every service, called on the service's own
port, answers 401 without the gateway's signed identity, with one signed by another key, and
with an expired one — in the standard error shape."""

from __future__ import annotations

import pytest
import requests

from servicekit.testing.identities import IdentityMinter

pytestmark = [pytest.mark.e2e, pytest.mark.security]

SERVICES = ("customer", "sales", "campaign", "support", "analytics")


@pytest.mark.parametrize("service", SERVICES)
def test_no_operation_answers_without_the_gateways_identity(
    service, service_urls, service_specs, spec_operations, filled, mint
):
    base = service_urls[service]
    rogue = IdentityMinter.generate().headers(roles=("admin",), scopes=("*",))
    expired = mint(ttl=-60)
    variants = {"no identity": {}, "another key": rogue, "expired": expired,
                "garbage": {"X-MMS-Identity": "garbage"}}  # fmt: skip
    checked = 0
    session = requests.Session()
    for method, path, _ in spec_operations(service_specs[service]):
        if not path.startswith("/api/"):
            continue
        url = base + filled(path)
        for what, headers in variants.items():
            response = session.request(method, url, headers=headers, json={}, timeout=30)
            assert response.status_code == 401, (method, path, what, response.status_code)
            error = response.json()["error"]
            assert error["status"] == 401 and error["code"] and error["request_id"]
            checked += 1
    assert checked > 40, f"only {checked} calls: is the {service} OpenAPI complete?"
    # ...while the real key works: the refusals are about the identity, nothing else.
    assert session.get(f"{base}/api/v1/{_a_list(service)}", headers=mint()).status_code == 200


def _a_list(service: str) -> str:
    return {
        "customer": "customers",
        "sales": "orders",
        "campaign": "campaigns",
        "support": "tickets",
        "analytics": "analytics/revenue",
    }[service]
