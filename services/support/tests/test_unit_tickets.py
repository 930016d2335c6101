"""The ticket aggregate and its SLA clocks: status machine, pauses, warnings, breaches, policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from support_service.domain import events
from support_service.domain.businesstime import BusinessCalendar
from support_service.domain.errors import InvalidTransition, InvalidValue, StateConflict
from support_service.domain.sla import Conditions, SlaClock, SlaPolicy, match_policy
from support_service.domain.tickets import STATUSES, TRANSITIONS, Ticket

pytestmark = pytest.mark.unit

CAL = BusinessCalendar("Europe/Berlin", {d: [(540, 1080)] for d in range(5)})
MONDAY_10 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
WINDOW = timedelta(days=7)
M = timedelta(minutes=1)


def policy(**over) -> SlaPolicy:
    data = {
        "name": "Standard",
        "position": 10,
        "first_response_minutes": 60,
        "next_response_minutes": 120,
        "resolution_minutes": 480,
        **over,
    }
    return SlaPolicy.create(data, now=MONDAY_10)


def ticket(now=MONDAY_10, category="question", sla=None, **over) -> Ticket:
    return Ticket.open(
        number="T-000001",
        customer_id="7b0e6a52-3f7d-4c1e-9a61-2f4f1f0f6d11",
        subject="Where is my order?",
        category=category,
        channel="email",
        policy=sla if sla is not None else policy(),
        calendar_id=None,
        calendar=CAL,
        warning_percent=80,
        now=now,
        **over,
    )


def recorded(tk: Ticket) -> list:
    return [e for _, e in tk.pull_events()]


# -- status machine --------------------------------------------------------------------------------


def test_a_new_ticket_records_opened_with_its_deadlines():
    tk = ticket()
    (opened,) = recorded(tk)
    assert isinstance(opened, events.TicketOpened)
    assert opened.first_response_due_at == MONDAY_10 + 60 * M
    assert opened.resolution_due_at == MONDAY_10 + 480 * M
    assert opened.ticket["status"] == "new" and opened.ticket["revision"] == 1


def test_every_change_gets_its_own_revision():
    tk = ticket()
    tk.assign(agent_id="a" * 36, group_id=None, method="manual", assigned_by=None, now=MONDAY_10)
    tk.agent_replied("c1", None, MONDAY_10 + 5 * M, CAL)
    tk.set_pending("photos", MONDAY_10 + 6 * M, CAL)
    revisions = [e.ticket["revision"] for e in recorded(tk)]
    assert revisions == [1, 2, 3, 4]
    assert tk.version == 4


@pytest.mark.parametrize("source", STATUSES)
@pytest.mark.parametrize("target", ["open", "pending", "on_hold", "resolved", "closed"])
def test_only_the_listed_transitions_are_allowed(source, target):
    tk = ticket()
    tk.status = source
    tk.resolved_at = MONDAY_10 if source == "resolved" else None
    actions = {
        "pending": lambda: tk.set_pending(None, MONDAY_10, CAL),
        "on_hold": lambda: tk.hold(None, MONDAY_10, CAL),
        "resolved": lambda: tk.resolve(None, MONDAY_10, CAL),
        "closed": lambda: tk.close("manual", MONDAY_10),
        "open": lambda: (
            tk.reopen(trigger="agent", reason=None, now=MONDAY_10, cal=CAL, window=WINDOW)
            if source == "resolved"
            else tk.resume(MONDAY_10, CAL)
        ),
    }
    allowed = target in TRANSITIONS[source] and not (source == "new" and target == "closed")
    if allowed:
        actions[target]()
        assert tk.status == target
    else:
        with pytest.raises(InvalidTransition):
            actions[target]()
        assert tk.status == source


def test_closed_is_final():
    tk = ticket()
    tk.resolve(None, MONDAY_10, CAL)
    tk.close("manual", MONDAY_10)
    for action in (
        lambda: tk.agent_replied("c", None, MONDAY_10, CAL),
        lambda: tk.customer_wrote(MONDAY_10, CAL, next_response_minutes=None, reopen_window=WINDOW),
        lambda: tk.assign(
            agent_id=None, group_id="g", method="manual", assigned_by=None, now=MONDAY_10
        ),
        lambda: tk.change({"priority": "high"}, MONDAY_10),
        lambda: tk.reopen(trigger="agent", reason=None, now=MONDAY_10, cal=CAL, window=WINDOW),
    ):
        with pytest.raises(InvalidTransition):
            action()


def test_reopen_only_within_the_window():
    tk = ticket()
    tk.resolve(None, MONDAY_10, CAL)
    with pytest.raises(InvalidTransition, match="more than 7 day"):
        tk.reopen(
            trigger="agent", reason=None, now=MONDAY_10 + timedelta(days=8), cal=CAL, window=WINDOW
        )
    tk.reopen(
        trigger="agent",
        reason="not fixed",
        now=MONDAY_10 + timedelta(days=6),
        cal=CAL,
        window=WINDOW,
    )
    assert tk.status == "open" and tk.reopened_count == 1


def test_a_customer_message_resumes_a_pending_ticket_and_reopens_a_resolved_one():
    tk = ticket()
    tk.set_pending(None, MONDAY_10, CAL)
    tk.customer_wrote(MONDAY_10 + M, CAL, next_response_minutes=120, reopen_window=WINDOW)
    assert tk.status == "open"
    tk.resolve(None, MONDAY_10 + 2 * M, CAL)
    tk.customer_wrote(MONDAY_10 + 3 * M, CAL, next_response_minutes=120, reopen_window=WINDOW)
    assert tk.status == "open" and tk.reopened_count == 1


def test_complaints_need_root_cause_and_corrective_action_to_be_resolved():
    tk = ticket(category="complaint")
    with pytest.raises(StateConflict, match="root cause"):
        tk.resolve(None, MONDAY_10, CAL)
    with pytest.raises(InvalidValue):
        tk.record_complaint(
            root_cause_category="delivery",
            root_cause=" ",
            corrective_action="x",
            recorded_by=None,
            now=MONDAY_10,
        )
    tk.record_complaint(
        root_cause_category="delivery",
        root_cause="Box too thin",
        corrective_action="Double-wall boxes",
        recorded_by=None,
        now=MONDAY_10,
    )
    tk.resolve(None, MONDAY_10, CAL)
    assert tk.status == "resolved"


def test_only_complaints_carry_a_root_cause():
    tk = ticket(category="question")
    with pytest.raises(StateConflict):
        tk.record_complaint(
            root_cause_category="delivery",
            root_cause="x",
            corrective_action="y",
            recorded_by=None,
            now=MONDAY_10,
        )


# -- SLA clocks on tickets -------------------------------------------------------------------------


def test_first_reply_meets_the_first_response_target_in_business_time():
    tk = ticket()
    tk.agent_replied("c1", None, MONDAY_10 + 45 * M, CAL)
    first = next(e for e in recorded(tk) if isinstance(e, events.TicketFirstResponded))
    assert first.met is True and first.business_seconds == 45 * 60
    assert tk.sla.clocks["first_response"].met is True


def test_pending_pauses_the_clocks_and_resuming_keeps_the_remaining_budget():
    tk = ticket()
    tk.agent_replied("c1", None, MONDAY_10 + 10 * M, CAL)
    tk.set_pending(None, MONDAY_10 + 60 * M, CAL)  # 60 business minutes spent
    resolution = tk.sla.clocks["resolution"]
    assert resolution.paused and resolution.due_at is None
    assert tk.sla_next_check_at is None
    # The customer answers the next day at 16:00 Berlin: 420 minutes are left.
    answer = datetime(2026, 1, 13, 15, 0, tzinfo=UTC)
    tk.customer_wrote(answer, CAL, next_response_minutes=120, reopen_window=WINDOW)
    assert resolution.running
    assert resolution.due_at == datetime(2026, 1, 14, 13, 0, tzinfo=UTC)  # 2h today + 5h
    assert CAL.between(answer, resolution.due_at) == 420 * M
    assert tk.sla.clocks["next_response"].due_at == datetime(2026, 1, 13, 17, 0, tzinfo=UTC)


def test_warning_and_breach_are_recorded_once_each():
    tk = ticket()
    recorded(tk)
    assert tk.sla_next_check_at == MONDAY_10 + 48 * M  # 80% of 60 minutes
    assert tk.check_sla(MONDAY_10 + 47 * M, CAL) == 0
    assert tk.check_sla(MONDAY_10 + 50 * M, CAL) == 1
    assert tk.check_sla(MONDAY_10 + 55 * M, CAL) == 0
    assert tk.check_sla(MONDAY_10 + 61 * M, CAL) == 1
    assert tk.check_sla(MONDAY_10 + 70 * M, CAL) == 0
    kinds = [type(e).__name__ for e in recorded(tk)]
    assert kinds == ["SlaWarned", "SlaBreached"]
    assert tk.sla.clocks["first_response"].breached and tk.sla_breached


def test_a_late_scan_publishes_the_breach_without_a_stale_warning():
    tk = ticket()
    recorded(tk)
    assert tk.check_sla(MONDAY_10 + 2 * 60 * M, CAL) == 1
    assert [type(e).__name__ for e in recorded(tk)] == ["SlaBreached"]


def test_a_reply_after_the_deadline_breaches_at_completion_once():
    tk = ticket()
    recorded(tk)
    tk.agent_replied("c1", None, MONDAY_10 + 90 * M, CAL)
    names = [type(e).__name__ for e in recorded(tk)]
    assert names == ["TicketFirstResponded", "SlaBreached"]
    assert tk.sla.clocks["first_response"].met is False


def test_next_response_cycles_restart_on_each_customer_message():
    tk = ticket()
    tk.agent_replied("c1", None, MONDAY_10 + M, CAL)
    tk.customer_wrote(MONDAY_10 + 2 * M, CAL, next_response_minutes=120, reopen_window=WINDOW)
    tk.agent_replied("c2", None, MONDAY_10 + 32 * M, CAL)
    tk.customer_wrote(MONDAY_10 + 40 * M, CAL, next_response_minutes=120, reopen_window=WINDOW)
    clock = tk.sla.clocks["next_response"]
    assert clock.cycle == 2 and clock.running
    assert [c.cycle for c in tk.sla.retired] == [1]
    responded = [e for e in recorded(tk) if isinstance(e, events.TicketResponded)]
    assert responded[0].cycle == 1 and responded[0].business_seconds == 30 * 60


def test_a_new_policy_keeps_the_time_already_spent():
    tk = ticket()
    urgent = policy(name="Urgent", first_response_minutes=30, resolution_minutes=120)
    tk.apply_policy(urgent, None, CAL, CAL, 80, MONDAY_10 + 20 * M)
    assert tk.sla.clocks["first_response"].due_at == MONDAY_10 + 30 * M
    assert tk.sla.clocks["resolution"].due_at == MONDAY_10 + 120 * M
    assert tk.sla.policy_name == "Urgent"


def test_resolving_judges_resolution_and_drops_unanswered_targets():
    tk = ticket()
    tk.resolve(None, MONDAY_10 + 30 * M, CAL)
    assert tk.sla_met() == {"first_response": None, "next_response": None, "resolution": True}
    assert tk.sla.clocks["first_response"].cancelled


def test_reopening_runs_the_resolution_clock_on_from_where_it_stopped():
    tk = ticket()
    tk.resolve(None, MONDAY_10 + 60 * M, CAL)
    tk.reopen(trigger="agent", reason=None, now=MONDAY_10 + 120 * M, cal=CAL, window=WINDOW)
    clock = tk.sla.clocks["resolution"]
    assert clock.running and clock.met is None
    assert clock.due_at == datetime(2026, 1, 13, 9, 0, tzinfo=UTC)  # 6h today, 1h tomorrow


# -- clocks and policies on their own --------------------------------------------------------------


def test_a_clock_without_target_measures_but_never_judges():
    clock = SlaClock.start("resolution", None, MONDAY_10, CAL, warning_percent=80)
    assert clock.due_at is None and clock.next_check_at() is None
    assert clock.checks_due(MONDAY_10 + timedelta(days=30)) == []
    clock.complete(MONDAY_10 + 90 * M, CAL)
    assert clock.met is None and clock.elapsed_us == 90 * 60 * 10**6


def test_policies_match_in_order_and_on_every_condition():
    vip = SlaPolicy.create(
        {
            "name": "VIP complaints",
            "position": 10,
            "conditions": {"categories": ["complaint"], "customer_tags": ["vip"]},
            "resolution_minutes": 60,
        },
        now=MONDAY_10,
    )
    gold = SlaPolicy.create(
        {
            "name": "Gold",
            "position": 20,
            "conditions": {"customer_tiers": ["Gold"], "channels": ["phone"]},
            "resolution_minutes": 120,
        },
        now=MONDAY_10,
    )
    fallback = SlaPolicy.create(
        {"name": "Any", "position": 99, "resolution_minutes": 999}, now=MONDAY_10
    )
    inactive = SlaPolicy.create(
        {"name": "Off", "position": 1, "active": False, "resolution_minutes": 1}, now=MONDAY_10
    )
    policies = [fallback, gold, vip, inactive]

    def match(**facts):
        base = {"priority": "normal", "category": "question", "channel": "email", "tier": None}
        return match_policy(policies, **{**base, **facts}).name

    assert match(category="complaint", tags=["VIP"]) == "VIP complaints"
    assert match(category="complaint", tags=["other"]) == "Any"
    assert match(tier="gold", channel="phone") == "Gold"
    assert match(tier="gold", channel="email") == "Any"


def test_policy_conditions_and_targets_are_validated():
    with pytest.raises(InvalidValue):
        Conditions.from_dict({"priorities": ["critical"]})
    with pytest.raises(InvalidValue):
        Conditions.from_dict({"weather": ["rain"]})
    with pytest.raises(InvalidValue):
        policy(warning_percent=100)
    with pytest.raises(InvalidValue):
        policy(survey_kind="csat", low_score_threshold=7)


def test_setting_pending_after_a_deadline_passed_still_records_the_breach():
    tk = ticket()
    recorded(tk)
    tk.set_pending("photos", MONDAY_10 + 90 * M, CAL)
    names = [type(e).__name__ for e in recorded(tk)]
    assert names == ["TicketPending", "SlaBreached"]
    assert tk.sla.clocks["first_response"].breached
    assert tk.check_sla(MONDAY_10 + 200 * M, CAL) == 0  # paused: nothing more to say
