"""/api/v1/pipelines: ordered stages with probabilities and forecast categories.

Scopes: reading needs ``opportunities:read``; defining and changing pipelines ``sales:admin``.
"""

from __future__ import annotations

from flask.views import MethodView

from sales_service.adapters.repositories import PipelineRepository
from sales_service.api.common import IF_MATCH, created
from sales_service.api.schemas import deals as s
from sales_service.domain.errors import NotFound
from sales_service.service import opportunities as use
from sales_service.service import queries
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service

blp = Blueprint(
    "pipelines",
    __name__,
    url_prefix="/api/v1/pipelines",
    description="Sales pipelines and their stages (default probability, forecast category, "
    "won/lost). Read with opportunities:read, change with sales:admin.",
)


@blp.route("")
class Pipelines(MethodView):
    @blp.arguments(s.PipelineQuery, location="query")
    @blp.response(200, s.PipelineOut(many=True))
    def get(self, query):
        """Every pipeline (the default first)."""
        require_scope("opportunities:read")
        with service().db.session() as session:
            return queries.list_pipelines(session, query.get("active"))

    @idempotent
    @blp.arguments(s.PipelineIn)
    @blp.response(201, s.PipelineOut)
    def post(self, body):
        """Define a pipeline: 2-30 stages in order, exactly one won and at least one lost."""
        identity = require_scope("sales:admin")
        with service().uow() as uow:
            pipeline = use.create_pipeline(uow, identity, body)
        return created(pipeline, f"/api/v1/pipelines/{pipeline.id}")


@blp.route("/<uuid:pipeline_id>")
class PipelineItem(MethodView):
    @blp.response(200, s.PipelineOut)
    def get(self, pipeline_id):
        """One pipeline."""
        require_scope("opportunities:read")
        with service().db.session() as session:
            pipeline = PipelineRepository(session).get(str(pipeline_id))
        if pipeline is None:
            raise NotFound(f"no pipeline {pipeline_id}")
        return with_etag(pipeline, pipeline.version)

    @blp.arguments(s.PipelinePatch)
    @blp.response(200, s.PipelineOut)
    @blp.doc(**IF_MATCH)
    def patch(self, body, pipeline_id):
        """Rename, reorder or re-weight stages (keep a stage by sending its id), make default,
        deactivate. Stages that still hold deals cannot be removed."""
        identity = require_scope("sales:admin")
        version = expected_version()
        with service().uow() as uow:
            pipeline = use.update_pipeline(uow, identity, str(pipeline_id), version, body)
        return with_etag(pipeline, pipeline.version)


@blp.route("/<uuid:pipeline_id>/summary")
class Summary(MethodView):
    @blp.response(200, s.PipelineSummaryOut)
    def get(self, pipeline_id):
        """The weighted pipeline: open deals you may see per stage, in the base currency."""
        identity = require_scope("opportunities:read")
        rt = service()
        with rt.db.session() as session:
            pipeline = PipelineRepository(session).get(str(pipeline_id))
            if pipeline is None:
                raise NotFound(f"no pipeline {pipeline_id}")
            summary = queries.pipeline_summary(session, identity, pipeline)
        currency = rt.extras["config"].base_currency
        summary["currency"] = currency
        for stage in summary["stages"]:
            stage["currency"] = currency
        return summary
