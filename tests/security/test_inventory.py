"""API9 Improper inventory management: the gateway answers only what is documented — every
operation of every service is in the merged document, undocumented methods and old or hidden
paths answer 404/405, and the documented ones answer."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.security]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def test_every_service_operation_is_in_the_merged_document(
    service_specs, merged_spec, spec_operations
):
    merged = {(m, p) for m, p, _ in spec_operations(merged_spec)}
    missing = [
        f"{service}: {method} {path}"
        for service, spec in service_specs.items()
        for method, path, _ in spec_operations(spec)
        if path.startswith("/api/") and (method, path) not in merged
    ]
    assert not missing, "operations served but not in /api/v1/openapi.json:\n" + "\n".join(missing)


def test_undocumented_methods_on_documented_paths_do_nothing(api, merged_spec, filled):
    wrong = []
    for path, item in merged_spec["paths"].items():
        documented = {m.upper() for m in item if m.upper() in METHODS}
        for method in set(METHODS) - documented:
            response = api.admin.request(method, filled(path), json={})
            if response.status_code not in (404, 405):
                wrong.append(f"{method} {path} -> {response.status_code}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/customers",
        "/api/v0/customers",
        "/api/customers",
        "/api/v1/admin",
        "/api/v1/debug",
        "/api/v1/internal/events",
        "/api/v1/outbox",
        "/api/v1/inbox",
        "/api/v1/dead-letters",
        "/api/v1/customers/00000000-0000-4000-8000-000000000000/internal",
        "/api/v1/health",
        "/api/v1/config",
        "/.env",
        "/.git/config",
        "/console",
        "/server-status",
        "/api/v1/openapi.yaml",
        "/openapi.json",
    ],
)
def test_hidden_and_old_paths_are_not_served(api, path):
    response = api.admin.get(path)
    assert response.status_code == 404, (path, response.status_code, response.text[:200])
