"""Competitor profiles (market research)."""

from __future__ import annotations

from typing import Any

from campaign_service.domain.competitors import Competitor
from campaign_service.domain.errors import NotFound, StateConflict
from servicekit.etag import check_version
from servicekit.identity import Identity


def create_competitor(uow, actor: Identity, data: dict[str, Any]) -> Competitor:
    competitor = Competitor.create(created_by=actor.subject, **data)
    if uow.competitors.name_taken(competitor.name):
        raise StateConflict(f"a competitor named {competitor.name!r} already exists")
    uow.competitors.add(competitor)
    uow.commit()
    return competitor


def _competitor(uow, competitor_id: str) -> Competitor:
    competitor = uow.competitors.get(competitor_id)
    if competitor is None:
        raise NotFound(f"no competitor {competitor_id}")
    return competitor


def update_competitor(
    uow, competitor_id: str, expected_version: int | None, changes: dict[str, Any]
) -> Competitor:
    competitor = _competitor(uow, competitor_id)
    if expected_version is not None:
        check_version(competitor.version, expected_version)
    if competitor.update(changes):
        if "name" in changes and uow.competitors.name_taken(competitor.name, competitor.id):
            raise StateConflict(f"a competitor named {competitor.name!r} already exists")
        uow.competitors.save(competitor)
    uow.commit()
    return competitor


def archive_competitor(uow, competitor_id: str) -> Competitor:
    competitor = _competitor(uow, competitor_id)
    competitor.archive()
    uow.competitors.save(competitor)
    uow.commit()
    return competitor


def restore_competitor(uow, competitor_id: str) -> Competitor:
    competitor = _competitor(uow, competitor_id)
    if uow.competitors.name_taken(competitor.name, competitor.id):
        raise StateConflict(f"an active competitor is already named {competitor.name!r}")
    competitor.restore()
    uow.competitors.save(competitor)
    uow.commit()
    return competitor
