"""Exchange rates: record one (append-only; a correction is a later rate)."""

from __future__ import annotations

from sales_service.domain.fx import FxRate
from sales_service.service.common import now
from servicekit.identity import Identity


def record_rate(uow, actor: Identity, data: dict) -> FxRate:
    item = FxRate.new(
        data["currency"],
        uow.config.base_currency,
        data["rate"],
        data.get("effective_from") or now(uow),
        set_by=actor.id,
    )
    uow.fx.add(item)
    uow.commit()
    return item
