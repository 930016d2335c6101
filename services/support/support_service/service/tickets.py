"""Ticket use cases: open, edit, assign, reply, note, pending, hold, resolve, reopen, close, merge,
complaints. Each opens no transaction of its own: the caller's unit of work commits."""

from __future__ import annotations

import uuid
from typing import Any

from servicekit.identity import Identity
from support_service.domain import events
from support_service.domain.errors import InvalidValue, StateConflict
from support_service.domain.groups import AgentGroup
from support_service.domain.replicas import CustomerReplica
from support_service.domain.sla import SlaPolicy, match_policy
from support_service.domain.tickets import CLASSIFYING, Contact, Ticket
from support_service.service.access import agent_groups, restricted, visible_ticket
from support_service.service.context import SupportContext
from support_service.service.surveys import cancel_unsent_surveys, schedule_survey

MAX_BODY = 20_000


def actor_id(identity: Identity | None) -> str | None:
    """The caller's id when it is a user or key id (UUID); system actors are not recorded."""
    if identity is None:
        return None
    value = identity.id
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError):
        return None


# -- lookups ---------------------------------------------------------------------------------


def active_customer(uow, customer_id: str) -> CustomerReplica:
    """The replicated customer (following merges); 422 when unknown or erased."""
    customer = uow.customers.resolve(customer_id)
    if customer is None:
        raise InvalidValue(
            f"customer {customer_id} is not known to support yet (customers reach support "
            "through the customer service's events); retry shortly",
            details={"customer_id": ["unknown customer"]},
        )
    if customer.status == "erased":
        raise InvalidValue(f"customer {customer_id} was erased")
    return customer


def _check_order(uow, order_id: str | None, customer: CustomerReplica) -> None:
    if order_id is None:
        return
    order = uow.orders.get(order_id)
    if order is None:
        raise InvalidValue(
            f"order {order_id} is not known to support yet; retry shortly",
            details={"order_id": ["unknown order"]},
        )
    owner = uow.customers.resolve(order.customer_id)
    if (owner.id if owner else order.customer_id) != customer.id:
        raise InvalidValue(
            f"order {order_id} belongs to another customer",
            details={"order_id": ["belongs to another customer"]},
        )


def _group(uow, group_id: str, *, lock: bool = False) -> AgentGroup:
    group = uow.groups.get(group_id, lock=lock)
    if group is None or not group.active:
        raise InvalidValue(f"no active agent group {group_id}", details={"group_id": ["unknown"]})
    return group


def policy_for(uow, ticket_facts: dict[str, Any], customer: CustomerReplica | None):
    """The SLA policy matching a ticket's classification and its customer."""
    return match_policy(
        uow.policies.all(),
        priority=ticket_facts["priority"],
        category=ticket_facts["category"],
        channel=ticket_facts["channel"],
        tier=customer.tier if customer else None,
        tags=customer.tags if customer else (),
    )


def _ticket_policy(uow, ticket: Ticket) -> SlaPolicy | None:
    return uow.policies.get(ticket.sla.policy_id) if ticket.sla.policy_id else None


# -- open --------------------------------------------------------------------------------------


