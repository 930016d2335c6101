"""Scheduled work on tickets: the SLA scan (warnings and breaches) and closing resolved tickets
once their reopen window has passed."""

from __future__ import annotations

from sqlalchemy import update

from servicekit.logging import get_logger
from support_service.adapters import tables as t
from support_service.domain.errors import ConcurrentModification
from support_service.service.context import SupportContext

log = get_logger("support.sla")


def scan_sla(uow_factory, ctx: SupportContext, *, batch: int | None = None) -> int:
    """Find tickets with a warning or deadline due, record warnings and breaches once each;
    return how many were recorded. Only tickets whose next check is due are read (an index on
    ``sla_next_check_at``), so the scan costs what is due, not what is open."""
    now = ctx.now()
    batch = batch or ctx.settings.sla_scan_batch
    recorded = 0
    done: set[str] = set()
    while True:
        with uow_factory() as uow:
            ids = [i for i in uow.tickets.sla_due(now, batch + len(done)) if i not in done]
        if not ids:
            return recorded
        ids = ids[:batch]
        try:
            recorded += _check(uow_factory, ctx, ids, now)
        except ConcurrentModification:
            # Someone changed one of them meanwhile: go one by one, skipping the busy ones.
            for ticket_id in ids:
                try:
                    recorded += _check(uow_factory, ctx, [ticket_id], now)
                except ConcurrentModification:
                    log.info("sla_check_deferred", ticket_id=ticket_id)
        done.update(ids)


def _check(uow_factory, ctx: SupportContext, ids: list[str], now) -> int:
    recorded = 0
    with uow_factory() as uow:
        calendars = {}
        for ticket in uow.tickets.get_many(ids):
            calendar_id = ticket.sla.calendar_id
            if calendar_id not in calendars:
                calendars[calendar_id] = ctx.calendar(uow, calendar_id)
            found = ticket.check_sla(now, calendars[calendar_id])
            if found:
                recorded += found
                uow.tickets.save(ticket)
            else:
                # Nothing due after all (stale next-check time): store the fresh one so the
                # scan does not come back for it.
                uow.session.execute(
                    update(t.tickets)
                    .where(t.tickets.c.id == ticket.id, t.tickets.c.version == ticket.version)
                    .values(sla_next_check_at=ticket.sla_next_check_at)
                )
        uow.commit()
    return recorded


def follow_calendar_changes(uow_factory, ctx: SupportContext, *, batch: int = 500) -> int:
    """Recompute the deadlines of open tickets whose calendar was edited; return how many."""
    now = ctx.now()
    moved = 0
    with uow_factory() as uow:
        definitions = uow.calendars.all()
    for definition in definitions:
        calendar = ctx.calendars.build(definition)
        while True:
            with uow_factory() as uow:
                ids = uow.tickets.behind_calendar(definition.id, definition.version, batch)
                for ticket in uow.tickets.get_many(ids):
                    if ticket.follow_calendar(calendar, now):
                        uow.tickets.save(ticket)
                        moved += 1
                uow.commit()
            if len(ids) < batch:
                break
    return moved


def close_expired_resolutions(uow_factory, ctx: SupportContext, *, batch: int = 500) -> int:
    """Close resolved tickets whose reopen window has passed; return how many."""
    if not ctx.settings.auto_close:
        return 0
    now = ctx.now()
    cutoff = now - ctx.settings.reopen_window
    closed = 0
    while True:
        with uow_factory() as uow:
            ids = uow.tickets.resolved_before(cutoff, batch)
            for ticket in uow.tickets.get_many(ids):
                ticket.close("auto", now)
                uow.tickets.save(ticket)
            uow.commit()
        closed += len(ids)
        if len(ids) < batch:
            return closed
