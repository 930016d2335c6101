"""Who may see which campaign (object level).

Marketers, admins and API keys see every campaign; other roles that hold a campaigns scope see
the campaigns they own (sales managers also their team's). A campaign one may not see is a 404.
"""

from __future__ import annotations

from sqlalchemy import or_

from campaign_service.adapters import tables as t
from campaign_service.domain.campaigns import Campaign
from campaign_service.domain.errors import NotFound
from servicekit.identity import Identity

CAMPAIGN_REACH = {
    "marketer": "all",
    "sales_manager": "team",
    "sales_rep": "own",
    "support_agent": "own",
    "analyst": "own",
}


def can_see(identity: Identity, campaign: Campaign) -> bool:
    return identity.can_see(CAMPAIGN_REACH, campaign.owner_id, campaign.owner_team)


def visible_campaign(uow_or_repo, identity: Identity, campaign_id: str) -> Campaign:
    """The campaign, or NotFound when it does not exist or the caller may not see it."""
    repo = getattr(uow_or_repo, "campaigns", uow_or_repo)
    campaign = repo.get(campaign_id)
    if campaign is None or not can_see(identity, campaign):
        raise NotFound(f"no campaign {campaign_id}")
    return campaign


def reach_filter(identity: Identity):
    """SQL condition on ``campaigns`` limiting rows to those the caller may see (None: all)."""
    c = t.campaigns.c
    reach = identity.reach(CAMPAIGN_REACH)
    if reach == "all":
        return None
    if reach == "team":
        conditions = [c.owner_id == identity.id]
        if identity.team:
            conditions.append(c.owner_team == identity.team)
        return or_(*conditions)
    if reach == "own":
        return c.owner_id == identity.id
    return c.id.is_(None)