def open_ticket(
    uow, ctx: SupportContext, actor: Identity | None, data: dict[str, Any], *, origin: str = "agent"
) -> Ticket:
    """Open a ticket: SLA policy and calendar, group, first message, assignment."""
    now = ctx.now()
    customer = active_customer(uow, data["customer_id"])
    _check_order(uow, data.get("order_id"), customer)
    parent_id = data.get("parent_ticket_id")
    if parent_id is not None:
        if actor is not None:
            visible_ticket(uow, actor, parent_id)
        elif uow.tickets.get(parent_id) is None:
            raise InvalidValue(f"no ticket {parent_id}")
    group = None
    if data.get("group_id"):
        group = _group(uow, data["group_id"], lock=True)
    elif actor is not None and restricted(actor):
        mine = agent_groups(uow.session, actor)
        group = _group(uow, mine[0], lock=True) if mine else None
    if group is None:
        group = uow.groups.default()
        if group is not None:
            group = uow.groups.get(group.id, lock=True)
    facts = {
        "priority": data.get("priority", "normal"),
        "category": data["category"],
        "channel": data["channel"],
    }
    policy = policy_for(uow, facts, customer)
    calendar_id, calendar = ctx.choose_calendar(uow, policy, customer)
    contact = data.get("contact") or {}
    ticket = Ticket.open(
        number=uow.tickets.next_number(),
        customer_id=customer.id,
        subject=data["subject"],
        category=facts["category"],
        channel=facts["channel"],
        priority=facts["priority"],
        tags=data.get("tags") or (),
        contact=Contact(**contact),
        order_id=data.get("order_id"),
        group_id=group.id if group else None,
        parent_ticket_id=parent_id,
        origin=origin,
        created_by=actor_id(actor),
        policy=policy,
        calendar_id=calendar_id,
        calendar=calendar,
        warning_percent=ctx.settings.warning_percent,
        now=now,
    )
    description = (data.get("description") or "").strip()
    if description:
        ticket.last_customer_message_at = now
    uow.tickets.add(ticket)
    if description:
        # The customer's request as they put it: the conversation's first public message.
        uow.comments.add(
            comment_id=str(uuid.uuid4()),
            ticket_id=ticket.id,
            public=True,
            author_kind="customer",
            author_id=None,
            author_name=ticket.contact.name or customer.name,
            body=description[:MAX_BODY],
            at=now,
        )
    agent_id = data.get("agent_id")
    if agent_id is not None:
        if group is None or not group.has_member(agent_id):
            raise InvalidValue(
                f"agent {agent_id} is not a member of the ticket's group",
                details={"agent_id": ["not a member of the group"]},
            )
        ticket.assign(
            agent_id=agent_id,
            group_id=ticket.group_id,
            method="manual",
            assigned_by=actor_id(actor),
            now=now,
        )
    elif group is not None and group.round_robin and data.get("auto_assign", True):
        _round_robin(uow, ticket, group, actor, now)
    uow.tickets.save(ticket)
    return ticket


def _round_robin(uow, ticket: Ticket, group: AgentGroup, actor: Identity | None, now) -> bool:
    member = group.next_agent(now)
    if member is None:
        return False
    ticket.assign(
        agent_id=member.agent_id,
        group_id=group.id,
        method="round_robin",
        assigned_by=actor_id(actor),
        now=now,
    )
    uow.groups.save_members(group)
    return True


# -- edit --------------------------------------------------------------------------------------


def update_ticket(
    uow,
    ctx: SupportContext,
    actor: Identity,
    ticket_id: str,
    expected_version: int | None,
    changes: dict[str, Any],
) -> Ticket:
    """Edit a ticket (optimistic version check); reclassifying re-matches the policy."""
    from servicekit.etag import check_version

    now = ctx.now()
    ticket = visible_ticket(uow, actor, ticket_id, lock=True)
    if expected_version is not None:
        check_version(ticket.version, expected_version)
    customer = uow.customers.resolve(ticket.customer_id)
    if "order_id" in changes and changes["order_id"] is not None:
        if customer is None:
            raise InvalidValue("the ticket's customer is not known to support")
        _check_order(uow, changes["order_id"], customer)
    changed = ticket.change(changes, now)
    if set(changed) & set(CLASSIFYING):
        rematch_policy(uow, ctx, ticket, customer, now)
    uow.tickets.save(ticket)
    return ticket


def rematch_policy(uow, ctx: SupportContext, ticket: Ticket, customer, now) -> bool:
    """Find the policy for the ticket's current classification and switch to it."""
    if ticket.is_resolved:
        return False
    policy = policy_for(
        uow,
        {"priority": ticket.priority, "category": ticket.category, "channel": ticket.channel},
        customer,
    )
    old_cal = ctx.calendar(uow, ticket.sla.calendar_id)
    calendar_id, new_cal = ctx.choose_calendar(uow, policy, customer)
    return ticket.apply_policy(
        policy, calendar_id, old_cal, new_cal, ctx.settings.warning_percent, now
    )


# -- assignment ---------------------------------------------------------------------------------


_KEEP = object()


