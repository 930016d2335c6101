"""Products, channels and price lists, and which price applies to a line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sales_service.domain.base import Aggregate, clean, new_id, utcnow, uuid_or_none
from sales_service.domain.errors import InvalidValue
from sales_service.domain.money import ZERO, check_price, check_quantity
from sales_service.domain.pricing import check_tax_rate

CHANNEL_KINDS = ("direct", "online_store", "retail_store", "distributor", "partner")
PRODUCT_FIELDS = (
    "sku",
    "name",
    "category",
    "unit",
    "list_price",
    "currency",
    "tax_rate",
    "active",
    "description",
)


@dataclass(eq=False)
class Product(Aggregate):
    id: str
    sku: str
    name: str
    list_price: Decimal
    currency: str
    category: str | None = None
    unit: str = "unit"
    tax_rate: Decimal = ZERO
    active: bool = True
    description: str | None = None
    version: int = 1
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @property
    def sku_key(self) -> str:
        return self.sku.casefold()

    @classmethod
    def create(cls, **data) -> Product:
        product = cls(id=new_id(), sku="", name="", list_price=ZERO, currency="EUR")
        product._apply(data)
        product.emit("product.created")
        return product

    def _apply(self, data: dict) -> list[str]:
        data = dict(data)
        for key in ("sku", "name", "category", "unit", "description"):
            if key in data:
                data[key] = clean(data[key])
        if "sku" in data and not data["sku"]:
            raise InvalidValue("a product needs a sku")
        if "name" in data and not data["name"]:
            raise InvalidValue("a product needs a name")
        if "unit" in data:
            data["unit"] = data["unit"] or "unit"
        if "list_price" in data:
            data["list_price"] = check_price(data["list_price"], "list_price")
        if "tax_rate" in data:
            data["tax_rate"] = check_tax_rate(data["tax_rate"] or ZERO)
        return self.apply_changes(data, PRODUCT_FIELDS)

    def update(self, changes: dict, now: datetime | None = None) -> list[str]:
        changed = self._apply(changes)
        if changed:
            self.updated_at = now or utcnow()
            self.emit("product.updated", changed_fields=changed)
        return changed


CHANNEL_FIELDS = (
    "kind",
    "name",
    "code",
    "region",
    "partner_name",
    "partner_customer_id",
    "commission_rate",
    "active",
)


@dataclass(eq=False)
class Channel(Aggregate):
    """Where orders come from; distributors and partners are accounts with a region."""

    id: str
    kind: str
    name: str
    code: str | None = None
    region: str | None = None
    partner_name: str | None = None
    partner_customer_id: str | None = None
    commission_rate: Decimal | None = None
    active: bool = True
    version: int = 1
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @classmethod
    def create(cls, **data) -> Channel:
        channel = cls(id=new_id(), kind="direct", name="")
        channel._apply(data)
        channel.emit("channel.created")
        return channel

    def _apply(self, data: dict) -> list[str]:
        data = dict(data)
        for key in ("name", "code", "region", "partner_name"):
            if key in data:
                data[key] = clean(data[key])
        if "kind" in data and data["kind"] not in CHANNEL_KINDS:
            raise InvalidValue(f"kind must be one of {', '.join(CHANNEL_KINDS)}")
        if "name" in data and not data["name"]:
            raise InvalidValue("a channel needs a name")
        if "partner_customer_id" in data:
            data["partner_customer_id"] = uuid_or_none(data["partner_customer_id"])
        rate = data.get("commission_rate")
        if rate is not None and not ZERO <= Decimal(rate) <= 1:
            raise InvalidValue("commission_rate is a fraction between 0 and 1")
        changed = self.apply_changes(data, CHANNEL_FIELDS)
        if self.kind in ("distributor", "partner") and not (self.partner_name or self.name):
            raise InvalidValue("a distributor or partner channel needs the partner's name")
        return changed

    def update(self, changes: dict, now: datetime | None = None) -> list[str]:
        changed = self._apply(changes)
        if changed:
            self.updated_at = now or utcnow()
            self.emit("channel.updated", changed_fields=changed)
        return changed


@dataclass(frozen=True)
class PriceItem:
    product_id: str
    unit_price: Decimal
    min_quantity: Decimal = Decimal(1)


PRICE_LIST_FIELDS = (
    "name",
    "currency",
    "channel_id",
    "customer_tier",
    "valid_from",
    "valid_until",
    "active",
    "items",
)


@dataclass(eq=False)
class PriceList(Aggregate):
    """Special prices per channel and/or customer tier, valid between two dates.

    An item applies from its ``min_quantity`` on, so volume breaks are several items for one
    product.
    """

    id: str
    name: str
    currency: str
    channel_id: str | None = None
    customer_tier: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    active: bool = True
    items: list[PriceItem] = field(default_factory=list)
    version: int = 1
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @classmethod
    def create(cls, **data) -> PriceList:
        price_list = cls(id=new_id(), name="", currency="EUR")
        price_list._apply(data)
        price_list.emit("price_list.created")
        return price_list

    def _apply(self, data: dict) -> list[str]:
        data = dict(data)
        for key in ("name", "customer_tier"):
            if key in data:
                data[key] = clean(data[key])
        if "name" in data and not data["name"]:
            raise InvalidValue("a price list needs a name")
        if "items" in data:
            items = []
            seen = set()
            for item in data["items"]:
                item = item if isinstance(item, PriceItem) else PriceItem(**item)
                price = check_price(item.unit_price, f"unit_price of product {item.product_id}")
                minimum = check_quantity(item.min_quantity, "min_quantity")
                key = (item.product_id, minimum)
                if key in seen:
                    raise InvalidValue(
                        f"product {item.product_id} is listed twice from quantity {minimum}"
                    )
                seen.add(key)
                items.append(PriceItem(item.product_id, price, minimum))
            data["items"] = items
        changed = self.apply_changes(data, PRICE_LIST_FIELDS)
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            raise InvalidValue("valid_from is after valid_until")
        return changed

    def update(self, changes: dict, now: datetime | None = None) -> list[str]:
        changed = self._apply(changes)
        if changed:
            self.updated_at = now or utcnow()
            self.emit("price_list.updated", changed_fields=changed)
        return changed

    @property
    def specificity(self) -> int:
        return (self.channel_id is not None) + (self.customer_tier is not None)

    def applies(self, currency: str, channel_id: str | None, tier: str | None, on: date) -> bool:
        return (
            self.active
            and self.currency == currency
            and (self.valid_from is None or self.valid_from <= on)
            and (self.valid_until is None or on <= self.valid_until)
            and (self.channel_id is None or self.channel_id == channel_id)
            and (
                self.customer_tier is None
                or (tier is not None and self.customer_tier.casefold() == tier.casefold())
            )
        )

    def price_for(self, product_id: str, quantity: Decimal) -> Decimal | None:
        """The unit price of the largest volume break ``quantity`` reaches, if any."""
        best = None
        for item in self.items:
            if (
                item.product_id == product_id
                and item.min_quantity <= quantity
                and (best is None or item.min_quantity > best.min_quantity)
            ):
                best = item
        return best.unit_price if best else None


@dataclass(frozen=True)
class ResolvedPrice:
    unit_price: Decimal
    source: str  # price_list | list_price
    price_list_id: str | None = None


def resolve_price(
    product: Product,
    quantity: Decimal,
    currency: str,
    price_lists: list[PriceList],
    *,
    channel_id: str | None,
    tier: str | None,
    on: date,
    price_list_id: str | None = None,
) -> ResolvedPrice | None:
    """The price a line gets: the named price list, else the most specific applicable list
    (channel and tier beat channel or tier beat general; the lower price breaks ties), else the
    product's list price when it is in the same currency."""
    candidates = []
    for price_list in price_lists:
        if price_list_id is not None:
            # A list the seller names applies whatever its channel or tier, not out of date.
            if price_list.id != price_list_id or not price_list.applies(
                currency, price_list.channel_id, price_list.customer_tier, on
            ):
                continue
        elif not price_list.applies(currency, channel_id, tier, on):
            continue
        price = price_list.price_for(product.id, quantity)
        if price is not None:
            candidates.append((-price_list.specificity, price, price_list.id))
    if candidates:
        _, price, list_id = min(candidates)
        return ResolvedPrice(price, "price_list", list_id)
    if product.currency == currency:
        return ResolvedPrice(product.list_price, "list_price")
    return None
