"""Line and order arithmetic for quotes and orders.

Each line is rounded on its own, to the currency's minor unit with ROUND_HALF_EVEN:

    gross      = quantity * unit_price
    discount   = line discount (percent of gross, or an amount) + its share of the order discount
    line_total = gross - discount                   (before tax)
    tax        = line_total * tax_rate
    subtotal = Σ gross, discount_total = Σ discount, tax_total = Σ tax,
    total    = subtotal - discount_total + tax_total = Σ (line_total + tax)

An order-level discount (a coupon) is shared out over the lines in proportion to what each line
still costs, in whole minor units with the largest-remainder method, so the shares add up to the
discount exactly and no line goes below zero.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from decimal import ROUND_FLOOR, Decimal

from sales_service.domain.errors import InvalidValue
from sales_service.domain.money import (
    ZERO,
    check_amount,
    check_price,
    check_quantity,
    exponent,
    quantize,
)

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineSpec:
    """What a line asks for, before any arithmetic."""

    product_id: str
    sku: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal = ZERO
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    category: str | None = None
    unit: str | None = None
    price_source: str = "manual"
    line_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class Line:
    """A priced line of a quote or an order (orders also track what came back)."""

    line_id: str
    product_id: str
    sku: str
    name: str
    category: str | None
    unit: str | None
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    discount_percent: Decimal | None
    discount_amount: Decimal | None
    price_source: str
    gross: Decimal
    line_discount: Decimal
    order_discount: Decimal
    line_total: Decimal
    tax: Decimal
    returned_quantity: Decimal = ZERO
    refunded: Decimal = ZERO

    @property
    def discount(self) -> Decimal:
        return self.line_discount + self.order_discount

    @property
    def net(self) -> Decimal:
        """What the line costs before the order discount and tax."""
        return self.gross - self.line_discount

    @property
    def payable(self) -> Decimal:
        return self.line_total + self.tax

    @property
    def returnable_quantity(self) -> Decimal:
        return self.quantity - self.returned_quantity

    def spec(self) -> LineSpec:
        return LineSpec(
            product_id=self.product_id,
            sku=self.sku,
            name=self.name,
            quantity=self.quantity,
            unit_price=self.unit_price,
            tax_rate=self.tax_rate,
            discount_percent=self.discount_percent,
            discount_amount=self.discount_amount,
            category=self.category,
            unit=self.unit,
            price_source=self.price_source,
            line_id=self.line_id,
        )


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal


def check_tax_rate(value: Decimal) -> Decimal:
    value = Decimal(value)
    if not ZERO <= value <= 1:
        raise InvalidValue("tax_rate is a fraction between 0 and 1, e.g. 0.19 for 19%")
    if value != value.quantize(Decimal("0.0001")):
        raise InvalidValue("tax_rate has more than 4 decimal places")
    return value


def price_line(spec: LineSpec, currency: str) -> Line:
    """Price one line without any order-level discount."""
    quantity = check_quantity(spec.quantity, f"quantity of {spec.sku}")
    unit_price = check_price(spec.unit_price, f"unit_price of {spec.sku}")
    tax_rate = check_tax_rate(spec.tax_rate)
    gross = check_amount(quantize(quantity * unit_price, currency), f"the value of {spec.sku}")
    if spec.discount_percent is not None and spec.discount_amount is not None:
        raise InvalidValue(f"line {spec.sku}: give discount_percent or discount_amount, not both")
    line_discount = ZERO
    if spec.discount_percent is not None:
        percent = Decimal(spec.discount_percent)
        if not ZERO <= percent <= HUNDRED:
            raise InvalidValue(f"line {spec.sku}: discount_percent must be between 0 and 100")
        line_discount = quantize(gross * percent / HUNDRED, currency)
    elif spec.discount_amount is not None:
        amount = Decimal(spec.discount_amount)
        if amount < 0:
            raise InvalidValue(f"line {spec.sku}: discount_amount must not be negative")
        if quantize(amount, currency) != amount:
            raise InvalidValue(
                f"line {spec.sku}: discount_amount has more decimals than {currency} allows"
            )
        if amount > gross:
            raise InvalidValue(f"line {spec.sku}: discount_amount is more than the line's value")
        line_discount = amount
    line_total = gross - line_discount
    return Line(
        line_id=spec.line_id,
        product_id=spec.product_id,
        sku=spec.sku,
        name=spec.name,
        category=spec.category,
        unit=spec.unit,
        quantity=quantity,
        unit_price=unit_price,
        tax_rate=tax_rate,
        discount_percent=spec.discount_percent,
        discount_amount=spec.discount_amount,
        price_source=spec.price_source,
        gross=gross,
        line_discount=line_discount,
        order_discount=ZERO,
        line_total=line_total,
        tax=quantize(line_total * tax_rate, currency),
    )


def price_lines(specs: list[LineSpec], currency: str) -> list[Line]:
    if not specs:
        raise InvalidValue("an order or quote needs at least one line")
    return [price_line(spec, currency) for spec in specs]


def net_subtotal(lines: list[Line]) -> Decimal:
    return sum((line.net for line in lines), ZERO)


def allocate(amount: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """Split ``amount`` over ``weights`` in whole minor units (largest remainder, stable)."""
    unit = exponent(currency)
    units = int((Decimal(amount) / unit).to_integral_value())
    total_weight = sum(weights, ZERO)
    if units == 0 or total_weight == 0:
        return [ZERO for _ in weights]
    raw = [Decimal(units) * w / total_weight for w in weights]
    floors = [int(r.to_integral_value(rounding=ROUND_FLOOR)) for r in raw]
    left = units - sum(floors)
    # Largest fractional part first; ties go to the earlier line, so the split is reproducible.
    order = sorted(range(len(weights)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(n) * unit for n in floors]


def apply_order_discount(lines: list[Line], amount: Decimal, currency: str) -> list[Line]:
    """Lines with ``amount`` (e.g. a coupon) shared out over them; taxes recomputed."""
    amount = Decimal(amount)
    available = net_subtotal(lines)
    if amount < 0:
        raise InvalidValue("an order discount cannot be negative")
    if amount > available:
        raise InvalidValue("the order discount is more than the order's value")
    shares = allocate(amount, [line.net for line in lines], currency)
    out = []
    for line, share in zip(lines, shares, strict=True):
        line_total = line.net - share
        out.append(
            replace(
                line,
                order_discount=share,
                line_total=line_total,
                tax=quantize(line_total * line.tax_rate, currency),
            )
        )
    return out


def totals(lines: list[Line]) -> Totals:
    subtotal = sum((line.gross for line in lines), ZERO)
    discount = sum((line.discount for line in lines), ZERO)
    tax = sum((line.tax for line in lines), ZERO)
    check_amount(subtotal + tax, "the order's total")
    return Totals(subtotal, discount, tax, subtotal - discount + tax)


def refund_for(line: Line, quantity: Decimal, currency: str) -> Decimal:
    """What returning ``quantity`` units of ``line`` refunds (tax included).

    The last units returned take whatever is left, so a line returned in parts refunds exactly
    what was paid for it in total.
    """
    quantity = check_quantity(quantity, f"returned quantity of {line.sku}")
    if quantity > line.returnable_quantity:
        raise InvalidValue(
            f"cannot return {quantity} of {line.sku}: only {line.returnable_quantity} "
            "left to return",
            details={"lines": [f"{line.sku}: at most {line.returnable_quantity}"]},
        )
    if quantity == line.returnable_quantity:
        return line.payable - line.refunded
    share = quantize(line.payable * quantity / line.quantity, currency)
    return min(share, line.payable - line.refunded)
