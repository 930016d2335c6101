"""/api/v1/tickets: tickets, their conversation, status actions, complaints, returns, merges."""

from __future__ import annotations

from flask.views import MethodView

from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service
from support_service.api import schemas as s
from support_service.service import queries
from support_service.service import returns as return_use
from support_service.service import tickets as use
from support_service.service.access import visible_ticket
from support_service.service.context import SupportContext
from support_service.service.reading import reading

blp = Blueprint(
    "tickets",
    __name__,
    url_prefix="/api/v1/tickets",
    description="After-sales tickets (questions, complaints, repairs, returns, billing): "
    "conversation, assignment, SLA clocks, complaints, return requests. Agents see their "
    "groups' tickets; support managers (support:admin) and admins see all.",
)

IF_MATCH = {"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"}}


def ctx() -> SupportContext:
    return service().extras["support"]


def _answer(uow, ticket, status: int = 200, headers: dict | None = None):
    view = queries.view_of(uow.session, ctx(), ticket)
    return with_etag(view, ticket.version, status, headers)


@blp.route("")
class Tickets(MethodView):
    @blp.arguments(s.TicketListQuery, location="query")
    @blp.response(200, s.TicketPage)
    def get(self, query):
        """List tickets (cursor pagination). ``status=open`` means not resolved or closed."""
        identity = require_scope("tickets:read")
        limit, cursor, sort = query.pop("limit"), query.pop("cursor"), query.pop("sort")
        with_total = query.pop("total")
        with service().db.session() as session:
            page = queries.list_tickets(
                session,
                ctx(),
                identity,
                query,
                limit=limit,
                cursor=cursor,
                sort=sort,
                with_total=with_total,
            )
        return page.to_dict()

    @idempotent
    @blp.arguments(s.TicketCreate)
    @blp.response(201, s.TicketSchema)
    def post(self, body):
        """Open a ticket for a customer (known from the customer service's events)."""
        identity = require_scope("tickets:write")
        with service().uow() as uow:
            ticket = use.open_ticket(uow, ctx(), identity, body, origin=_origin(identity))
            uow.commit()
            return _answer(uow, ticket, 201, {"Location": f"/api/v1/tickets/{ticket.id}"})


def _origin(identity) -> str:
    return "api" if identity.kind == "api_key" else "agent"


@blp.route("/<uuid:ticket_id>")
class TicketItem(MethodView):
    @blp.response(200, s.TicketSchema)
    def get(self, ticket_id):
        """One ticket with its live SLA state per target."""
        identity = require_scope("tickets:read")
        with reading(service().db) as uow:
            ticket = visible_ticket(uow, identity, str(ticket_id))
            return _answer(uow, ticket)

    @blp.arguments(s.TicketPatch)
    @blp.response(200, s.TicketSchema)
    @blp.doc(parameters=[IF_MATCH])
    def patch(self, body, ticket_id):
        """Edit subject, classification, tags, order or contact (send If-Match). A new
        classification re-matches the SLA policy, keeping the business time already spent."""
        identity = require_scope("tickets:write")
        version = expected_version()
        with service().uow() as uow:
            ticket = use.update_ticket(uow, ctx(), identity, str(ticket_id), version, body)
            uow.commit()
            return _answer(uow, ticket)


def _action(name: str, doc: str, schema):
    """Register ``POST /tickets/<id>/<name>`` running ``handler(uow, identity, id, body)``."""

    def register(handler):
        def post(self, body, ticket_id):
            identity = require_scope("tickets:write")
            with service().uow() as uow:
                ticket = handler(uow, identity, str(ticket_id), body)
                uow.commit()
                return _answer(uow, ticket)

        post.__doc__ = doc
        post = idempotent(blp.response(200, s.TicketSchema)(blp.arguments(schema)(post)))
        view = type(f"Ticket{name.title()}", (MethodView,), {"post": post})
        blp.route(f"/<uuid:ticket_id>/{name}")(view)
        return handler

    return register


@_action("assign", "Assign to an agent and/or group; without an agent, round-robin.", s.AssignIn)
def _assign(uow, identity, ticket_id, body):
    kwargs = {"auto": body.get("auto", True)}
    if "group_id" in body:
        kwargs["group_id"] = body["group_id"]
    if "agent_id" in body:
        kwargs["agent_id"] = body["agent_id"]
    return use.assign_ticket(uow, ctx(), identity, ticket_id, **kwargs)


@_action("pending", "Wait on the customer: SLA clocks pause until they answer.", s.ReasonIn)
def _pending(uow, identity, ticket_id, body):
    return use.set_pending(uow, ctx(), identity, ticket_id, body.get("reason"))


@_action("hold", "Wait on a third party (clocks keep running).", s.ReasonIn)
def _hold(uow, identity, ticket_id, body):
    return use.hold(uow, ctx(), identity, ticket_id, body.get("reason"))


@_action("open", "Back to open from new, pending or on hold (clocks resume).", s.EmptyIn)
def _open(uow, identity, ticket_id, body):
    return use.resume(uow, ctx(), identity, ticket_id)


