"""Who may see which ticket (object level).

Support agents see the tickets of the groups they belong to and the tickets assigned to them;
support managers (the ``support:admin`` permission), admins, API keys and every other role that
holds the ``tickets`` permissions see all tickets. A ticket one may not see answers 404.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from servicekit.identity import Identity
from support_service.adapters import tables as t
from support_service.domain.errors import NotFound
from support_service.domain.tickets import Ticket


def restricted(identity: Identity) -> bool:
    """True when the caller only sees their groups' tickets."""
    if identity.is_admin or identity.kind != "user":
        return False
    if identity.has_scope("support:admin"):
        return False
    return identity.has_role("support_agent")


def agent_groups(session, identity: Identity) -> list[str]:
    """The groups the caller is a member of."""
    return list(
        session.execute(
            select(t.agent_group_members.c.group_id).where(
                t.agent_group_members.c.agent_id == identity.id
            )
        ).scalars()
    )


def can_see(session, identity: Identity, ticket: Ticket) -> bool:
    """Object-level check for one ticket."""
    if not restricted(identity):
        return True
    return ticket.agent_id == identity.id or ticket.group_id in agent_groups(session, identity)


def visible_ticket(uow, identity: Identity, ticket_id: str, *, lock: bool = False) -> Ticket:
    """The ticket, or NotFound when it does not exist or the caller may not see it."""
    ticket = uow.tickets.get(ticket_id, lock=lock)
    if ticket is None or not can_see(uow.session, identity, ticket):
        raise NotFound(f"no ticket {ticket_id}")
    return ticket


def ticket_filter(session, identity: Identity):
    """SQL condition limiting tickets to those the caller may see (None: all)."""
    if not restricted(identity):
        return None
    groups = agent_groups(session, identity)
    conditions = [t.tickets.c.agent_id == identity.id]
    if groups:
        conditions.append(t.tickets.c.group_id.in_(groups))
    return or_(*conditions)
