"""The contract harness: analytics binds exactly what its projections read, every such type has a
contract, and every golden sample of it goes through the real handler without error."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from analytics_service.adapters import tables as t
from analytics_service.integration.incoming import registry
from analytics_service.projections.catalogue import CATALOGUE
from event_contracts import all_contracts, golden_samples, validate_event
from servicekit import tables as infrastructure
from servicekit.consumer import handle_envelope
from servicekit.events import Envelope

pytestmark = pytest.mark.contract

HANDLED = set(CATALOGUE.handled())
SAMPLES = [
    (item, sample)
    for item, sample in golden_samples()
    if (item.event_type, item.version) in HANDLED
]


def test_every_bound_type_has_a_contract_and_a_projection():
    contracts = {(c.event_type, c.version) for c in all_contracts()}
    assert contracts >= HANDLED, sorted(HANDLED - contracts)
    assert set(registry.handled()) == HANDLED
    assert set(registry.bindings()) == {event_type for event_type, _ in HANDLED}


# Contracts analytics leaves alone on purpose, and why.
NOT_PROJECTED = {
    "analytics.customer.scored": "published by analytics itself",
    "sales.assignment_rule.created": "lead routing configuration",
    "sales.assignment_rule.updated": "lead routing configuration",
    "sales.assignment_rule.deleted": "lead routing configuration",
    "sales.price_list.created": "pricing configuration; orders carry their prices",
    "sales.price_list.updated": "pricing configuration; orders carry their prices",
    "sales.fx_rate.set": "every event carries its amounts in the base currency already",
    "campaign.send.finished": "the sums of the message events, which are projected",
    "campaign.audience.resolved": "targeting detail; sends are counted from the messages",
    "campaign.budget.exceeded": "an alert; spend and budget themselves are projected",
    "campaign.visitor.linked": "identity stitching for the campaign service's attribution",
    "campaign.survey.published": "questionnaire wording, not answers",
    "campaign.competitor.created": "market-research notes without figures",
    "campaign.competitor.updated": "market-research notes without figures",
    "support.ticket.sla_warning": "a warning; breaches and SLA outcomes are projected",
}
# Families whose every contract analytics must bind (the reports are built from them).
MUST_BIND = (
    "customer.",
    "sales.order.",
    "sales.lead.",
    "sales.opportunity.",
    "sales.target.",
    "sales.product.",
    "sales.channel.",
    "sales.pipeline.",
    "sales.task.",
    "sales.quote.",
    "sales.coupon.",
    "sales.contract.",
    "campaign.created",
    "campaign.updated",
    "campaign.scheduled",
    "campaign.launched",
    "campaign.paused",
    "campaign.resumed",
    "campaign.completed",
    "campaign.cancelled",
    "campaign.message.",
    "campaign.cost.",
    "campaign.attribution.",
    "campaign.variant.",
    "campaign.coupon.",
    "campaign.recipient.",
    "campaign.touchpoint.",
    "campaign.survey.answered",
    "support.ticket.",
    "support.survey.",
    "support.return.",
    "support.complaint.",
)


def test_every_contract_of_the_reported_families_is_bound():
    bound = {event_type for event_type, _ in HANDLED}
    missing = sorted(
        c.event_type
        for c in all_contracts()
        if c.event_type.startswith(MUST_BIND)
        and c.event_type not in NOT_PROJECTED
        and c.event_type not in bound
    )
    assert not missing


def test_deliberately_unprojected_contracts_are_not_bound():
    bound = {event_type for event_type, _ in HANDLED}
    assert not bound & set(NOT_PROJECTED)


def test_every_golden_sample_goes_through_its_handler(rt):
    """One database for all samples (they are different events), every failure named."""
    failures = {}
    for item, sample in SAMPLES:
        try:
            validate_event(item.event_type, item.version, sample["data"])
            envelope = Envelope.from_dict(sample)
            handler = registry.resolve(item.event_type, item.version)
            assert handler is not None, "not bound"
            handle_envelope("analytics", envelope, handler, rt.uow)
        except Exception as exc:  # collect them all, then fail naming each
            failures[f"{item.event_type}.v{item.version}"] = f"{type(exc).__name__}: {exc}"
    assert not failures
    with rt.db.session() as session:
        archived = set(session.execute(select(t.event_archive.c.event_type)).scalars())
        inbox = session.execute(select(func.count()).select_from(infrastructure.inbox)).scalar()
    assert archived == {item.event_type for item, _ in SAMPLES}
    assert inbox == len(SAMPLES)
