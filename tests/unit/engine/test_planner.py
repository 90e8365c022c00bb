"""The planner over ASCII-drawn graphs: readiness, dead paths, joins, errors, completion."""

from __future__ import annotations

import pytest

from a2n.engine.planner import (
    Enqueue,
    NodeState,
    Outcome,
    plan_after,
    plan_cancel,
    plan_rerun_from,
    plan_timeout,
)
from a2n.engine.statuses import ExecutionStatus, IllegalTransition, NodeStatus

from .simulation import Simulation
from .test_backoff import FixedDraw


def test_linear_flow_passes_each_output_as_the_next_input_and_ends_with_the_last() -> None:
    # GIVEN  trigger ──► a ──► b
    run = Simulation("trigger > a > b")
    # WHEN
    started = run.start({"order": 1})
    # THEN
    assert started.enqueue == (Enqueue("a", 1),)
    assert run.inputs["a"] == {"order": 1}
    assert run.succeed("a", "A").queued == ("b",)
    assert run.inputs["b"] == "A"
    assert run.end is None
    run.succeed("b", "B")
    assert run.end is not None and run.end.status is ExecutionStatus.SUCCEEDED and run.end.output == "B"


def test_diamond_join_fires_once_with_both_outputs() -> None:
    # GIVEN
    #   trigger ──► a ──► c
    #          └──► b ──┘
    run = Simulation("trigger > a > c; trigger > b > c")
    assert run.start().queued == ("a", "b")
    # WHEN a finishes first, c keeps waiting for b
    assert run.succeed("a", 1).queued == ()
    # THEN when b finishes, c is queued exactly once with both outputs
    assert run.succeed("b", 2).queued == ("c",)
    assert run.inputs["c"] == {"a": 1, "b": 2}
    run.succeed("c", 3)
    assert run.end is not None and run.end.output == 3


def test_condition_skips_the_untaken_branch_and_the_skip_propagates() -> None:
    # GIVEN
    #   trigger ──► cond ─true─► yes ──► after_yes
    #                    └false► no
    run = Simulation("trigger > cond.true > yes > after_yes; cond.false > no")
    run.start()
    # WHEN the condition takes `false`
    plan = run.succeed("cond", {"v": 1}, "false")
    # THEN the true side is skipped transitively, the false side runs with the condition's output
    assert plan.queued == ("no",)
    assert run.status_of("yes", "after_yes") == ["SKIPPED", "SKIPPED"]
    assert run.inputs["no"] == {"v": 1}


def test_join_whose_every_input_is_dead_is_skipped_and_the_execution_completes() -> None:
    # GIVEN
    #   trigger ──► cond ─true─► x ──► join ──► tail
    #                    └true─► y ──┘
    run = Simulation("trigger > cond.true > x > join > tail; cond.true > y > join")
    run.start("in")
    # WHEN
    run.succeed("cond", "in", "false")
    # THEN
    assert run.status_of("x", "y", "join", "tail") == ["SKIPPED"] * 4
    assert run.end is not None and run.end.status is ExecutionStatus.SUCCEEDED
    assert run.end.output == "in"  # the condition is the only succeeded leaf


def test_skip_through_a_join_with_one_live_branch_still_runs_the_join() -> None:
    # GIVEN
    #   trigger ──► cond ─true──► x ──► join
    #                    └false─► y ──┘
    run = Simulation("trigger > cond.true > x > join; cond.false > y > join")
    run.start()
    run.succeed("cond", None, "true")
    # WHEN x finishes (y is skipped)
    plan = run.succeed("x", "X")
    # THEN the join runs with the single live input, unwrapped
    assert run.states["y"].status is NodeStatus.SKIPPED
    assert plan.queued == ("join",)
    assert run.inputs["join"] == "X"


def test_switch_routes_to_the_named_handle_or_the_default() -> None:
    # GIVEN
    #   trigger ──► switch ─gold──► vip
    #                      ├other─► normal
    #                      └fallback► rest
    picture = "trigger > switch.gold > vip; switch.other > normal; switch.fallback > rest"
    run = Simulation(picture)
    run.start()
    # WHEN no case matched and the switch took its default handle
    plan = run.succeed("switch", {"tier": "?"}, "fallback")
    # THEN
    assert plan.queued == ("rest",)
    assert run.status_of("vip", "normal") == ["SKIPPED", "SKIPPED"]


def test_error_output_routes_the_failure_to_the_error_handle() -> None:
    # GIVEN
    #   trigger ──► call ──────► ok
    #                  └error──► handler
    run = Simulation("trigger > call > ok; call.error > handler", call={"onError": "errorOutput"})
    run.start()
    # WHEN
    plan = run.fail("call", "HTTP 500")
    # THEN
    assert plan.queued == ("handler",)
    assert run.states["ok"].status is NodeStatus.SKIPPED
    assert run.states["call"].status is NodeStatus.SUCCEEDED
    assert run.inputs["handler"] == {"error": {"message": "HTTP 500"}}


