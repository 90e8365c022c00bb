"""The authorization policy, swept over every action x role x kind of caller.

The expectations are written from API.md's role text (VIEWER reads; MEMBER also writes workflows
and credentials and executes; ADMIN also manages members; OWNER also deletes the workspace),
independently of ``RULES``, so a wrong table entry fails here.
"""

from __future__ import annotations

import pytest

from a2n.auth.policy import (
    ROUTE_ACTIONS,
    RULES,
    Action,
    Role,
    Scope,
    authorize,
    effective_scopes,
    is_allowed,
    scopes_for_role,
)
from a2n.auth.principal import Principal
from a2n.db.enums import WorkspaceRole
from a2n.errors import Forbidden, NotFound

V, M, A, OW = Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER
S = Scope

# action -> (least role, scope an API key needs; "session" = no API key at all; None = any key)
EXPECTED: dict[Action, tuple[Role | None, Scope | str | None]] = {
    Action.USER_READ: (None, None),
    Action.CATALOG_READ: (None, None),
    Action.WORKSPACE_CREATE: (None, "session"),
    Action.WORKSPACE_LIST: (None, None),
    Action.API_KEY_MANAGE: (V, "session"),
    Action.WORKSPACE_READ: (V, None),
    Action.WORKSPACE_ADMIN: (A, S.WORKSPACES_ADMIN),
    Action.API_KEY_ADMIN: (A, S.WORKSPACES_ADMIN),
    Action.WORKSPACE_DELETE: (OW, S.WORKSPACES_ADMIN),
    Action.AUDIT_READ: (A, S.WORKSPACES_ADMIN),
    Action.WORKFLOW_READ: (V, S.WORKFLOWS_READ),
    Action.WORKFLOW_WRITE: (M, S.WORKFLOWS_WRITE),
    Action.WORKFLOW_DELETE: (M, S.WORKFLOWS_WRITE),
    Action.WORKFLOW_ACTIVATE: (M, S.WORKFLOWS_WRITE),
    Action.TRIGGER_DELIVERIES_READ: (M, S.WORKFLOWS_READ),  # editors; reading needs no write scope
    Action.WORKFLOW_EXECUTE: (M, S.EXECUTIONS_WRITE),
    Action.WORKFLOW_PUBLISH: (M, S.WORKFLOWS_WRITE),
    Action.WORKFLOW_EXECUTE_DRAFT: (M, S.EXECUTIONS_WRITE),
    Action.WORKFLOW_SHARE: (M, "session"),
    Action.SHARED_WITH_ME_READ: (None, "session"),
    Action.WORKFLOW_COMMENT: (V, S.WORKFLOWS_READ),
    Action.INBOX: (None, "session"),
    Action.CREDENTIAL_SHARE: (M, "session"),
    Action.TEMPLATE_PUBLISH: (M, S.WORKFLOWS_WRITE),
    Action.TEMPLATE_RATE: (None, "session"),
    Action.TEMPLATE_REVIEW: (None, "session"),
    Action.NOTIFICATION_SETTINGS: (V, "session"),
    Action.NOTIFICATION_WORKSPACE: (A, "session"),
    Action.WORKFLOW_ORGANISE: (M, S.WORKFLOWS_WRITE),
    Action.FOLDER_READ: (V, S.WORKFLOWS_READ),
    Action.FOLDER_WRITE: (M, S.WORKFLOWS_WRITE),
    Action.EXECUTION_READ: (V, S.EXECUTIONS_READ),
    Action.EXECUTION_CANCEL: (M, S.EXECUTIONS_WRITE),
    Action.EXECUTION_RETRY: (M, S.EXECUTIONS_WRITE),
    Action.EXECUTION_RESUME: (M, S.EXECUTIONS_WRITE),
    Action.EXECUTION_DELETE: (M, S.EXECUTIONS_WRITE),
    Action.CREDENTIAL_READ: (V, S.CREDENTIALS_READ),
    Action.CREDENTIAL_WRITE: (M, S.CREDENTIALS_WRITE),
    Action.CREDENTIAL_DELETE: (M, S.CREDENTIALS_WRITE),
    Action.ACCOUNT_MANAGE: (None, "session"),
    Action.PLATFORM_ADMIN: (None, "session"),
    Action.INTEGRATION_READ: (V, S.WORKFLOWS_READ),
    Action.INTEGRATION_MANAGE: (A, S.WORKSPACES_ADMIN),  # installing decides where workflows may call
    Action.INTEGRATION_REVIEW: (M, S.WORKFLOWS_WRITE),  # a rating is a person's
}

