"""Every projection of the service, in the order they run within a batch.

To project a new contract: write a Projection (usually a FactProjection or ImmutableFacts in
projections/<area>.py), list it here, add its tables to adapters/tables.py and a migration. The
consumer binds every event type listed here, and the contract harness runs every golden sample
of those types through it.
"""

from __future__ import annotations

from analytics_service.projections.campaigns import (
    AttributionProjection,
    CampaignsProjection,
    CostsProjection,
    CouponBatchesProjection,
    CouponsProjection,
    RedemptionsProjection,
    TouchpointsProjection,
    UnsubscribesProjection,
)
from analytics_service.projections.catalog import ChannelsProjection, ProductsProjection
from analytics_service.projections.customers import (
    CustomersProjection,
    InteractionsProjection,
    MembershipProjection,
    MergesProjection,
    SegmentsProjection,
)
from analytics_service.projections.framework import Catalogue
from analytics_service.projections.leads import LeadsProjection
from analytics_service.projections.messages import MessagesProjection
from analytics_service.projections.opportunities import (
    ContractsProjection,
    OpportunitiesProjection,
    PipelinesProjection,
    QuotesProjection,
)
from analytics_service.projections.sales import SalesProjection
from analytics_service.projections.support import (
    ReturnRequestsProjection,
    SlaBreachesProjection,
    SurveyResponsesProjection,
    TicketsProjection,
)
from analytics_service.projections.targets import TargetsProjection, TasksProjection


def build_catalogue() -> Catalogue:
    return Catalogue(
        [
            # customers
            CustomersProjection(),
            MergesProjection(),
            SegmentsProjection(),
            MembershipProjection(),
            InteractionsProjection(),
            # sales
            ProductsProjection(),
            ChannelsProjection(),
            SalesProjection(),
            RedemptionsProjection(),
            LeadsProjection(),
            OpportunitiesProjection(),
            PipelinesProjection(),
            QuotesProjection(),
            ContractsProjection(),
            TargetsProjection(),
            TasksProjection(),
            # campaigns
            CampaignsProjection(),
            CostsProjection(),
            AttributionProjection(),
            MessagesProjection(),
            CouponsProjection(),
            CouponBatchesProjection(),
            UnsubscribesProjection(),
            TouchpointsProjection(),
            # support
            TicketsProjection(),
            SlaBreachesProjection(),
            ReturnRequestsProjection(),
            SurveyResponsesProjection(),
        ]
    )


CATALOGUE = build_catalogue()