def test_success_makes_the_error_handle_dead() -> None:
    run = Simulation("trigger > call > ok; call.error > handler", call={"onError": "errorOutput"})
    run.start()
    assert run.succeed("call", 1).queued == ("ok",)
    assert run.states["handler"].status is NodeStatus.SKIPPED


def test_continue_on_fail_succeeds_with_the_error_as_output() -> None:
    # GIVEN  trigger ──► flaky ──► next
    run = Simulation("trigger > flaky > next", flaky={"onError": "continue"})
    run.start()
    # WHEN
    run.fail("flaky", "timeout")
    # THEN
    assert run.states["flaky"].status is NodeStatus.SUCCEEDED
    assert run.inputs["next"] == {"error": {"message": "timeout"}}
    run.succeed("next", "done")
    assert run.end is not None and run.end.status is ExecutionStatus.SUCCEEDED


def test_failure_cancels_what_has_not_started_and_fails_the_execution() -> None:
    # GIVEN
    #   trigger ──► a ──► a2
    #          ├──► b ──► b2
    #          └──► c
    run = Simulation("trigger > a > a2; trigger > b > b2; trigger > c")
    run.start()
    run.claim("c")  # c is RUNNING in another Lambda when a fails
    # WHEN
    plan = run.fail("a", "boom")
    # THEN
    assert run.status_of("a", "a2", "b", "b2", "c") == [
        "FAILED",
        "CANCELLED",
        "CANCELLED",
        "CANCELLED",
        "RUNNING",
    ]
    assert plan.finished is not None and plan.finished.status is ExecutionStatus.FAILED
    assert plan.finished.error == {"nodeId": "a", "message": "boom", "attempt": 1}
    # AND the running node's result is recorded but starts nothing
    late = run.succeed("c", "C")
    assert (late.queued, late.finished) == ((), None)
    assert run.states["c"].status is NodeStatus.SUCCEEDED


def test_retry_requeues_with_backoff_until_attempts_run_out() -> None:
    # GIVEN  trigger ──► call   (3 attempts, 100 ms doubling, full jitter)
    retry = {"maxAttempts": 3, "initialDelayMs": 100, "maxDelayMs": 10_000}
    run = Simulation("trigger > call", call={"retry": retry})
    run.start()
    # WHEN the first two attempts fail
    first = run.fail("call", attempt=1)
    run.claim("call")
    second = run.complete(Outcome.failed("call", {"message": "again"}, attempt=2), rng=FixedDraw(0.999))
    # THEN each is re-queued with the next attempt and a delay within the jitter ceiling
    assert first.enqueue[0].attempt == 2 and 0 <= first.enqueue[0].delay_ms < 100
    assert second.enqueue == (Enqueue("call", 3, 199),)
    assert run.states["call"].attempt == 3 and run.end is None
    # AND the third failure is final
    run.claim("call")
    run.complete(Outcome.failed("call", {"message": "last"}, attempt=3))
    assert run.end is not None and run.end.status is ExecutionStatus.FAILED


def test_merge_append_concatenates_arrays_and_first_fires_once() -> None:
    # GIVEN
    #   trigger ──► a ──► merge_all
    #          ├──► b ──┘
    #          └──► c ──► merge_first ◄── a
    run = Simulation(
        "trigger > a > merge_all; trigger > b > merge_all; trigger > c > merge_first; a > merge_first",
        merge_all={"config": {"mode": "append"}},
        merge_first={"config": {"mode": "first"}},
    )
    run.start()
    # WHEN c arrives first at merge_first, it runs at once with c's output
    assert run.succeed("c", "C").queued == ("merge_first",)
    assert run.inputs["merge_first"] == "C"
    # THEN a's later arrival does not re-run it; append waits for both
    assert run.succeed("a", [1, 2]).queued == ()
    assert run.succeed("b", 3).queued == ("merge_all",)
    assert run.inputs["merge_all"] == [1, 2, 3]


def test_waiting_node_holds_the_execution_open_until_resumed() -> None:
    run = Simulation("trigger > wait > after")
    run.start()
    run.claim("wait")
    run.complete(Outcome.waiting("wait"))
    assert run.states["wait"].status is NodeStatus.WAITING and run.end is None
    run.complete(Outcome.succeeded("wait", {"resumedAt": "t"}))
    assert run.inputs["after"] == {"resumedAt": "t"}