def assign_ticket(
    uow,
    ctx: SupportContext,
    actor: Identity,
    ticket_id: str,
    *,
    group_id=_KEEP,
    agent_id=_KEEP,
    auto: bool = True,
) -> Ticket:
    """Assign to an agent and/or group. Without an agent, ``auto`` picks the next agent of the
    group by round-robin (when the group works that way)."""
    now = ctx.now()
    ticket = visible_ticket(uow, actor, ticket_id, lock=True)
    target_group_id = ticket.group_id if group_id is _KEEP else group_id
    group = _group(uow, target_group_id, lock=True) if target_group_id else None
    if agent_id is not _KEEP and agent_id is not None:
        if group is None:
            mine = uow.groups.groups_of(agent_id)
            if not mine:
                raise InvalidValue(
                    f"agent {agent_id} belongs to no agent group",
                    details={"agent_id": ["not an agent of any group"]},
                )
            group = _group(uow, mine[0], lock=True)
        elif not group.has_member(agent_id):
            raise InvalidValue(
                f"agent {agent_id} is not a member of {group.name}",
                details={"agent_id": ["not a member of the group"]},
            )
        ticket.assign(
            agent_id=agent_id,
            group_id=group.id,
            method="manual",
            assigned_by=actor_id(actor),
            now=now,
        )
    elif agent_id is _KEEP and auto and group is not None and group.round_robin:
        if not _round_robin(uow, ticket, group, actor, now):
            ticket.assign(
                agent_id=None,
                group_id=group.id,
                method="manual",
                assigned_by=actor_id(actor),
                now=now,
            )
    else:
        keep_agent = ticket.agent_id if agent_id is _KEEP else None
        if keep_agent is not None and (group is None or not group.has_member(keep_agent)):
            keep_agent = None
        ticket.assign(
            agent_id=keep_agent,
            group_id=group.id if group else None,
            method="manual",
            assigned_by=actor_id(actor),
            now=now,
        )
    uow.tickets.save(ticket)
    return ticket


# -- conversation -------------------------------------------------------------------------------


def reply(
    uow,
    ctx: SupportContext,
    actor: Identity,
    ticket_id: str,
    body: str,
    *,
    author: str = "agent",
) -> dict[str, Any]:
    """A public message: an agent's reply (emailed to the contact), or a customer message an
    agent records (received by phone, chat or mail)."""
    now = ctx.now()
    body = _body(body)
    ticket = visible_ticket(uow, actor, ticket_id, lock=True)
    comment_id = str(uuid.uuid4())
    customer = uow.customers.resolve(ticket.customer_id)
    if author == "customer":
        was_resolved = ticket.status == "resolved"
        policy = _ticket_policy(uow, ticket)
        ticket.customer_wrote(
            now,
            ctx.calendar(uow, ticket.sla.calendar_id),
            next_response_minutes=policy.next_response_minutes if policy else None,
            reopen_window=ctx.settings.reopen_window,
        )
        if was_resolved:
            cancel_unsent_surveys(uow, ticket.id)
        row = uow.comments.add(
            comment_id=comment_id,
            ticket_id=ticket.id,
            public=True,
            author_kind="customer",
            author_id=None,
            author_name=ticket.contact.name or (customer.name if customer else None),
            body=body,
            at=now,
        )
    else:
        if ticket.agent_id is None and ticket.group_id and actor.kind == "user":
            group = uow.groups.get(ticket.group_id)
            if group is not None and group.has_member(actor.id):
                # Whoever answers an unassigned ticket of their group takes it.
                ticket.assign(
                    agent_id=actor.id,
                    group_id=group.id,
                    method="manual",
                    assigned_by=actor_id(actor),
                    now=now,
                )
        ticket.agent_replied(
            comment_id, actor_id(actor), now, ctx.calendar(uow, ticket.sla.calendar_id)
        )
        row = uow.comments.add(
            comment_id=comment_id,
            ticket_id=ticket.id,
            public=True,
            author_kind="agent",
            author_id=actor_id(actor),
            author_name=actor.name,
            body=body,
            at=now,
        )
        _queue_reply_mail(uow, ctx, ticket, customer, row, now)
    uow.tickets.save(ticket)
    return row


