"""Leads, opportunities, targets, campaigns, messages, tickets and surveys into the funnel,
pipeline, rep, campaign, engagement, support and satisfaction reports: numbers by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from analytics_test_factories import at, money, ts

from analytics_service.service.reports import (
    campaigns,
    engagement,
    funnel,
    pipeline,
    reps,
    support,
)
from analytics_service.service.reports.base import ReportQuery

pytestmark = pytest.mark.integration
D = Decimal

R1 = "c0000000-0000-4000-8000-000000000001"
S1 = "5a000000-0000-4000-8000-000000000001"  # Prospect
S2 = "5a000000-0000-4000-8000-000000000002"  # Proposal
L = [f"1e000000-0000-4000-8000-00000000000{i}" for i in range(6)]
OP = [f"0b000000-0000-4000-8000-00000000000{i}" for i in range(6)]
K1 = "ca000000-0000-4000-8000-000000000001"
K2 = "ca000000-0000-4000-8000-000000000002"
V1 = "fa000000-0000-4000-8000-000000000001"
V2 = "fa000000-0000-4000-8000-000000000002"
M = [f"3e000000-0000-4000-8000-00000000000{i}" for i in range(8)]
T = [f"7c000000-0000-4000-8000-00000000000{i}" for i in range(6)]
CUSTOMER = "11111111-1111-4111-8111-111111111111"


def run(rt, function, *, start="2026-01-01", end="2026-01-31", dimension="total", **extra):
    options = extra.pop("options", {})
    query = ReportQuery(
        start=date.fromisoformat(start),
        end=date.fromisoformat(end),
        dimension=dimension,
        granularity=extra.pop("granularity", "month"),
        filters=extra.pop("filters", {}),
        options=options,
        **extra,
    )
    with rt.db.session() as session:
        return function(session, query, "EUR")


def by_label(report):
    return {row["label"]: row for row in report.rows}


# -- leads and opportunities -----------------------------------------------------------------------


def funnel_events(events):
    jan1, jan2 = at("2026-01-01"), at("2026-01-02")

    def opp(kind, opportunity_id, moment, revision, created, **kw):
        return events.opportunity(
            kind,
            opportunity_id,
            moment,
            revision=revision,
            created=created,
            owner_id=R1,
            **kw,
        )

    return [
        events.lead("sales.lead.created", L[1], jan1, revision=1, created=jan1, captured=True),
        events.lead(
            "sales.lead.qualified",
            L[1],
            at("2026-01-03"),
            revision=2,
            created=jan1,
            status="qualified",
            qualified_at=ts(at("2026-01-03")),
        ),
        events.lead(
            "sales.lead.converted",
            L[1],
            at("2026-01-05"),
            revision=3,
            created=jan1,
            status="converted",
            opportunity_id=OP[1],
            converted_at=ts(at("2026-01-05")),
        ),
        events.lead("sales.lead.created", L[2], jan1, revision=1, created=jan1, captured=False),
        events.lead(
            "sales.lead.qualified",
            L[2],
            at("2026-01-04"),
            revision=2,
            created=jan1,
            status="qualified",
            qualified_at=ts(at("2026-01-04")),
        ),
        events.lead(
            "sales.lead.converted",
            L[2],
            at("2026-01-10"),
            revision=3,
            created=jan1,
            status="converted",
            opportunity_id=OP[2],
            converted_at=ts(at("2026-01-10")),
        ),
        events.lead("sales.lead.created", L[3], jan2, revision=1, created=jan2, captured=False),
        events.lead(
            "sales.lead.disqualified",
            L[3],
            at("2026-01-03"),
            revision=2,
            created=jan2,
            status="disqualified",
            reason="no budget",
            disqualified_at=ts(at("2026-01-03")),
        ),
        events.lead(
            "sales.lead.created",
            L[4],
            jan2,
            revision=1,
            created=jan2,
            captured=False,
            source="referral",
        ),
        opp(
            "sales.opportunity.created",
            OP[1],
            at("2026-01-05"),
            1,
            at("2026-01-05"),
            stage_id=S1,
            stage_name="Prospect",
            lead_id=L[1],
        ),
        opp(
            "sales.opportunity.won",
            OP[1],
            at("2026-01-20"),
            2,
            at("2026-01-05"),
            stage_id=S2,
            stage_name="Won",
            status="won",
            probability=100,
            lead_id=L[1],
            from_stage_id=S1,
            from_stage_name="Prospect",
            time_in_previous_stage_seconds=1296000,
        ),
        opp(
            "sales.opportunity.created",
            OP[2],
            at("2026-01-10"),
            1,
            at("2026-01-10"),
            stage_id=S1,
            stage_name="Prospect",
            lead_id=L[2],
        ),
        opp(
            "sales.opportunity.lost",
            OP[2],
            at("2026-01-25"),
            2,
            at("2026-01-10"),
            stage_id=S1,
            stage_name="Prospect",
            status="lost",
            probability=0,
            lead_id=L[2],
            from_stage_id=S1,
            from_stage_name="Prospect",
            time_in_previous_stage_seconds=1296000,
            reason="price",
        ),
        opp(
            "sales.opportunity.created",
            OP[3],
            at("2026-01-01"),
            1,
            at("2026-01-01"),
            stage_id=S1,
            stage_name="Prospect",
        ),
        opp(
            "sales.opportunity.stage_changed",
            OP[3],
            at("2026-02-01"),
            2,
            at("2026-01-01"),
            stage_id=S2,
            stage_name="Proposal",
            probability=60,
            from_stage_id=S1,
            from_stage_name="Prospect",
            to_stage_id=S2,
            time_in_previous_stage_seconds=2678400,
        ),
    ]


def test_funnel_by_hand(rt, feed, events):
    feed(funnel_events(events))
    report = run(rt, funnel.report)
    total = report.rows[0]
    assert (total["leads"], total["qualified"], total["opportunities"], total["won"]) == (
        4,
        2,
        2,
        1,
    )
    assert total["disqualified"] == 1
    assert (total["lead_to_qualified"], total["qualified_to_opportunity"]) == (D("0.5"), D("1"))
    assert (total["opportunity_to_won"], total["lead_to_won"]) == (D("0.5"), D("0.25"))
    assert total["won_amount"] == D("1000.00")
    # L1 2 days, L2 3 days to qualify; 2 and 6 days to convert; OP1 won 15 days after opening
    assert (total["days_to_qualify"], total["days_to_convert"], total["days_to_win"]) == (
        D("2.50"),
        D("4.00"),
        D("15.00"),
    )
    sources = by_label(run(rt, funnel.report, dimension="source"))
    assert sources["web_form"]["leads"] == 3
    assert sources["referral"]["leads"] == 1


def test_pipeline_today_and_as_of_a_past_day(rt, feed, events):
    feed(funnel_events(events))
    today = run(
        rt,
        pipeline.snapshot,
        dimension="stage",
        options={"as_of": date(2026, 3, 1), "today": date(2026, 3, 1)},
    )
    assert [(r["label"], r["opportunities"], r["amount"], r["weighted"]) for r in today.rows] == [
        ("Proposal", 1, D("1000.00"), D("600.00"))
    ]
    # on 15 January OP1, OP2 and OP3 were all open in Prospect at 20 %
    past = run(
        rt,
        pipeline.snapshot,
        dimension="stage",
        options={"as_of": date(2026, 1, 15), "today": date(2026, 3, 1)},
    )
    assert [(r["label"], r["opportunities"], r["amount"], r["weighted"]) for r in past.rows] == [
        ("Prospect", 3, D("3000.00"), D("600.00"))
    ]


def test_weighted_forecast_and_stage_times(rt, feed, events):
    feed(funnel_events(events))
    report = run(rt, pipeline.forecast, end="2026-06-30")
    rows = {r["period_label"]: r for r in report.rows}
    assert (rows["2026-01"]["won"], rows["2026-01"]["won_amount"]) == (1, D("1000.00"))
    assert (rows["2026-06"]["opportunities"], rows["2026-06"]["weighted"]) == (1, D("600.00"))
    assert report.totals["weighted"] == D("600.00")
    stages = run(rt, pipeline.stages, end="2026-03-31", dimension="stage")
    prospect = by_label(stages)["Prospect"]
    # 15, 15 and 31 days in Prospect
    assert (prospect["spells"], prospect["average_days"], prospect["median_days"]) == (
        3,
        D("20.33"),
        D("15.00"),
    )
    assert (prospect["moved_on"], prospect["won"], prospect["lost"]) == (1, 1, 1)


def test_rep_against_targets(rt, feed, events):
    order = events.placed(
        "0d000000-0000-4000-8000-000000000001",
        CUSTOMER,
        at("2026-01-12"),
        [("aaaaaaaa-0000-4000-8000-000000000001", "Tea", 1, "100.00")],
        owner_id=R1,
    )
    feed(
        [
            *funnel_events(events),
            order,
            events.paid(order, at("2026-01-12", 12)),
            events.make(
                "sales.target.set",
                at("2026-01-01"),
                target_id=L[5],
                subject="rep",
                owner_id=R1,
                period_kind="month",
                period="2026-01",
                period_start="2026-01-01",
                period_end="2026-01-31",
                metric="revenue",
                value="200.00",
                revision=1,
            ),
            events.make(
                "sales.target.set",
                at("2026-01-01"),
                target_id=OP[5],
                subject="rep",
                owner_id=R1,
                period_kind="quarter",
                period="2026-Q1",
                period_start="2026-01-01",
                period_end="2026-03-31",
                metric="won_value",
                value="3000.00",
                revision=1,
            ),
            events.make(
                "sales.task.completed",
                at("2026-01-15"),
                task_id=T[5],
                assignee_id=R1,
                status="completed",
                completed_at=ts(at("2026-01-15")),
                revision=3,
            ),
            events.make(
                "customer.interaction.logged",
                at("2026-01-16"),
                interaction_id=M[7],
                customer_id=CUSTOMER,
                actor_id=R1,
                occurred_at=ts(at("2026-01-16")),
            ),
        ]
    )
    report = run(rt, reps.report, dimension="rep", end="2026-02-28")
    rows = {(r["period_label"], r["key"]): r for r in report.rows}
    january = rows[("2026-01", R1)]
    assert (january["revenue"], january["revenue_target"], january["revenue_attainment"]) == (
        D("100.00"),
        D("200.00"),
        D("0.5"),
    )
    # the quarterly target is spread evenly over its months
    assert (january["won_value"], january["won_value_target"]) == (D("1000.00"), D("1000.00"))
    assert january["won_value_attainment"] == D("1")
    assert (january["won_deals"], january["activities"]) == (D(1), 2)
    assert rows[("2026-02", R1)]["won_value_target"] == D("1000.00")
    quarter = run(rt, reps.report, dimension="rep", end="2026-03-31", granularity="quarter")
    assert quarter.rows[0]["won_value_target"] == D("3000.00")


# -- campaigns and messages ------------------------------------------------------------------------


def campaign_events(events):
    order = "0d000000-0000-4000-8000-000000000009"
    cost = events.make(
        "campaign.cost.recorded",
        at("2026-01-15"),
        cost_id=T[1],
        campaign_id=K1,
        amount=money(100),
        base_amount=money(100),
        incurred_on="2026-01-15",
    )
    wrong = events.make(
        "campaign.cost.recorded",
        at("2026-01-16"),
        cost_id=T[2],
        campaign_id=K1,
        amount=money(50),
        base_amount=money(50),
        incurred_on="2026-01-16",
    )
    removed = events.make(
        "campaign.cost.removed",
        at("2026-01-17"),
        cost_id=T[2],
        campaign_id=K1,
        base_amount=money(50),
    )
    attribution = events.make(
        "campaign.attribution.recorded",
        at("2026-01-12"),
        order_id=order,
        customer_id=CUSTOMER,
        revenue=money(100),
        placed_at=ts(at("2026-01-12")),
        revision=1,
        attributions=[
            {
                "campaign_id": K1,
                "model": "last_touch",
                "share": "1",
                "revenue": money(100),
                "variant_id": V1,
            },
            {
                "campaign_id": K2,
                "model": "first_touch",
                "share": "1",
                "revenue": money(100),
                "variant_id": None,
            },
            {
                "campaign_id": K1,
                "model": "linear",
                "share": "0.5",
                "revenue": money(50),
                "variant_id": V1,
            },
            {
                "campaign_id": K2,
                "model": "linear",
                "share": "0.5",
                "revenue": money(50),
                "variant_id": None,
            },
        ],
    )
    return [
        events.campaign(
            "campaign.launched",
            K1,
            at("2026-01-01"),
            revision=3,
            name="Winter tea",
            variants=[(V1, "A"), (V2, "B")],
        ),
        events.campaign("campaign.created", K2, at("2026-01-01"), revision=1, name="Search ads"),
        cost,
        wrong,
        removed,
        attribution,
    ]


def message_events(events):
    def msg(kind, number, moment, variant=V1, **extra):
        return events.message(
            kind,
            M[number],
            moment,
            campaign_id=K1,
            variant_id=variant,
            customer_id=CUSTOMER,
            **extra,
        )

    sent, later = at("2026-01-10"), at("2026-01-10", 12)
    opened = msg(
        "campaign.message.opened", 1, later, first=True, machine=False, machine_reason=None
    )
    return [
        *[msg("campaign.message.sent", n, sent) for n in (1, 2, 3, 4)],
        msg("campaign.message.sent", 5, sent, variant=V2),
        *[msg("campaign.message.delivered", n, sent) for n in (1, 2, 3)],
        msg("campaign.message.delivered", 5, sent, variant=V2),
        msg("campaign.message.bounced", 4, sent, bounce_type="hard"),
        opened,
        opened,  # delivered twice by the broker
        msg(
            "campaign.message.opened",
            1,
            at("2026-01-11"),
            first=False,
            machine=False,
            machine_reason=None,
        ),
        msg(
            "campaign.message.clicked",
            1,
            later,
            first=True,
            machine=False,
            machine_reason=None,
            link_id="l1",
            url="https://example.com",
        ),
        msg(
            "campaign.message.opened",
            2,
            later,
            first=True,
            machine=True,
            machine_reason="apple_mpp",
        ),
        msg(
            "campaign.message.opened",
            3,
            later,
            first=True,
            machine=True,
            machine_reason="apple_mpp",
        ),
        msg(
            "campaign.message.opened",
            3,
            at("2026-01-10", 15),
            first=True,
            machine=False,
            machine_reason=None,
        ),
        events.make(
            "campaign.recipient.unsubscribed",
            at("2026-01-11"),
            customer_id=CUSTOMER,
            campaign_id=K1,
            message_id=M[1],
            unsubscribed_at=ts(at("2026-01-11")),
        ),
    ]


def test_campaign_roi_per_model_and_variant(rt, feed, events):
    feed([*campaign_events(events), *message_events(events)])
    rows = by_label(run(rt, campaigns.report, dimension="campaign"))
    k1, k2 = rows["Winter tea"], rows["Search ads"]
    assert (k1["spend"], k1["revenue_last_touch"], k1["roi_last_touch"]) == (
        D("100.00"),
        D("100.00"),
        D("0"),
    )
    assert (k1["revenue_first_touch"], k1["roi_first_touch"]) == (D("0.00"), D("-1"))
    assert (k1["revenue_linear"], k1["roi_linear"], k1["orders_last_touch"]) == (
        D("50.00"),
        D("-0.5"),
        1,
    )
    assert (k2["spend"], k2["revenue_first_touch"], k2["roi_first_touch"]) == (
        D("0.00"),
        D("100.00"),
        None,
    )
    # spend follows the messages each variant sent: 4 for A, 1 for B
    variants = by_label(run(rt, campaigns.report, dimension="variant"))
    a, b = variants["Winter tea / A"], variants["Winter tea / B"]
    assert (a["spend"], a["revenue_last_touch"], a["roi_last_touch"]) == (
        D("80.00"),
        D("100.00"),
        D("0.25"),
    )
    assert (b["spend"], b["roi_last_touch"]) == (D("20.00"), D("-1"))


def test_engagement_people_and_machines_apart(rt, feed, events):
    feed(message_events(events))
    total = run(rt, engagement.report).rows[0]
    assert (total["sent"], total["delivered"], total["bounced"], total["hard_bounced"]) == (
        5,
        4,
        1,
        1,
    )
    assert (total["opened"], total["machine_opened"], total["clicked"]) == (2, 2, 1)
    # two different human opens of message 1 and one of message 3; the repeat is not counted
    assert (total["opens"], total["machine_opens"], total["unsubscribed"]) == (3, 2, 1)
    assert (total["open_rate"], total["click_rate"], total["click_to_open"]) == (
        D("0.5"),
        D("0.25"),
        D("0.5"),
    )
    assert (total["machine_open_rate"], total["bounce_rate"], total["unsubscribe_rate"]) == (
        D("0.5"),
        D("0.2"),
        D("0.25"),
    )
    variants = {r["key"]: r for r in run(rt, engagement.report, dimension="variant").rows}
    assert (variants[V1]["sent"], variants[V2]["sent"]) == (4, 1)
    assert variants[V1]["label"] == "fa000000"  # no campaign event yet: a short id


# -- support ---------------------------------------------------------------------------------------


def ticket_events(events):
    def ticket(kind, number, moment, revision, created, **kw):
        return events.ticket(kind, T[number], moment, revision=revision, created=created, **kw)

    jan5, jan6, jan7 = at("2026-01-05"), at("2026-01-06"), at("2026-01-07")
    return [
        ticket("support.ticket.opened", 1, jan5, 1, jan5, opened_at=ts(jan5), priority="high"),
        ticket(
            "support.ticket.first_responded",
            1,
            at("2026-01-05", 11),
            2,
            jan5,
            responded_at=ts(at("2026-01-05", 11)),
            business_seconds=3600,
            calendar_seconds=3600,
            met=True,
        ),
        ticket(
            "support.ticket.resolved",
            1,
            at("2026-01-05", 12),
            3,
            jan5,
            resolved_at=ts(at("2026-01-05", 12)),
            resolution_business_seconds=7200,
            resolution_calendar_seconds=7200,
            reopened_count=0,
            sla_met={"first_response": True, "next_response": None, "resolution": True},
        ),
        ticket(
            "support.ticket.reopened",
            1,
            at("2026-01-08"),
            4,
            jan5,
            reopened_at=ts(at("2026-01-08")),
            trigger="customer",
            reopened_count=1,
        ),
        ticket(
            "support.ticket.resolved",
            1,
            at("2026-01-08", 12),
            5,
            jan5,
            resolved_at=ts(at("2026-01-08", 12)),
            resolution_business_seconds=10800,
            resolution_calendar_seconds=270000,
            reopened_count=1,
            sla_met={"first_response": True, "next_response": True, "resolution": False},
        ),
        ticket("support.ticket.opened", 2, jan6, 1, jan6, opened_at=ts(jan6)),
        ticket(
            "support.ticket.first_responded",
            2,
            at("2026-01-06", 13),
            2,
            jan6,
            responded_at=ts(at("2026-01-06", 13)),
            business_seconds=10800,
            calendar_seconds=10800,
            met=False,
        ),
        events.make(
            "support.ticket.sla_breached",
            at("2026-01-06", 12),
            ticket_id=T[2],
            target="first_response",
            cycle=1,
            revision=2,
        ),
        ticket("support.ticket.opened", 3, jan7, 1, jan7, opened_at=ts(jan7), channel="phone"),
        events.make(
            "support.ticket.merged",
            at("2026-01-07", 11),
            source_ticket_id=T[3],
            target_ticket_id=T[1],
            revision=2,
        ),
        events.make(
            "support.return.requested",
            at("2026-01-08"),
            return_request_id=M[6],
            ticket_id=T[1],
            requested_at=ts(at("2026-01-08")),
        ),
        events.make(
            "support.return.approved",
            at("2026-01-09"),
            return_request_id=M[6],
            ticket_id=T[1],
            approved_at=ts(at("2026-01-09")),
        ),
    ]


def test_support_volume_times_and_sla(rt, feed, events):
    feed(ticket_events(events))
    report = run(rt, support.report)
    total = report.rows[0]
    assert (total["opened"], total["resolved"], total["unresolved"]) == (2, 1, 1)
    assert (total["reopened"], total["breached"]) == (1, 1)
    # first responses of 1 h and 3 h; the latest resolution (3 h, missed) counts
    assert (total["average_first_response_hours"], total["average_resolution_hours"]) == (
        D("2.00"),
        D("3.00"),
    )
    assert (total["first_response_sla"], total["resolution_sla"]) == (D("0.5"), D("0"))
    assert report.totals["returns"] == {
        "requested": 1,
        "approved": 1,
        "rejected": 0,
        "approval_rate": D("1"),
    }
    channels = by_label(run(rt, support.report, dimension="channel"))
    assert set(channels) == {"email"}  # the merged phone duplicate is left out


def test_csat_and_nps(rt, feed, events):
    def survey(event_type, number, moment, **kw):
        sent = ts(at("2026-01-19"))
        return events.make(
            event_type, moment, survey_id=M[number], ticket_id=T[1], sent_at=sent, **kw
        )

    answered = at("2026-01-20")
    csat = {"kind": "csat", "scale_min": 1, "scale_max": 5, "nps_category": None}
    nps = {"kind": "nps", "scale_min": 0, "scale_max": 10}
    feed(
        [
            *[survey("support.survey.sent", n, at("2026-01-19"), kind="csat") for n in range(1, 6)],
            survey(
                "support.survey.answered",
                1,
                answered,
                score=5,
                satisfied=True,
                **csat,
                answered_at=ts(answered),
                low_score=False,
            ),
            survey(
                "support.survey.answered",
                2,
                answered,
                score=2,
                satisfied=False,
                **csat,
                answered_at=ts(answered),
            ),
            survey(
                "support.survey.answered",
                3,
                answered,
                score=10,
                satisfied=True,
                **nps,
                nps_category="promoter",
                answered_at=ts(answered),
                low_score=False,
            ),
            survey(
                "support.survey.answered",
                4,
                answered,
                score=8,
                satisfied=False,
                **nps,
                nps_category="passive",
                answered_at=ts(answered),
                low_score=False,
            ),
            events.make(
                "campaign.survey.answered",
                answered,
                response_id=L[1],
                nps=3,
                answered_at=ts(answered),
            ),
            events.make(
                "campaign.survey.answered",
                answered,
                response_id=L[2],
                nps=9,
                answered_at=ts(answered),
            ),
        ]
    )
    total = run(rt, support.satisfaction).rows[0]
    assert (total["csat_answers"], total["csat"], total["csat_average"]) == (
        2,
        D("0.5"),
        D("0.625"),
    )
    assert (total["promoters"], total["passives"], total["detractors"]) == (2, 1, 1)
    assert total["nps"] == D("25.0")
    assert (total["surveys_sent"], total["response_rate"]) == (5, D("0.8"))
    sources = by_label(run(rt, support.satisfaction, dimension="source"))
    assert sources["Market research"]["nps"] == D("0.0")


# -- contracts -------------------------------------------------------------------------------------


def test_contract_value_by_hand(rt, feed, events):
    from analytics_service.service.reports import contracts

    k = [f"c7000000-0000-4000-8000-00000000000{i}" for i in range(6)]

    def contract(kind, number, moment, revision, value, start, end, status="active", **extra):
        return events.make(
            kind,
            moment,
            contract_id=k[number],
            status=status,
            base_value=money(value),
            value=money(value),
            start_date=start,
            end_date=end,
            signed_at=extra.pop("signed_at", ts(moment)),
            revision=revision,
            renewed_from_id=extra.pop("renewed_from_id", None),
            **extra,
        )

    feed(
        [
            contract(
                "sales.contract.signed", 1, at("2026-01-10"), 2, 1200, "2026-01-01", "2026-12-31"
            ),
            contract(
                "sales.contract.signed", 2, at("2026-01-15"), 2, 600, "2025-02-01", "2026-01-31"
            ),
            contract(
                "sales.contract.renewed",
                2,
                at("2026-01-31"),
                3,
                600,
                "2025-02-01",
                "2026-01-31",
                status="renewed",
                signed_at=ts(at("2026-01-15")),
                renewal_contract_id=k[4],
                new_start_date="2026-02-01",
                new_end_date="2027-01-31",
                new_value=money(650),
                renewed_at=ts(at("2026-01-31")),
            ),
            contract(
                "sales.contract.signed",
                4,
                at("2026-02-01"),
                1,
                650,
                "2026-02-01",
                "2027-01-31",
                renewed_from_id=k[2],
            ),
            contract(
                "sales.contract.signed", 3, at("2026-02-05"), 2, 800, "2026-02-01", "2026-07-31"
            ),
            contract(
                "sales.contract.terminated",
                3,
                at("2026-02-20"),
                3,
                800,
                "2026-02-01",
                "2026-07-31",
                status="terminated",
                signed_at=ts(at("2026-02-05")),
                terminated_at=ts(at("2026-02-20")),
                reason="moved away",
            ),
        ]
    )
    rows = {r["period_label"]: r for r in run(rt, contracts.report, end="2026-02-28").rows}
    january, february = rows["2026-01"], rows["2026-02"]
    assert (january["new_business"], january["new_business_value"]) == (2, D("1800.00"))
    assert (january["renewed"], january["renewal_rate"]) == (1, D("1"))
    assert (january["active"], january["active_value"]) == (2, D("1800.00"))
    assert (february["renewals"], february["renewal_value"]) == (1, D("650.00"))
    assert (february["new_business"], february["terminated_value"]) == (1, D("800.00"))
    # K1 and the renewal K4 are under contract at the end of February
    assert (february["active"], february["active_value"]) == (2, D("1850.00"))