def test_several_leaves_give_an_output_keyed_by_node_and_other_triggers_are_skipped() -> None:
    # GIVEN  trigger ──► a      hook ──► b
    #               └──► b
    run = Simulation("trigger > a; trigger > b; hook > b", hook={"type": "trigger.webhook"})
    plan = run.start("x")
    assert plan.status_of("hook") is NodeStatus.SKIPPED
    run.succeed("a", "A")
    run.succeed("b", "B")
    assert run.end is not None and run.end.output == {"a": "A", "b": "B"}


def test_trigger_only_workflow_finishes_at_start_with_the_trigger_data() -> None:
    run = Simulation("trigger", trigger={})
    plan = run.start({"k": 1})
    assert plan.finished is not None and plan.finished.output == {"k": 1}


def test_cancel_stops_everything_not_running_and_timeout_reports_itself() -> None:
    run = Simulation("trigger > a > b; trigger > c")
    run.start()
    run.claim("a")
    plan = plan_cancel(run.graph, run.states)
    assert {c.node_id: c.status for c in plan.changes} == {"b": "CANCELLED", "c": "CANCELLED"}
    assert plan.finished is not None and plan.finished.status is ExecutionStatus.CANCELLED
    timed_out = plan_timeout(run.graph, run.states)
    assert timed_out.finished is not None and timed_out.finished.status is ExecutionStatus.TIMED_OUT


def test_rerun_from_a_failed_node_reuses_upstream_outputs() -> None:
    # GIVEN a finished run
    #   trigger ──► a ──► b ──► c
    #          └──► side
    run = Simulation("trigger > a > b > c; trigger > side")
    run.start("T")
    run.succeed("a", "A")
    run.succeed("side", "S")
    run.fail("b")
    # WHEN re-running from b
    rerun = plan_rerun_from(run.graph, run.states, "b")
    # THEN trigger and a are reused as they were; b starts with a's output; side runs again
    assert set(rerun.reused) == {"trigger", "a"}
    assert rerun.reused["a"].output == "A"
    assert rerun.plan.queued == ("side", "b")  # topological order
    assert {c.node_id: c.input for c in rerun.plan.changes} == {"b": "A", "side": "T"}


def test_completing_a_node_that_is_not_running_is_a_bug() -> None:
    run = Simulation("trigger > a")
    run.start()
    states = {**run.states, "a": NodeState(status=NodeStatus.SUCCEEDED)}
    with pytest.raises(IllegalTransition):
        plan_after(run.graph, states, Outcome.succeeded("a", 1))


def test_a_non_retryable_failure_skips_the_remaining_attempts_and_fails_the_execution() -> None:
    # GIVEN  trigger ──► call ──► next   (call: 5 attempts, onError fail)
    run = Simulation("trigger > call > next", call={"retry": {"maxAttempts": 5}})
    run.start()
    # WHEN the first attempt fails with a 404 (another attempt would fail the same way)
    plan = run.complete(Outcome.failed("call", {"message": "HTTP 404", "retryable": False}))
    # THEN nothing is re-queued: the node fails at attempt 1 and so does the execution
    assert plan.enqueue == ()
    assert run.status_of("call", "next") == ["FAILED", "CANCELLED"]
    assert run.states["call"].attempt == 1
    assert run.end is not None and run.end.status is ExecutionStatus.FAILED
    assert run.end.error == {"nodeId": "call", "message": "HTTP 404", "attempt": 1}


@pytest.mark.parametrize(("on_error", "handle_target"), [("continue", "next"), ("errorOutput", "handler")])
def test_a_non_retryable_failure_goes_straight_to_its_on_error_route(
    on_error: str, handle_target: str
) -> None:
    # GIVEN  trigger ──► call ──► next
    #                    └─error─► handler        (call: 3 attempts)
    retry = {"maxAttempts": 3}
    run = Simulation(
        "trigger > call > next; call.error > handler", call={"retry": retry, "onError": on_error}
    )
    run.start()
    # WHEN
    plan = run.complete(Outcome.failed("call", {"message": "bad config", "retryable": False}))
    # THEN the onError route runs now, on attempt 1
    assert plan.queued == (handle_target,)
    assert run.states["call"].status is NodeStatus.SUCCEEDED and run.states["call"].attempt == 1


def test_a_retryable_failure_or_one_that_does_not_say_is_retried() -> None:
    # GIVEN  trigger ──► a      trigger ──► b   (2 attempts each)
    run = Simulation(
        "trigger > a; trigger > b", a={"retry": {"maxAttempts": 2}}, b={"retry": {"maxAttempts": 2}}
    )
    run.start()
    # WHEN
    first = run.complete(Outcome.failed("a", {"message": "HTTP 503", "retryable": True}))
    second = run.complete(Outcome.failed("b", {"message": "worker crashed"}))
    # THEN
    assert (first.queued, second.queued) == (("a",), ("b",))