def _queue_reply_mail(uow, ctx: SupportContext, ticket: Ticket, customer, comment, now) -> None:
    if not ctx.settings.reply_emails:
        return
    if customer is not None and customer.status == "erased":
        return
    address = ticket.contact.email or (customer.email if customer else None)
    if not address:
        return
    name = ticket.contact.name or (customer.name if customer else None)
    text = (
        f"{comment['body']}\n\n"
        f"-- \n{ctx.settings.support_name}\n"
        f"Reply to this message to add to request {ticket.number}."
    )
    uow.mail.enqueue(
        id=str(uuid.uuid4()),
        ticket_id=ticket.id,
        comment_id=comment["id"],
        to_address=address,
        to_name=name,
        subject=f"[{ticket.number}] {ticket.subject}",
        body=text,
        status="queued",
        attempts=0,
        send_after=now,
        sent_at=None,
        last_error=None,
        created_at=now,
    )


def add_note(uow, ctx: SupportContext, actor: Identity, ticket_id: str, body: str) -> dict:
    """An internal note: only agents see it; it never leaves the service."""
    now = ctx.now()
    body = _body(body)
    ticket = visible_ticket(uow, actor, ticket_id)
    if ticket.status == "closed":
        raise StateConflict(f"ticket {ticket.number} is closed; closed is final")
    return uow.comments.add(
        comment_id=str(uuid.uuid4()),
        ticket_id=ticket.id,
        public=False,
        author_kind="agent",
        author_id=actor_id(actor),
        author_name=actor.name,
        body=body,
        at=now,
    )


def _body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidValue("the message is empty", details={"body": ["must not be empty"]})
    if len(body) > MAX_BODY:
        raise InvalidValue(f"a message is at most {MAX_BODY} characters")
    return body


# -- status -------------------------------------------------------------------------------------


def set_pending(uow, ctx, actor, ticket_id: str, reason: str | None) -> Ticket:
    """Wait on the customer: the SLA clocks pause."""
    ticket = visible_ticket(uow, actor, ticket_id, lock=True)
    ticket.set_pending(reason, ctx.now(), ctx.calendar(uow, ticket.sla.calendar_id))
    uow.tickets.save(ticket)
    return ticket


def hold(uow, ctx, actor, ticket_id: str, reason: str | None) -> Ticket:
    """Wait on a third party: the SLA clocks keep running."""
    ticket = visible_ticket(uow, actor, ticket_id, lock=True)
    ticket.hold(reason, ctx.now(), ctx.calendar(uow, ticket.sla.calendar_id))
    uow.tickets.save(ticket)
    return ticket


def resume(uow, ctx, actor, ticket_id: str) -> Ticket:
    """Back to open from new, pending or on hold."""
    ticket = visible_ticket(uow, actor, ticket_id, lock=True)
    ticket.resume(ctx.now(), ctx.calendar(uow, ticket.sla.calendar_id))
    uow.tickets.save(ticket)
    return ticket


def resolve(uow, ctx, actor, ticket_id: str, data: dict[str, Any]) -> Ticket:
    """Resolve (recording the complaint's causes if given) and schedule the survey."""
    now = ctx.now()
    ticket = visible_ticket(uow, actor, ticket_id, lock=True)
    if data.get("root_cause") or data.get("corrective_action") or data.get("root_cause_category"):
        ticket.record_complaint(
            root_cause_category=data.get("root_cause_category")
            or (ticket.complaint.root_cause_category if ticket.complaint else "other"),
            root_cause=data.get("root_cause")
            or (ticket.complaint.root_cause if ticket.complaint else ""),
            corrective_action=data.get("corrective_action")
            or (ticket.complaint.corrective_action if ticket.complaint else ""),
            recorded_by=actor_id(actor),
            now=now,
        )
    ticket.resolve(actor_id(actor), now, ctx.calendar(uow, ticket.sla.calendar_id))
    if data.get("resolution"):
        uow.comments.add(
            comment_id=str(uuid.uuid4()),
            ticket_id=ticket.id,
            public=False,
            author_kind="agent",
            author_id=actor_id(actor),
            author_name=actor.name if actor else None,
            body="Resolution: " + _body(data["resolution"]),
            at=now,
        )
    uow.tickets.save(ticket)
    if data.get("send_survey", True):
        schedule_survey(uow, ctx, ticket, _ticket_policy(uow, ticket), now)
    return ticket