@_action("resolve", "Resolve (complaints need root cause and corrective action).", s.ResolveIn)
def _resolve(uow, identity, ticket_id, body):
    return use.resolve(uow, ctx(), identity, ticket_id, body)


@_action("reopen", "Reopen a resolved ticket within the reopen window.", s.ReasonIn)
def _reopen(uow, identity, ticket_id, body):
    return use.reopen(uow, ctx(), identity, ticket_id, body.get("reason"))


@_action("close", "Close a resolved ticket for good.", s.EmptyIn)
def _close(uow, identity, ticket_id, body):
    return use.close(uow, ctx(), identity, ticket_id)


@_action("complaint", "Record root cause and corrective action of a complaint.", s.ComplaintIn)
def _complaint(uow, identity, ticket_id, body):
    return use.record_complaint(uow, ctx(), identity, ticket_id, body)


@blp.route("/<uuid:ticket_id>/reply")
class Reply(MethodView):
    @idempotent
    @blp.arguments(s.ReplyIn)
    @blp.response(201, s.CommentSchema)
    def post(self, body, ticket_id):
        """A public message: an agent reply (emailed to the contact; the first one answers the
        first-response target), or a customer message an agent records (author=customer)."""
        identity = require_scope("tickets:write")
        with service().uow() as uow:
            comment = use.reply(
                uow, ctx(), identity, str(ticket_id), body["body"], author=body["author"]
            )
            uow.commit()
        return comment, 201


@blp.route("/<uuid:ticket_id>/note")
class Note(MethodView):
    @idempotent
    @blp.arguments(s.NoteIn)
    @blp.response(201, s.CommentSchema)
    def post(self, body, ticket_id):
        """An internal note: visible to agents only, never emailed or shown to customers."""
        identity = require_scope("tickets:write")
        with service().uow() as uow:
            comment = use.add_note(uow, ctx(), identity, str(ticket_id), body["body"])
            uow.commit()
        return comment, 201


@blp.route("/<uuid:ticket_id>/comments")
class Comments(MethodView):
    @blp.arguments(s.CommentQuery, location="query")
    @blp.response(200, s.CommentPage)
    def get(self, query, ticket_id):
        """The conversation, oldest first: public messages and internal notes."""
        identity = require_scope("tickets:read")
        with reading(service().db) as uow:
            ticket = visible_ticket(uow, identity, str(ticket_id))
            page = queries.list_comments(
                uow.session,
                ticket.id,
                query["visibility"],
                limit=query["limit"],
                cursor=query["cursor"],
            )
        return page.to_dict()


@blp.route("/<uuid:ticket_id>/merge")
class Merge(MethodView):
    @idempotent
    @blp.arguments(s.MergeIn)
    @blp.response(200, s.MergeOut)
    def post(self, body, ticket_id):
        """Merge duplicate tickets of the same customer into this one: their messages and
        return requests move here; each duplicate is closed as merged."""
        identity = require_scope("tickets:write")
        with service().uow() as uow:
            target, merged = use.merge(uow, ctx(), identity, str(ticket_id), body["duplicate_ids"])
            uow.commit()
            views = queries.ticket_views(uow.session, ctx(), [target, *merged])
        return {"target": views[0], "merged": views[1:]}


@blp.route("/<uuid:ticket_id>/returns")
class Returns(MethodView):
    @blp.response(200, s.ReturnSchema(many=True))
    def get(self, ticket_id):
        """Return requests on this ticket."""
        identity = require_scope("tickets:read")
        with reading(service().db) as uow:
            ticket = visible_ticket(uow, identity, str(ticket_id))
            return queries.returns_of(uow.session, ticket.id)

    @idempotent
    @blp.arguments(s.ReturnIn)
    @blp.response(201, s.ReturnSchema)
    def post(self, body, ticket_id):
        """Request a return of order lines (quantities checked against the order)."""
        identity = require_scope("tickets:write")
        with service().uow() as uow:
            request = return_use.request_return(uow, ctx(), identity, str(ticket_id), body)
            uow.commit()
        return request, 201


@blp.route("/<uuid:ticket_id>/returns/<uuid:request_id>/approve")
class ApproveReturn(MethodView):
    @idempotent
    @blp.arguments(s.EmptyIn)
    @blp.response(200, s.ReturnSchema)
    def post(self, body, ticket_id, request_id):
        """Approve: sales records the return on the order (support.return.approved)."""
        identity = require_scope("tickets:write")
        with service().uow() as uow:
            request = return_use.approve_return(
                uow, ctx(), identity, str(ticket_id), str(request_id)
            )
            uow.commit()
        return request


@blp.route("/<uuid:ticket_id>/returns/<uuid:request_id>/reject")
class RejectReturn(MethodView):
    @idempotent
    @blp.arguments(s.RejectIn)
    @blp.response(200, s.ReturnSchema)
    def post(self, body, ticket_id, request_id):
        """Reject, saying why."""
        identity = require_scope("tickets:write")
        with service().uow() as uow:
            request = return_use.reject_return(
                uow, ctx(), identity, str(ticket_id), str(request_id), body["reason"]
            )
            uow.commit()
        return request
