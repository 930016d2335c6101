"""/api/v1/channels: direct, online store, retail store, distributors and partners.

Scopes: ``channels:read`` / ``channels:write``.
"""

from __future__ import annotations

from flask.views import MethodView

from sales_service.adapters.repositories import ChannelRepository
from sales_service.api.common import IF_MATCH, created, paging
from sales_service.api.schemas import catalogue as s
from sales_service.domain.errors import NotFound
from sales_service.service import catalogue as use
from sales_service.service import queries
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service

blp = Blueprint(
    "channels",
    __name__,
    url_prefix="/api/v1/channels",
    description="Sales channels; distributors and partners are accounts with a region. "
    "Scopes channels:read / channels:write.",
)


@blp.route("")
class Channels(MethodView):
    @blp.arguments(s.ChannelQuery, location="query")
    @blp.response(200, s.ChannelPage)
    def get(self, query):
        """List channels."""
        require_scope("channels:read")
        limit, cursor, sort = paging(query)
        with service().db.session() as session:
            return queries.list_channels(
                session, query, limit=limit, cursor=cursor, sort=sort
            ).to_dict()

    @idempotent
    @blp.arguments(s.ChannelIn)
    @blp.response(201, s.ChannelOut)
    def post(self, body):
        """Set up a channel."""
        identity = require_scope("channels:write")
        with service().uow() as uow:
            channel = use.create_channel(uow, identity, body)
        return created(channel, f"/api/v1/channels/{channel.id}")


@blp.route("/<uuid:channel_id>")
class ChannelItem(MethodView):
    @blp.response(200, s.ChannelOut)
    def get(self, channel_id):
        """One channel."""
        require_scope("channels:read")
        with service().db.session() as session:
            channel = ChannelRepository(session).get(str(channel_id))
        if channel is None:
            raise NotFound(f"no channel {channel_id}")
        return with_etag(channel, channel.version)

    @blp.arguments(s.ChannelPatch)
    @blp.response(200, s.ChannelOut)
    @blp.doc(**IF_MATCH)
    def patch(self, body, channel_id):
        """Change a channel (If-Match)."""
        identity = require_scope("channels:write")
        version = expected_version()
        with service().uow() as uow:
            channel = use.update_channel(uow, identity, str(channel_id), version, body)
        return with_etag(channel, channel.version)
