"""Contract harness: every event support consumes goes through its handler from the producer's
golden sample; every support contract has a golden sample and is really produced by the code."""

from __future__ import annotations

import uuid

import pytest
from support_helpers import envelope, feed, open_ticket, order_data, outbox

from event_contracts import contract, golden_samples, validate_envelope, validate_event
from servicekit.consumer import handle_envelope
from servicekit.events import Envelope
from servicekit.uow import DuplicateEvent
from support_service.integration.incoming import registry
from support_service.service import sla_jobs
from support_service.service.surveys import answer_survey

pytestmark = [pytest.mark.integration, pytest.mark.contract]


def _samples_by_type() -> dict[str, dict]:
    return {c.event_type: sample for c, sample in golden_samples()}


def test_every_consumed_event_has_a_contract_and_a_golden_sample():
    samples = _samples_by_type()
    for event_type, version in registry.handled():
        assert contract(event_type, version)
        assert event_type in samples, f"no golden sample for {event_type}"


def test_golden_samples_go_through_every_handler_once(rt):
    samples = _samples_by_type()
    # Orders of the sample customer exist first, as they would in real life.
    for event_type, version in registry.handled():
        sample = samples[event_type]
        envelope_ = Envelope.from_dict(sample)
        handler = registry.resolve(event_type, version)
        handle_envelope("support", envelope_, handler, rt.uow)
        with pytest.raises(DuplicateEvent):
            handle_envelope("support", envelope_, handler, rt.uow)
    with rt.uow() as uow:
        order = uow.orders.get(samples["sales.order.placed"]["data"]["order_id"])
        assert order is not None and order.lines
        customer = uow.customers.get(samples["customer.created"]["data"]["customer_id"])
        assert customer is not None


def test_support_contracts_have_valid_golden_samples():
    found = golden_samples("support")
    assert len(found) >= 19
    for item, sample in found:
        validate_envelope(sample)
        validate_event(item.event_type, item.version, sample["data"])
        assert sample["producer"] == "support"


def test_every_support_contract_is_produced_by_the_service(rt, admin, caller, clock, berlin):
    """Walk a ticket through everything; the events written must cover every contract."""
    admin.post(
        "/api/v1/sla-policies",
        json={
            "name": "Tight",
            "first_response_minutes": 10,
            "next_response_minutes": 10,
            "resolution_minutes": 60,
            "calendar_id": berlin,
        },
    )
    customer = str(uuid.uuid4())
    from support_helpers import customer_data

    feed(rt, "customer.created", customer_data(customer))
    product = str(uuid.uuid4())
    order = order_data(customer, [(product, "2")])
    feed(rt, "sales.order.placed", order)
    agent = str(uuid.uuid4())
    group = admin.post(
        "/api/v1/agent-groups", json={"name": "G", "members": [{"agent_id": agent}]}
    ).json
    ticket = open_ticket(admin, customer, order_id=order["order_id"], group_id=group["id"])
    duplicate = open_ticket(admin, customer, group_id=group["id"])
    path = f"/api/v1/tickets/{ticket['id']}"
    clock.advance(minutes=9)
    sla_jobs.scan_sla(rt.uow, rt.extras["support"])  # warning
    clock.advance(minutes=2)
    sla_jobs.scan_sla(rt.uow, rt.extras["support"])  # breach
    admin.post(path + "/reply", json={"body": "Hello"})
    admin.post(path + "/reply", json={"body": "More", "author": "customer"})
    admin.post(path + "/reply", json={"body": "Answer"})
    admin.post(path + "/pending", json={})
    admin.post(path + "/hold", json={})
    etag = admin.get(path).headers["ETag"]
    admin.patch(path, json={"priority": "high"}, headers={"If-Match": etag})
    admin.post(path + "/merge", json={"duplicate_ids": [duplicate["id"]]})
    returns = path + "/returns"
    first = admin.post(returns, json={"lines": [{"product_id": product, "quantity": "1"}]}).json
    second = admin.post(returns, json={"lines": [{"product_id": product, "quantity": "1"}]}).json
    admin.post(f"{returns}/{first['id']}/approve")
    admin.post(f"{returns}/{second['id']}/reject", json={"reason": "Opened"})
    admin.post(
        path + "/resolve",
        json={"root_cause_category": "delivery", "root_cause": "a", "corrective_action": "b"},
    )
    ctx = rt.extras["support"]
    with rt.uow() as uow:
        (survey,) = [s for s in uow.surveys.of_ticket(ticket["id"]) if s.status == "scheduled"]
        token = survey.issue_token("x@example.com", None)
        survey.mark_sent(ctx.now(), ctx.settings.survey_ttl)
        uow.surveys.save(survey)
        uow.commit()
    with rt.uow() as uow:
        answer_survey(uow, ctx, token, 1, "meh")  # low: reopens
        uow.commit()
    admin.post(path + "/resolve", json={})
    admin.post(path + "/close", json={})
    produced = {e["event_type"] for e in outbox(rt)}
    expected = {c.event_type for c, _ in golden_samples("support")}
    assert produced == expected, expected ^ produced
    for event in outbox(rt):
        validate_envelope(event)


def test_unknown_versions_are_not_handled():
    assert registry.resolve("customer.created", 99) is None
    assert envelope("customer.created", {}).version == 1
