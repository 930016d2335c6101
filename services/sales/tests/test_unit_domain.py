"""Domain rules without any I/O: state machines, assignment, stages, coupons, periods."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from sales_service.domain.catalogue import PriceItem, PriceList, Product, resolve_price
from sales_service.domain.contracts import Contract
from sales_service.domain.coupons import Coupon, normalise_code
from sales_service.domain.errors import CouponRejected, InvalidValue, StateConflict
from sales_service.domain.leads import AssignmentRule, Contact, Lead
from sales_service.domain.opportunities import Opportunity
from sales_service.domain.orders import Order
from sales_service.domain.periods import containing, parse, span
from sales_service.domain.pipelines import Pipeline
from sales_service.domain.pricing import LineSpec, price_lines
from sales_service.domain.quotes import Quote
from sales_service.domain.targets import Target
from sales_service.domain.tasks import Task
from sales_service.service.opportunities import DEFAULT_STAGES

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
REP_A, REP_B = str(uuid.uuid4()), str(uuid.uuid4())


def names(aggregate) -> list[str]:
    return [event.name for _, event in aggregate.pull_events()]


def lead(**kw) -> Lead:
    contact = Contact.from_dict({"name": "Mei Lin", "email": "mei@example.com", "country": "cn"})
    return Lead.create(source="Web Form", contact=contact, now=NOW, **kw)


def test_contact_needs_a_way_to_find_the_customer():
    with pytest.raises(InvalidValue, match="email or a phone"):
        Contact.from_dict({"name": "Nobody"})
    with pytest.raises(InvalidValue, match="alpha-2"):
        Contact.from_dict({"name": "X", "email": "x@example.com", "country": "CHN"})
    assert Contact.from_dict({"first_name": "Mei", "last_name": "Lin", "phone": "1"}).name == (
        "Mei Lin"
    )


def test_lead_state_machine():
    item = lead()
    assert item.source == "web_form" and item.country == "CN"
    item.start_work(NOW)
    item.qualify(NOW)
    with pytest.raises(StateConflict, match="not linked to a customer"):
        item.convert(str(uuid.uuid4()), NOW)
    item.link(str(uuid.uuid4()), created=True, matched_on=None, now=NOW)
    item.convert(str(uuid.uuid4()), NOW)
    assert names(item) == ["lead.updated", "lead.qualified", "lead.linked", "lead.converted"]
    with pytest.raises(StateConflict):
        item.disqualify("too late", NOW)
    other = lead()
    with pytest.raises(InvalidValue, match="why"):
        other.disqualify("  ", NOW)
    other.disqualify("no budget", NOW)
    other.reopen(NOW)
    assert other.status == "working" and other.disqualify_reason is None


def test_round_robin_and_region_rules():
    rr = AssignmentRule.create(
        name="web", strategy="round_robin", sources=["web form"],
        reps=[{"user_id": REP_A}, {"user_id": REP_B, "team": "east"}],
    )  # fmt: skip
    assert rr.sources == ["web_form"]
    assert [rr.pick(turn).user_id for turn in range(4)] == [REP_A, REP_B, REP_A, REP_B]
    assert rr.matches(lead())
    assert not rr.matches(Lead.create(source="referral", customer_id="c", now=NOW))
    by_region = AssignmentRule.create(
        name="regions", strategy="region", region_map=[{"region": "cn", "user_id": REP_B}]
    )
    assert by_region.route(lead()).user_id == REP_B  # matched on the country
    with pytest.raises(InvalidValue, match="at least one rep"):
        AssignmentRule.create(name="x", strategy="round_robin", reps=[])
    with pytest.raises(InvalidValue, match="mapped twice"):
        AssignmentRule.create(
            name="x",
            strategy="region",
            region_map=[{"region": "A", "user_id": REP_A}, {"region": "a", "user_id": REP_B}],
        )


def pipeline() -> Pipeline:
    return Pipeline.create("B2B", DEFAULT_STAGES)


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ([{"name": "Only", "probability": 10}], "2 to 30"),
        ([{"name": "A", "probability": 10}, {"name": "B", "probability": 20}], "one won"),
        ([{"name": "A", "probability": 10}, {"name": "W", "is_won": True}], "lost stage"),
        (
            [{"name": "A", "probability": 10}, {"name": "a", "is_won": True}, {"name": "L",
             "is_lost": True}],
            "two stages",
        ),
        ([{"name": "A"}, {"name": "W", "is_won": True}, {"name": "L", "is_lost": True}], "prob"),
    ],
)  # fmt: skip
def test_pipeline_stage_rules(stages, message):
    with pytest.raises(InvalidValue, match=message):
        Pipeline.create("x", stages)


def deal(p: Pipeline) -> Opportunity:
    return Opportunity.open(
        name="Deal",
        customer_id="c",
        pipeline_id=p.id,
        stage=p.first_open_stage,
        amount=Decimal("1000.00"),
        currency="USD",
        fx_rate=Decimal("0.9215"),
        base_currency="EUR",
        now=NOW,
    )


def test_opportunity_moves_win_lose_and_history():
    p = pipeline()
    item = deal(p)
    assert item.base_amount == Decimal("921.50") and item.probability == 10
    proposal = p.stages[2]
    item.move(proposal, now=NOW + timedelta(days=3))
    assert item.weighted_base_amount == Decimal("460.75")
    events = item.pull_events()
    moved = events[-1][1]
    assert moved.details["time_in_previous_stage_seconds"] == 3 * 86400
    assert moved.details["from_stage_id"] == p.stages[0].id
    with pytest.raises(InvalidValue, match="win or lose"):
        item.move(p.won_stage)
    item.lose(p.lost_stage, reason="price", competitor="Green Leaf", now=NOW + timedelta(days=5))
    assert item.status == "lost" and item.probability == 0 and item.closed_at is not None
    with pytest.raises(StateConflict):
        item.win(p.won_stage)
    item.reopen(p.stages[1], now=NOW + timedelta(days=6))
    assert item.status == "open" and item.lost_to is None
    item.win(p.won_stage, reason="came back", now=NOW + timedelta(days=7))
    assert item.forecast_category == "closed" and item.probability == 100
    assert [v.to_stage_name for v in item.new_history] == [
        "Qualification", "Proposal", "Lost", "Needs analysis", "Won",
    ]  # fmt: skip


def test_quote_transitions_and_expiry():
    lines = price_lines([LineSpec("p", "S", "n", Decimal(1), Decimal(10))], "EUR")
    quote = Quote.draft(
        number="QT-1", customer_id="c", currency="EUR", base_currency="EUR", lines=lines,
        fx_rate=Decimal(1), now=NOW, valid_until=NOW.date() + timedelta(days=10),
    )  # fmt: skip
    with pytest.raises(StateConflict):
        quote.accept("o", NOW)
    quote.send(NOW)
    assert not quote.expire(NOW + timedelta(days=10))
    assert quote.expire(NOW + timedelta(days=11))
    with pytest.raises(StateConflict):
        quote.accept("o", NOW + timedelta(days=12))
    with pytest.raises(InvalidValue, match="past"):
        Quote.draft(
            number="QT-2", customer_id="c", currency="EUR", base_currency="EUR", lines=lines,
            fx_rate=Decimal(1), now=NOW, valid_until=NOW.date() - timedelta(days=1),
        )  # fmt: skip


def order() -> Order:
    lines = price_lines(
        [
            LineSpec("p1", "A", "a", Decimal(3), Decimal("10.00"), Decimal("0.19")),
            LineSpec("p2", "B", "b", Decimal(1), Decimal("5.00")),
        ],
        "EUR",
    )
    return Order.place(
        number="SO-1", customer_id="c", currency="EUR", base_currency="EUR", lines=lines,
        fx_rate=Decimal(1), now=NOW,
    )  # fmt: skip


def test_order_status_machine_and_cancellation():
    item = order()
    with pytest.raises(StateConflict):
        item.fulfil()
    item.pay(reference="PAY-1")
    item.cancel("customer asked")
    assert item.status == "cancelled" and item.was_paid
    delivered = order()
    delivered.pay()
    delivered.fulfil()
    delivered.deliver()
    with pytest.raises(StateConflict, match="record a return"):
        delivered.cancel()


def test_returns_by_line_and_by_product():
    item = order()
    item.pay()
    with pytest.raises(StateConflict):
        item.record_return([("p1", Decimal(1))], by_product=True)
    item.fulfil()
    with pytest.raises(InvalidValue, match="only 3"):
        item.record_return([("p1", Decimal(4))], by_product=True)
    with pytest.raises(InvalidValue, match="no product"):
        item.record_return([("nope", Decimal(1))], by_product=True)
    first = item.record_return([("p1", Decimal(1))], by_product=True, return_request_id="r1")
    assert first.amount == Decimal("11.90") and not first.full
    assert item.has_return_request("r1")
    rest = item.record_return([(line.line_id, line.returnable_quantity) for line in item.lines])
    assert rest.full and item.status == "returned"
    assert item.returned_amount == item.total and item.base_returned_amount == item.base_total


def coupon(**kw) -> Coupon:
    values = dict(id="c", name="x", mode="shared", discount_kind="percent", value=Decimal(10),
                  active=True, revision=1)  # fmt: skip
    values.update(kw)
    return Coupon(**values)


@pytest.mark.parametrize(
    ("changes", "net", "reason"),
    [
        ({"active": False}, "50", "inactive"),
        ({"valid_from": NOW + timedelta(hours=1)}, "50", "not_yet_valid"),
        ({"valid_until": NOW - timedelta(seconds=1)}, "50", "expired"),
        ({"min_order_amount": Decimal(20), "min_order_currency": "EUR"}, "19.99", "below_minimum"),
        ({"min_order_amount": Decimal(20), "min_order_currency": "USD"}, "50", "currency_mismatch"),
        ({"discount_kind": "amount", "value": Decimal(5), "currency": "USD"}, "50", "currency"),
    ],
)
def test_coupon_rules(changes, net, reason):
    with pytest.raises(CouponRejected) as caught:
        coupon(**changes).discount_for("X", Decimal(net), "EUR", NOW)
    assert caught.value.reason.startswith(reason)


def test_coupon_discounts():
    assert coupon().discount_for("X", Decimal("49.00"), "EUR", NOW) == Decimal("4.90")
    fixed = coupon(discount_kind="amount", value=Decimal(15), currency="EUR")
    assert fixed.discount_for("X", Decimal("10.00"), "EUR", NOW) == Decimal("10.00")
    assert normalise_code("  spr-7q2m  x9kd ") == "SPR-7Q2M X9KD"


def test_price_resolution_prefers_the_most_specific_list():
    product = Product.create(sku="A", name="a", list_price=Decimal(10), currency="EUR")
    general = PriceList.create(name="g", currency="EUR", items=[PriceItem(product.id, Decimal(9))])
    tier = PriceList.create(
        name="t", currency="EUR", customer_tier="Gold", items=[PriceItem(product.id, Decimal(8))]
    )
    volume = PriceList.create(
        name="v",
        currency="EUR",
        channel_id="ch",
        items=[
            PriceItem(product.id, Decimal("8.5")),
            PriceItem(product.id, Decimal(7), Decimal(100)),
        ],
    )
    old = PriceList.create(
        name="o",
        currency="EUR",
        valid_until=date(2020, 1, 1),
        items=[PriceItem(product.id, Decimal(1))],
    )
    lists = [general, tier, volume, old]

    def price(qty, channel=None, tier_name=None, named=None):
        found = resolve_price(product, Decimal(qty), "EUR", lists, channel_id=channel,
                              tier=tier_name, on=NOW.date(), price_list_id=named)  # fmt: skip
        return found.unit_price if found else None

    assert price(1) == Decimal(9)
    assert price(1, tier_name="gold") == Decimal(8)
    assert price(1, channel="ch") == Decimal("8.5")
    assert price(100, channel="ch") == Decimal(7)
    assert price(1, named=tier.id) == Decimal(8)  # a named list applies whatever its tier
    assert resolve_price(product, Decimal(1), "USD", lists, channel_id=None, tier=None,
                         on=NOW.date()) is None  # fmt: skip


def test_contract_renewal_and_notice():
    contract = Contract.draft(
        number="CT-1", customer_id="c", base_currency="EUR", now=NOW, title="Supply",
        start_date=date(2026, 1, 1), end_date=date(2026, 12, 31), value=Decimal(1200),
        renewal_notice_days=30,
    )  # fmt: skip
    contract.sign(NOW)
    assert contract.renewal_due_on() == date(2026, 12, 1)
    assert not contract.needs_renewal_notice(date(2026, 11, 30))
    assert contract.needs_renewal_notice(date(2026, 12, 1))
    successor = contract.renew(number="CT-2", now=NOW)
    assert (successor.start_date, successor.end_date) == (date(2027, 1, 1), date(2027, 12, 31))
    assert contract.status == "renewed" and successor.status == "active"
    assert names(successor) == ["contract.signed"]


def test_periods():
    assert parse("2026-q4").label == "2026-Q4"
    assert parse("2026-02").end == date(2026, 2, 28)
    assert containing(date(2026, 11, 26), "quarter").start == date(2026, 10, 1)
    assert [p.label for p in span(date(2026, 11, 1), date(2027, 2, 1), "quarter")] == [
        "2026-Q4",
        "2027-Q1",
    ]
    with pytest.raises(InvalidValue):
        parse("2026-13")


def test_targets_and_tasks():
    with pytest.raises(InvalidValue, match="owner_id"):
        Target.set(subject="rep", period="2026-11", metric="revenue", value=Decimal(1),
                   base_currency="EUR")  # fmt: skip
    with pytest.raises(InvalidValue, match="whole number"):
        Target.set(subject="team", team="east", period="2026-11", metric="orders",
                   value=Decimal("1.5"), base_currency="EUR")  # fmt: skip
    task = Task.plan(kind="call", subject="Call", assignee_id=REP_A, assignee_team=None,
                     due_at=NOW, now=NOW)  # fmt: skip
    assert task.is_due(NOW)
    task.remind(NOW)
    assert not task.is_due(NOW + timedelta(hours=1))
    task.update({"due_at": NOW + timedelta(days=1)})
    assert task.reminded_at is None  # a new due date earns a new reminder
