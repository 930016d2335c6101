"""Helpers the blueprints share: the service's collaborators and documentation snippets."""

from __future__ import annotations

from campaign_service.config import CampaignSettings
from campaign_service.domain.tokens import TokenSigner
from servicekit.webctx import service


def campaign_settings() -> CampaignSettings:
    return service().extras["campaign"]


def signer() -> TokenSigner:
    return service().extras["signer"]


def if_match_doc() -> dict:
    return {
        "in": "header",
        "name": "If-Match",
        "required": True,
        "schema": {"type": "string"},
        "description": "The ETag you read (412 if the record changed since, 428 if missing).",
    }
