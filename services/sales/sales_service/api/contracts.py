"""/api/v1/contracts: customer contracts; sign, renew, terminate; renewal reminders.

Scopes: ``contracts:read`` / ``contracts:write``.
"""

from __future__ import annotations

from flask.views import MethodView

from sales_service.adapters.repositories import ContractRepository
from sales_service.api.common import IF_MATCH, IF_MATCH_OPTIONAL, created, paging, with_version
from sales_service.api.schemas import planning as s
from sales_service.domain.errors import NotFound
from sales_service.service import contracts as use
from sales_service.service import queries
from sales_service.service.access import can_see
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service

blp = Blueprint(
    "contracts",
    __name__,
    url_prefix="/api/v1/contracts",
    description="Contracts: period, value, status; a renewal task and event before they end. "
    "Scopes contracts:read / contracts:write.",
)


@blp.route("")
class Contracts(MethodView):
    @blp.arguments(s.ContractQuery, location="query")
    @blp.response(200, s.ContractPage)
    def get(self, query):
        """List the contracts you may see."""
        identity = require_scope("contracts:read")
        limit, cursor, sort = paging(query)
        with service().db.session() as session:
            return queries.list_contracts(
                session, identity, query, limit=limit, cursor=cursor, sort=sort
            ).to_dict()

    @idempotent
    @blp.arguments(s.ContractIn)
    @blp.response(201, s.ContractOut)
    def post(self, body):
        """Draft a contract."""
        identity = require_scope("contracts:write")
        with service().uow() as uow:
            contract = use.draft_contract(uow, identity, body)
        return created(contract, f"/api/v1/contracts/{contract.id}")


@blp.route("/<uuid:contract_id>")
class ContractItem(MethodView):
    @blp.response(200, s.ContractOut)
    def get(self, contract_id):
        """One contract."""
        identity = require_scope("contracts:read")
        with service().db.session() as session:
            contract = ContractRepository(session).get(str(contract_id))
        if contract is None or not can_see(identity, "contracts", contract):
            raise NotFound(f"no contract {contract_id}")
        return with_etag(contract, contract.version)

    @blp.arguments(s.ContractPatch)
    @blp.response(200, s.ContractOut)
    @blp.doc(**IF_MATCH)
    def patch(self, body, contract_id):
        """Change a draft contract, or its owner (If-Match)."""
        identity = require_scope("contracts:write")
        version = expected_version()
        with service().uow() as uow:
            contract = use.change_contract(uow, identity, str(contract_id), version, body)
        return with_etag(contract, contract.version)


@blp.route("/<uuid:contract_id>/sign")
class Sign(MethodView):
    @idempotent
    @blp.arguments(s.SignIn)
    @blp.response(200, s.ContractOut)
    @blp.doc(**IF_MATCH_OPTIONAL)
    def post(self, body, contract_id):
        """Sign the contract (draft → active)."""
        identity = require_scope("contracts:write")
        with service().uow() as uow:
            contract = use.sign(uow, identity, str(contract_id), with_version(body))
        return with_etag(contract, contract.version)


@blp.route("/<uuid:contract_id>/renew")
class Renew(MethodView):
    @idempotent
    @blp.arguments(s.RenewIn)
    @blp.response(201, s.RenewOut)
    @blp.doc(**IF_MATCH_OPTIONAL)
    def post(self, body, contract_id):
        """Renew: the contract ends as renewed and an active successor starts the day after."""
        identity = require_scope("contracts:write")
        with service().uow() as uow:
            contract, renewal = use.renew(uow, identity, str(contract_id), with_version(body))
        return (
            {"contract": contract, "renewal": renewal},
            201,
            {"Location": f"/api/v1/contracts/{renewal.id}"},
        )


@blp.route("/<uuid:contract_id>/terminate")
class Terminate(MethodView):
    @idempotent
    @blp.arguments(s.TerminateIn)
    @blp.response(200, s.ContractOut)
    @blp.doc(**IF_MATCH_OPTIONAL)
    def post(self, body, contract_id):
        """End an active contract early, with the reason."""
        identity = require_scope("contracts:write")
        with service().uow() as uow:
            contract = use.terminate(uow, identity, str(contract_id), with_version(body))
        return with_etag(contract, contract.version)
