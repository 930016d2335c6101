"""/api/v1/imports: CSV imports as background jobs with progress and per-row errors."""

from __future__ import annotations

from flask import request
from flask.views import MethodView

from customer_service.adapters.repositories import ImportRepository
from customer_service.api import schemas as s
from customer_service.domain.errors import NotFound
from customer_service.domain.imports import MAX_ERRORS_KEPT
from customer_service.service import imports as use
from customer_service.service import queries
from servicekit.app import accepts
from servicekit.blueprint import Blueprint
from servicekit.errors import ApiError
from servicekit.webctx import current_identity, require_scope, service

MAX_CSV_BYTES = 64 * 1024 * 1024

blp = Blueprint(
    "imports",
    __name__,
    url_prefix="/api/v1/imports",
    description="CSV import of customers with a dedupe policy.",
)


def _job(session, job_id: str):
    job = ImportRepository(session).get(job_id)
    identity = current_identity()
    if job is None or (
        not identity.is_admin and identity.kind != "api_key" and job.created_by != identity.id
    ):
        raise NotFound(f"no import {job_id}")
    return job


@blp.route("")
class Imports(MethodView):
    @blp.arguments(s.PageQuerySchema, location="query")
    @blp.response(200, s.ImportPage)
    def get(self, query):
        """Your imports, newest first."""
        identity = require_scope("imports:read")
        with service().db.session() as session:
            page = queries.imports_page(
                session, identity, limit=query["limit"], cursor=query["cursor"]
            )
        return page.to_dict()

    @accepts("text/csv", max_bytes=MAX_CSV_BYTES)
    @blp.arguments(s.ImportQuery, location="query")
    @blp.response(202, s.ImportSchema)
    @blp.doc(
        requestBody={
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
        }
    )
    def post(self, query):
        """Upload a CSV (UTF-8, header row; lists separated by ';') to import in the background."""
        identity = require_scope("imports:write")
        raw = request.get_data(cache=False)
        try:
            content = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ApiError("The CSV must be UTF-8.", status=422, code="invalid_encoding") from None
        with service().uow() as uow:
            job = use.queue_import(uow, identity, query.get("filename"), content, query["dedupe"])
        return job, 202, {"Location": f"/api/v1/imports/{job.id}"}


@blp.route("/<uuid:job_id>")
class ImportItem(MethodView):
    @blp.response(200, s.ImportSchema)
    def get(self, job_id):
        """Progress and counters of one import."""
        require_scope("imports:read")
        with service().db.session() as session:
            return _job(session, str(job_id))


@blp.route("/<uuid:job_id>/errors")
class ImportErrors(MethodView):
    @blp.response(200, s.ImportErrorsSchema)
    def get(self, job_id):
        """Rows that failed, with their line numbers."""
        require_scope("imports:read")
        with service().db.session() as session:
            job = _job(session, str(job_id))
        return {
            "errors": job.errors,
            "failed": job.failed,
            "truncated": job.failed > MAX_ERRORS_KEPT,
        }


@blp.route("/<uuid:job_id>/cancel")
class Cancel(MethodView):
    @blp.response(200, s.ImportSchema)
    def post(self, job_id):
        """Stop an import; rows already imported stay."""
        require_scope("imports:write")
        with service().db.session() as session:
            _job(session, str(job_id))
        with service().uow() as uow:
            return use.cancel_import(uow, str(job_id))