RANK = {V: 1, M: 2, A: 3, OW: 4}
ALL_SCOPES = frozenset(s.value for s in Scope)


def session() -> Principal:
    return Principal(user_id="u", workspace_id="w", auth_type="jwt")


def api_key(scopes: frozenset[str]) -> Principal:
    return Principal(user_id="u", workspace_id="w", auth_type="api_key", scopes=scopes, api_key_id="k")


def outcome(principal: Principal, role: Role | None, action: Action) -> str:
    try:
        authorize(principal, role, action)
    except NotFound:
        return "404"
    except Forbidden:
        return "403"
    return "ok"


def test_the_expectation_table_covers_every_action() -> None:
    assert set(EXPECTED) == set(Action) == set(RULES)


CASES = [(action, role) for action in Action for role in [None, *Role]]


@pytest.mark.parametrize(("action", "role"), CASES, ids=[f"{a.value}-{r}" for a, r in CASES])
def test_sessions_are_decided_by_role_alone(action: Action, role: Role | None) -> None:
    least, _ = EXPECTED[action]
    if least is None:
        expected = "ok"
    elif role is None:
        expected = "404"
    else:
        expected = "ok" if RANK[role] >= RANK[least] else "403"
    assert outcome(session(), role, action) == expected


@pytest.mark.parametrize(("action", "role"), CASES, ids=[f"{a.value}-{r}" for a, r in CASES])
def test_api_keys_need_both_the_role_and_the_scope(action: Action, role: Role | None) -> None:
    least, key_rule = EXPECTED[action]
    with_all = outcome(api_key(ALL_SCOPES), role, action)
    with_none = outcome(api_key(frozenset()), role, action)
    if least is not None and role is None:
        assert with_all == with_none == "404"  # not a member: the object does not exist
    elif least is not None and role is not None and RANK[role] < RANK[least]:
        assert with_all == with_none == "403"  # all scopes cannot lift a key above its user's role
    elif key_rule == "session":
        assert with_all == with_none == "403"
    elif key_rule is None:
        assert with_all == with_none == "ok"
    else:
        assert with_all == "ok" and with_none == "403"
        assert isinstance(key_rule, Scope)
        only_that = outcome(api_key(frozenset({key_rule.value})), role, action)
        all_but = outcome(api_key(ALL_SCOPES - {key_rule.value}), role, action)
        assert (only_that, all_but) == ("ok", "403")


def test_a_viewers_key_with_write_scopes_still_cannot_write() -> None:
    key = api_key(ALL_SCOPES)
    assert not is_allowed(key, Role.VIEWER, Action.WORKFLOW_WRITE)
    assert effective_scopes(key, Role.VIEWER) == scopes_for_role(Role.VIEWER)


def test_scopes_for_role_grow_with_the_role_and_match_the_api_md_list() -> None:
    assert {s.value for s in scopes_for_role(V)} == {"workflows:read", "executions:read", "credentials:read"}
    assert scopes_for_role(V) < scopes_for_role(M) < scopes_for_role(A) == scopes_for_role(OW)
    assert {s.value for s in scopes_for_role(OW)} == ALL_SCOPES


def test_every_scoped_action_is_within_its_least_roles_scopes() -> None:
    # Otherwise a session of exactly that role would pass the role check but lack the scope.
    for rule in RULES.values():
        if rule.min_role is not None and rule.scope is not None:
            assert rule.scope in scopes_for_role(rule.min_role)


def test_roles_use_the_database_vocabulary() -> None:
    assert {r.value for r in Role} == {r.value for r in WorkspaceRole}


# Every authenticated route in API.md's tables (the public ones are /health, /openapi.json,
# /auth/* and /webhooks/*); DELETE /workspaces/{id} is the OWNER action its role text implies.
API_MD_ROUTES = {
    "GET /me",
    "POST /api-keys",
    "GET /api-keys",
    "DELETE /api-keys/{id}",
    "POST /workspaces",
    "GET /workspaces",
    "GET /workspaces/{id}",
    "POST /workspaces/{id}/members",
    "PATCH /workspaces/{id}/members/{userId}",
    "DELETE /workspaces/{id}/members/{userId}",
    "POST /workflows",
    "GET /workflows",
    "GET /workflows/{id}",
    "PUT /workflows/{id}",
    "DELETE /workflows/{id}",
    "POST /workflows/{id}/activate",
    "POST /workflows/{id}/deactivate",
    "GET /workflows/{id}/versions",
    "GET /workflows/{id}/versions/{version}",
    "POST /workflows/{id}/versions/{version}/restore",
    "POST /workflows/{id}/execute",
    "GET /workflows/{id}/export",
    "POST /workflows/import",
    "POST /workflows/validate",
    "GET /executions",
    "GET /executions/{id}",
    "GET /executions/{id}/logs",
    "POST /executions/{id}/cancel",
    "POST /executions/{id}/retry",
    "POST /executions/{id}/resume",
    "DELETE /executions/{id}",
    "POST /credentials",
    "GET /credentials",
    "GET /credentials/{id}",
    "PUT /credentials/{id}",
    "DELETE /credentials/{id}",
    "GET /audit-logs",
    "GET /templates",
    "GET /node-types",
}