def reopen(uow, ctx, actor, ticket_id: str, reason: str | None) -> Ticket:
    """Reopen a resolved ticket within the reopen window; an unsent survey is dropped."""
    ticket = visible_ticket(uow, actor, ticket_id, lock=True)
    ticket.reopen(
        trigger="agent",
        reason=reason,
        now=ctx.now(),
        cal=ctx.calendar(uow, ticket.sla.calendar_id),
        window=ctx.settings.reopen_window,
    )
    cancel_unsent_surveys(uow, ticket.id)
    uow.tickets.save(ticket)
    return ticket


def close(uow, ctx, actor, ticket_id: str) -> Ticket:
    """Close a resolved ticket for good."""
    ticket = visible_ticket(uow, actor, ticket_id, lock=True)
    ticket.close("manual", ctx.now())
    uow.tickets.save(ticket)
    return ticket


def record_complaint(uow, ctx, actor, ticket_id: str, data: dict[str, Any]) -> Ticket:
    """Record the root cause and corrective action of a complaint."""
    ticket = visible_ticket(uow, actor, ticket_id, lock=True)
    ticket.record_complaint(
        root_cause_category=data["root_cause_category"],
        root_cause=data["root_cause"],
        corrective_action=data["corrective_action"],
        recorded_by=actor_id(actor),
        now=ctx.now(),
    )
    uow.tickets.save(ticket)
    return ticket


# -- merge ---------------------------------------------------------------------------------------


def merge(uow, ctx, actor, target_id: str, duplicate_ids: list[str]) -> tuple[Ticket, list[Ticket]]:
    """Merge duplicates into ``target_id``: their comments and return requests move over, each
    duplicate is closed as merged, and the target keeps every tag."""
    now = ctx.now()
    if target_id in duplicate_ids:
        raise InvalidValue("a ticket cannot be merged into itself")
    if len(set(duplicate_ids)) != len(duplicate_ids):
        raise InvalidValue("duplicate_ids lists a ticket twice")
    target = visible_ticket(uow, actor, target_id, lock=True)
    if target.status == "closed":
        raise StateConflict(f"ticket {target.number} is closed; merge into an open ticket")
    target_customer = uow.customers.resolve(target.customer_id)
    target_customer_id = target_customer.id if target_customer else target.customer_id
    sources = []
    for source_id in duplicate_ids:
        source = visible_ticket(uow, actor, source_id, lock=True)
        owner = uow.customers.resolve(source.customer_id)
        if (owner.id if owner else source.customer_id) != target_customer_id:
            raise InvalidValue(f"ticket {source.number} belongs to another customer")
        if source.status == "closed":
            raise StateConflict(f"ticket {source.number} is already closed")
        sources.append(source)
    from sqlalchemy import update

    from support_service.adapters import tables as t

    tags = set(target.tags)
    for source in sources:
        moved = uow.comments.move(source.id, target.id)
        uow.session.execute(
            update(t.return_requests)
            .where(t.return_requests.c.ticket_id == source.id)
            .values(ticket_id=target.id, version=t.return_requests.c.version + 1)
        )
        cancel_unsent_surveys(uow, source.id)
        source.close_as_merged(target, now, ctx.calendar(uow, source.sla.calendar_id))
        source.record(
            events.TicketMerged(
                source.id,
                target.id,
                target_customer_id,
                moved,
                actor_id(actor),
                now,
                source.version,
            )
        )
        uow.tickets.save(source)
        uow.comments.add(
            comment_id=str(uuid.uuid4()),
            ticket_id=target.id,
            public=False,
            author_kind="system",
            author_id=actor_id(actor),
            author_name=actor.name,
            body=f"Ticket {source.number} ({source.subject}) was merged into this ticket; "
            f"{moved} message(s) moved here.",
            at=now,
        )
        tags |= set(source.tags)
    if tags != set(target.tags):
        target.change({"tags": sorted(tags)}, now)
    uow.tickets.save(target)
    return target, sources
