"""/api/v1/segments: static lists and dynamic rule segments."""

from __future__ import annotations

from flask.views import MethodView

from customer_service.adapters.repositories import AttributeRepository, SegmentRepository
from customer_service.api import schemas as s
from customer_service.domain.errors import NotFound
from customer_service.domain.segments import FIELD_GROUPS, FIELDS, OPERATORS, validate_rules
from customer_service.service import queries
from customer_service.service import segments as use
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import current_identity, require_scope, service

blp = Blueprint(
    "segments",
    __name__,
    url_prefix="/api/v1/segments",
    description="Segments over geographic, demographic, psychographic and "
    "behavioural attributes; membership stays current as customers "
    "change.",
)


def _segment(session, segment_id: str):
    segment = SegmentRepository(session).get(segment_id)
    if segment is None:
        raise NotFound(f"no segment {segment_id}")
    return segment


@blp.route("")
class Segments(MethodView):
    @blp.arguments(s.SegmentListQuery, location="query")
    @blp.response(200, s.SegmentPage)
    def get(self, query):
        """List segments."""
        require_scope("segments:read")
        with service().db.session() as session:
            page = queries.segments_page(
                session,
                limit=query["limit"],
                cursor=query["cursor"],
                status=query.get("status"),
                kind=query.get("kind"),
            )
        return page.to_dict()

    @idempotent
    @blp.arguments(s.SegmentIn)
    @blp.response(201, s.SegmentSchema)
    def post(self, body):
        """Define a segment; a dynamic one is evaluated in the background."""
        identity = require_scope("segments:write")
        with service().uow() as uow:
            segment = use.define_segment(uow, identity, body)
        return with_etag(
            segment, segment.version, 201, {"Location": f"/api/v1/segments/{segment.id}"}
        )


@blp.route("/fields")
class Fields(MethodView):
    @blp.response(200, s.FieldCatalogue)
    def get(self):
        """What rules can test: fields with their types, groups and operators."""
        require_scope("segments:read")
        with service().db.session() as session:
            custom = {
                f"attributes.{k}": d.type for k, d in AttributeRepository(session).all().items()
            }
        return {
            "fields_": {**FIELDS, **custom},
            "groups": FIELD_GROUPS,
            "operators": {op: sorted(kinds) for op, kinds in OPERATORS.items()},
        }


@blp.route("/preview")
class Preview(MethodView):
    @blp.arguments(s.PreviewIn)
    @blp.response(200, s.PreviewOut)
    def post(self, body):
        """Count (and sample) the customers rules would select right now."""
        require_scope("segments:read")
        with service().db.session() as session:
            types = {k: d.type for k, d in AttributeRepository(session).all().items()}
            validate_rules(body["rules"], types)
            count, sample = use.preview(session, body["rules"], types)
        return {"count": count, "sample": sample}


@blp.route("/<uuid:segment_id>")
class SegmentItem(MethodView):
    @blp.response(200, s.SegmentSchema)
    def get(self, segment_id):
        """One segment."""
        require_scope("segments:read")
        with service().db.session() as session:
            segment = _segment(session, str(segment_id))
        return with_etag(segment, segment.version)

    @blp.arguments(s.SegmentPatch)
    @blp.response(200, s.SegmentSchema)
    def patch(self, body, segment_id):
        """Rename, describe or change rules (If-Match required)."""
        require_scope("segments:write")
        version = expected_version()
        with service().uow() as uow:
            segment = use.redefine_segment(uow, str(segment_id), version, body)
        return with_etag(segment, segment.version)


@blp.route("/<uuid:segment_id>/archive")
class Archive(MethodView):
    @blp.response(200, s.SegmentSchema)
    def post(self, segment_id):
        """Archive: the segment keeps its definition and loses its members."""
        require_scope("segments:write")
        with service().uow() as uow:
            segment = use.archive_segment(uow, str(segment_id))
        return with_etag(segment, segment.version)


@blp.route("/<uuid:segment_id>/evaluate")
class Evaluate(MethodView):
    @blp.response(202, s.SegmentSchema)
    def post(self, segment_id):
        """Ask for a full re-evaluation of a dynamic segment (runs in the worker)."""
        require_scope("segments:write")
        with service().uow() as uow:
            segment = uow.segments.get(str(segment_id))
            if segment is None:
                raise NotFound(f"no segment {segment_id}")
            if segment.is_dynamic and segment.status == "active":
                uow.segments.set_evaluation(segment.id, "pending", None)
                segment.evaluation = "pending"
                uow.commit()
        return segment


@blp.route("/<uuid:segment_id>/members")
class Members(MethodView):
    @blp.arguments(s.PageQuerySchema, location="query")
    @blp.response(200, s.CustomerPage)
    def get(self, query, segment_id):
        """Members you can see."""
        require_scope("segments:read")
        with service().db.session() as session:
            _segment(session, str(segment_id))
            page = queries.members_page(
                session,
                current_identity(),
                str(segment_id),
                limit=query["limit"],
                cursor=query["cursor"],
            )
        return page.to_dict()

    @blp.arguments(s.MembersChange)
    @blp.response(200, s.SegmentSchema)
    def post(self, body, segment_id):
        """Add or remove members of a static segment."""
        identity = require_scope("segments:write")
        with service().uow() as uow:
            use.change_static_members(uow, identity, str(segment_id), body["add"], body["remove"])
        with service().db.session() as session:
            return _segment(session, str(segment_id))