# Routes added to the first specification (docs/decisions.md).
ADDED_ROUTES = {
    "DELETE /workspaces/{id}",
    "GET /workspaces/{id}/api-keys",
    "DELETE /workspaces/{id}/api-keys/{keyId}",
    "GET /workflows/{id}/triggers/{nodeId}/deliveries",
    "POST /executions/{id}/resume-token",
    # Collaboration (docs/collaboration.md)
    "PATCH /workflows/{id}",
    "POST /workflows/{id}/publish",
    "POST /workflows/{id}/unarchive",
    "POST /folders",
    "GET /folders",
    "PATCH /folders/{id}",
    "DELETE /folders/{id}",
    "POST /me/email/verification",
    "POST /me/password",
    "POST /me/email",
    "POST /me/2fa/totp",
    "POST /me/2fa/totp/confirm",
    "POST /me/2fa/totp/disable",
    "GET /me/sessions",
    "DELETE /me/sessions/{id}",
    "DELETE /me/sessions",
    "GET /me/security-events",
    "PATCH /workspaces/{id}/policies",
    "PATCH /me",
    "GET /me/export",
    "DELETE /me",
    "GET /admin/users",
    "POST /admin/users/{id}/deactivate",
    "POST /admin/users/{id}/reactivate",
    "POST /admin/users/{id}/password-reset",
    # Issue 14: a workspace's integration packages.
    "GET /integrations",
    "POST /integrations",
    "GET /integrations/{name}/upgrade",
    "PUT /integrations/{name}",
    "DELETE /integrations/{name}",
    "GET /marketplace/manifest-schema",
    "GET /node-templates",
    "POST /credentials/{id}/oauth2/authorize",
    "POST /node-templates",
    "GET /node-templates/{id}",
    "DELETE /node-templates/{id}",
    "POST /marketplace/packages",
    "GET /marketplace/packages",
    "GET /marketplace/packages/{name}",
    "GET /marketplace/packages/{name}/reviews",
    "PUT /marketplace/packages/{name}/reviews/mine",
    "GET /marketplace/collections",
    "GET /admin/marketplace/versions",
    "POST /admin/marketplace/packages/{name}/versions/{version}/decision",
    "PUT /admin/marketplace/publishers/{name}",
    "PUT /admin/marketplace/collections/{slug}",
    "POST /workflows/{id}/shares",
    "GET /workflows/{id}/shares",
    "PATCH /workflows/{id}/shares/{shareId}",
    "DELETE /workflows/{id}/shares/{shareId}",
    "GET /shared-with-me",
    "POST /workflows/{id}/comments",
    "GET /workflows/{id}/comments",
    "PATCH /workflows/{id}/comments/{commentId}",
    "DELETE /workflows/{id}/comments/{commentId}",
    "GET /notifications",
    "GET /notifications/unread-count",
    "POST /notifications/{id}/read",
    "POST /notifications/read-all",
    "POST /notification-channels",
    "GET /notification-channels",
    "PATCH /notification-channels/{id}",
    "DELETE /notification-channels/{id}",
    "GET /notification-channels/{id}/deliveries",
    "POST /notification-rules",
    "GET /notification-rules",
    "DELETE /notification-rules/{id}",
    "GET /templates/{id}",
    "POST /credentials/{id}/shares",
    "GET /credentials/{id}/shares",
    "DELETE /credentials/{id}/shares/{shareId}",
    "GET /credentials/{id}/usage",
    "POST /templates",
    "DELETE /templates/{id}",
    "PUT /templates/{id}/rating",
    "POST /templates/{id}/review",
}


def test_every_authenticated_route_of_api_md_has_an_action() -> None:
    assert set(ROUTE_ACTIONS) == API_MD_ROUTES | ADDED_ROUTES
