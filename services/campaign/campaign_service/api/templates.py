"""/api/v1/templates: message templates with variables, checked at save time, and previews."""

from __future__ import annotations

from flask.views import MethodView

from campaign_service.adapters.repositories import TemplateRepository
from campaign_service.api import schemas as s
from campaign_service.api.common import if_match_doc
from campaign_service.domain.errors import NotFound
from campaign_service.domain.rendering import VARIABLES
from campaign_service.service import queries
from campaign_service.service import templates as use
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service

blp = Blueprint(
    "templates",
    __name__,
    url_prefix="/api/v1/templates",
    description="Email templates (subject, preheader, text and HTML parts). A sandboxed Jinja "
    "engine that escapes every value in HTML; a template naming an unknown variable, or doing "
    "anything unsafe, is refused when saved. Scopes: campaigns:read / campaigns:write.",
)


def _template(session, template_id: str):
    template = TemplateRepository(session).get(template_id)
    if template is None:
        raise NotFound(f"no template {template_id}")
    return template


@blp.route("")
class Templates(MethodView):
    @blp.arguments(s.TemplateListQuery, location="query")
    @blp.response(200, s.TemplatePage)
    def get(self, query):
        """List templates by name."""
        require_scope("campaigns:read")
        with service().db.session() as session:
            page = queries.templates_page(
                session,
                status=query.get("status"),
                q=query.get("q"),
                limit=query["limit"],
                cursor=query["cursor"],
            )
        return page.to_dict()

    @idempotent
    @blp.arguments(s.TemplateCreate)
    @blp.response(201, s.TemplateOut)
    def post(self, body):
        """Write a template; without a text part one is derived from the HTML."""
        identity = require_scope("campaigns:write")
        with service().uow() as uow:
            template = use.create_template(uow, identity, body)
        return with_etag(
            template, template.version, 201, {"Location": f"/api/v1/templates/{template.id}"}
        )


@blp.route("/variables")
class Variables(MethodView):
    @blp.response(200, s.VariableOut(many=True))
    def get(self):
        """The variables templates may use (plus any the template gives a default for)."""
        require_scope("campaigns:read")
        return [{"name": k, "description": v} for k, v in VARIABLES.items()]


@blp.route("/<uuid:template_id>")
class TemplateItem(MethodView):
    @blp.response(200, s.TemplateOut)
    def get(self, template_id):
        """One template."""
        require_scope("campaigns:read")
        with service().db.session() as session:
            template = _template(session, str(template_id))
        return with_etag(template, template.version)

    @blp.arguments(s.TemplatePatch)
    @blp.response(200, s.TemplateOut)
    @blp.doc(parameters=[if_match_doc()])
    def patch(self, body, template_id):
        """Change a template (If-Match required). Launched campaigns keep the content they
        froze at launch."""
        require_scope("campaigns:write")
        version = expected_version()
        with service().uow() as uow:
            template = use.update_template(uow, str(template_id), version, body)
        return with_etag(template, template.version)


@blp.route("/<uuid:template_id>/archive")
class Archive(MethodView):
    @idempotent
    @blp.response(200, s.TemplateOut)
    def post(self, template_id):
        """Archive: no new campaign can use it."""
        require_scope("campaigns:write")
        with service().uow() as uow:
            template = use.archive_template(uow, str(template_id))
        return with_etag(template, template.version)


@blp.route("/<uuid:template_id>/preview")
class Preview(MethodView):
    @blp.arguments(s.PreviewIn)
    @blp.response(200, s.PreviewOut)
    def post(self, body, template_id):
        """Render for a sample recipient, or for a customer (customer_id), with optional
        variable overrides."""
        require_scope("campaigns:read")
        customer_id = str(body["customer_id"]) if body.get("customer_id") else None
        with service().db.session() as session:
            template = _template(session, str(template_id))
            return use.preview(session, template, customer_id, body["variables"])
