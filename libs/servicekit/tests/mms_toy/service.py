"""The toy service: one table of items, one of counted events, one event contract."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update

from servicekit.config import ServiceSettings
from servicekit.consumer import HandlerRegistry, Reject
from servicekit.events import OutgoingEvent
from servicekit.runtime import ServiceRuntime
from servicekit.tables import add_infrastructure_tables
from servicekit.types import Amount

# The toy's contracts (./contracts) are loaded by the tests' conftest, not at import.
HERE = Path(__file__).parent

metadata = MetaData()
add_infrastructure_tables(metadata)
items = Table(
    "items",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("price", Amount(), nullable=False),
    Column("currency", String(3), nullable=False),
)
seen = Table(
    "seen",
    metadata,
    Column("item_id", String(36), primary_key=True),
    Column("times", Integer, nullable=False),
)
# Failure counts survive rollbacks because they live in the test process, not in the database.
FAILURES: dict[str, int] = {}


@dataclass(frozen=True)
class ItemCreated:
    item_id: str
    name: str
    price: Decimal
    currency: str
    fail_times: int = 0
    sleep: float = 0.0


def to_integration(event):
    if isinstance(event, ItemCreated):
        data = {
            "item_id": event.item_id,
            "name": event.name,
            "price": {"amount": event.price, "currency": event.currency},
        }
        if event.fail_times:
            data["fail_times"] = event.fail_times
        if event.sleep:
            data["sleep"] = event.sleep
        return OutgoingEvent(
            "toy.item.created",
            data,
            aggregate_type="item",
            aggregate_id=event.item_id,
            aggregate_version=1,
        )
    return None


def create_item(uow, item_id, name, price="9.99", fail_times=0, sleep=0.0):
    uow.session.execute(
        insert(items).values(id=item_id, name=name, price=Decimal(price), currency="EUR")
    )
    uow.add_event(ItemCreated(item_id, name, Decimal(price), "EUR", fail_times, sleep))
    return uow.commit()


def registry() -> HandlerRegistry:
    handlers = HandlerRegistry()

    @handlers.on("toy.item.created")
    def count(envelope, uow):
        data = envelope.data
        if data["name"] == "reject-me":
            raise Reject("names like that are never acceptable")
        wanted = data.get("fail_times", 0)
        if FAILURES.get(data["item_id"], 0) < wanted:
            FAILURES[data["item_id"]] = FAILURES.get(data["item_id"], 0) + 1
            raise RuntimeError("simulated handler failure")
        if data.get("sleep"):
            time.sleep(data["sleep"])
        row = uow.session.execute(select(seen).where(seen.c.item_id == data["item_id"])).first()
        if row is None:
            uow.session.execute(insert(seen).values(item_id=data["item_id"], times=1))
        else:
            uow.session.execute(
                update(seen).where(seen.c.item_id == data["item_id"]).values(times=row.times + 1)
            )

    return handlers


def runtime(database_url: str, amqp_url: str = "amqp://guest:guest@127.0.0.1:1//", **overrides):
    settings = ServiceSettings.load(
        "toy",
        database_url=database_url,
        amqp_url=amqp_url,
        retry_delays=overrides.pop("retry_delays", (0.2, 0.4)),
        **overrides,
    )
    return ServiceRuntime.build(
        settings,
        to_integration=to_integration,
        migrations_dir=HERE / "migrations",
        registry=registry(),
    )


def seen_times(db, item_id: str) -> int:
    with db.session() as session:
        row = session.execute(select(seen.c.times).where(seen.c.item_id == item_id)).first()
        return row.times if row else 0
