"""One workflow's policy: the workspace role and a share together, swept over every workflow action,
role, share level, acting workspace and kind of caller.

Expectations are written from the README's sharing table (view reads; run also runs the published
version; edit also saves, tests drafts, publishes, activates and reads the delivery log; nothing a
share grants deletes, shares on, moves or un-archives), independently of SHARE_GRANTS.
"""

from __future__ import annotations

import pytest

from a2n.auth.policy import Action, Role, ShareLevel, WorkflowAccess, authorize_workflow
from a2n.auth.principal import Principal
from a2n.errors import Forbidden, NotFound

V, R, E = ShareLevel.VIEW, ShareLevel.RUN, ShareLevel.EDIT

# action → the least share level that allows it (None: no share ever does)
NEEDS: dict[Action, ShareLevel | None] = {
    Action.WORKFLOW_READ: V,
    Action.WORKFLOW_COMMENT: V,
    Action.WORKFLOW_EXECUTE: R,
    Action.WORKFLOW_WRITE: E,
    Action.WORKFLOW_EXECUTE_DRAFT: E,
    Action.WORKFLOW_PUBLISH: E,
    Action.WORKFLOW_ACTIVATE: E,
    Action.TRIGGER_DELIVERIES_READ: E,
    Action.WORKFLOW_DELETE: None,
    Action.WORKFLOW_SHARE: None,
    Action.WORKFLOW_ORGANISE: None,
}
RANK = {V: 1, R: 2, E: 3}


def session() -> Principal:
    return Principal(user_id="u", workspace_id="elsewhere", auth_type="jwt")


def api_key() -> Principal:
    scopes = frozenset({"workflows:read", "workflows:write", "executions:read", "executions:write"})
    return Principal(
        user_id="u", workspace_id="elsewhere", auth_type="api_key", scopes=scopes, api_key_id="k"
    )


def outcome(principal: Principal, access: WorkflowAccess, action: Action) -> str:
    try:
        authorize_workflow(principal, access, action)
    except NotFound:
        return "404"
    except Forbidden:
        return "403"
    return "ok"


@pytest.mark.parametrize("action", list(NEEDS))
@pytest.mark.parametrize("share", [None, V, R, E])
def test_an_outsider_holds_at_most_a_view_share_and_nothing_without_one(
    action: Action, share: ShareLevel | None
) -> None:
    access = WorkflowAccess(role=None, acting_there=False, share=share)
    needed = NEEDS[action]

    expected = "404" if share is None else ("ok" if needed is V else "403")
    assert outcome(session(), access, action) == expected


@pytest.mark.parametrize("action", list(NEEDS))
@pytest.mark.parametrize("share", [None, V, R, E])
@pytest.mark.parametrize("acting_there", [True, False])
def test_a_viewer_of_the_workspace_gains_what_the_share_level_allows(
    action: Action, share: ShareLevel | None, acting_there: bool
) -> None:
    access = WorkflowAccess(role=Role.VIEWER, acting_there=acting_there, share=share)
    needed = NEEDS[action]
    by_role = acting_there and action in (Action.WORKFLOW_READ, Action.WORKFLOW_COMMENT)
    by_share = share is not None and needed is not None and RANK[share] >= RANK[needed]

    if by_role or by_share:
        expected = "ok"
    elif not acting_there and share is None:
        expected = "404"  # acting elsewhere, the workflow is reachable only through a share
    else:
        expected = "403"
    assert outcome(session(), access, action) == expected


@pytest.mark.parametrize("action", list(NEEDS))
def test_a_member_acting_in_the_workspace_keeps_every_right_of_the_role(action: Action) -> None:
    access = WorkflowAccess(role=Role.MEMBER, acting_there=True, share=None)

    assert outcome(session(), access, action) == "ok"


@pytest.mark.parametrize("action", list(NEEDS))
def test_api_keys_never_use_shares(action: Action) -> None:
    outside = WorkflowAccess(role=Role.MEMBER, acting_there=False, share=E)

    assert outcome(api_key(), outside, action) == "404"


def test_the_refusal_names_the_level_the_action_needs() -> None:
    access = WorkflowAccess(role=None, acting_there=False, share=V)

    with pytest.raises(Forbidden) as refused:
        authorize_workflow(session(), WorkflowAccess(role=Role.VIEWER, acting_there=False, share=R),
                           Action.WORKFLOW_WRITE)  # fmt: skip
    assert "run share" in str(refused.value) and "needs edit" in str(refused.value)
    with pytest.raises(Forbidden) as role_only:
        authorize_workflow(session(), access, Action.WORKFLOW_DELETE)
    assert "role in the workspace" in str(role_only.value)
