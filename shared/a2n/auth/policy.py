"""The one place that decides who may do what: workspace role, action and API-key scope, and for
one workflow, its role and share together.

Routes look up the caller's role in the target workspace and call ``authorize`` (or, for a
workflow, its access and ``authorize_workflow``); no route compares roles, scopes or share levels
itself. Not a member and no share means the object "does not exist" (404, §10).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from a2n.auth.api_keys import Scope
from a2n.auth.principal import Principal
from a2n.db.enums import ShareLevel
from a2n.errors import Forbidden, NotFound

__all__ = [
    "ROUTE_ACTIONS",
    "RULES",
    "SHARE_GRANTS",
    "Action",
    "Role",
    "Rule",
    "Scope",
    "ShareLevel",
    "WorkflowAccess",
    "authorize",
    "authorize_workflow",
    "scopes_for_role",
]


class Role(StrEnum):
    """Workspace roles, same text as the database's ``workspace_members.role``."""

    VIEWER = "VIEWER"
    MEMBER = "MEMBER"
    ADMIN = "ADMIN"
    OWNER = "OWNER"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANKS = {Role.VIEWER: 1, Role.MEMBER: 2, Role.ADMIN: 3, Role.OWNER: 4}


class Action(StrEnum):
    USER_READ = "user.read"
    CATALOG_READ = "catalog.read"
    WORKSPACE_CREATE = "workspace.create"
    WORKSPACE_LIST = "workspace.list"
    WORKSPACE_READ = "workspace.read"
    WORKSPACE_ADMIN = "workspace.admin"
    WORKSPACE_DELETE = "workspace.delete"
    API_KEY_MANAGE = "api_key.manage"
    API_KEY_ADMIN = "api_key.admin"
    WORKFLOW_READ = "workflow.read"
    WORKFLOW_WRITE = "workflow.write"
    WORKFLOW_DELETE = "workflow.delete"
    WORKFLOW_ACTIVATE = "workflow.activate"
    TRIGGER_DELIVERIES_READ = "trigger.deliveries.read"
    WORKFLOW_EXECUTE = "workflow.execute"
    # A manual test run of the draft head: an editor's tool.
    WORKFLOW_EXECUTE_DRAFT = "workflow.execute_draft"
    WORKFLOW_SHARE = "workflow.share"
    WORKFLOW_COMMENT = "workflow.comment"
    INBOX = "inbox"
    CREDENTIAL_SHARE = "credential.share"
    TEMPLATE_PUBLISH = "template.publish"
    TEMPLATE_RATE = "template.rate"
    TEMPLATE_REVIEW = "template.review"
    SHARED_WITH_ME_READ = "shared_with_me.read"
    WORKFLOW_PUBLISH = "workflow.publish"
    # Moving a workflow between the workspace's folders, un-archiving it.
    WORKFLOW_ORGANISE = "workflow.organise"
    FOLDER_READ = "folder.read"
    FOLDER_WRITE = "folder.write"
    EXECUTION_READ = "execution.read"
    EXECUTION_CANCEL = "execution.cancel"
    EXECUTION_RETRY = "execution.retry"
    EXECUTION_RESUME = "execution.resume"
    EXECUTION_DELETE = "execution.delete"
    CREDENTIAL_READ = "credential.read"
    CREDENTIAL_WRITE = "credential.write"
    CREDENTIAL_DELETE = "credential.delete"
    AUDIT_READ = "audit.read"
    ACCOUNT_MANAGE = "account.manage"
    PLATFORM_ADMIN = "platform.admin"
    INTEGRATION_READ = "integration.read"
    INTEGRATION_MANAGE = "integration.manage"
    INTEGRATION_REVIEW = "integration.review"
    NOTIFICATION_SETTINGS = "notification.settings"
    NOTIFICATION_WORKSPACE = "notification.workspace"


@dataclass(frozen=True)
class Rule:
    """``min_role`` None: not workspace-bound (any signed-in caller). ``scope`` None: any API key
    may do it. ``api_keys`` False: sessions only."""

    min_role: Role | None
    scope: Scope | None
    api_keys: bool = True


_V, _M, _A, _O = Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER

RULES: dict[Action, Rule] = {
    Action.USER_READ: Rule(None, None),
    # The caller's own account (password, address, two-factor, sessions, security feed): people only.
    Action.ACCOUNT_MANAGE: Rule(None, None, api_keys=False),
    # Platform administration: people only; the service checks the caller is a platform admin.
    Action.PLATFORM_ADMIN: Rule(None, None, api_keys=False),
    Action.CATALOG_READ: Rule(None, None),
    # Workspaces and keys outlive the key that would create them: a leaked key must not mint more.
    Action.WORKSPACE_CREATE: Rule(None, None, api_keys=False),
    Action.WORKSPACE_LIST: Rule(None, None),
    Action.API_KEY_MANAGE: Rule(_V, None, api_keys=False),
    # Seeing and revoking every member's keys is member management: ADMIN+, admin-scoped keys too.
    Action.API_KEY_ADMIN: Rule(_A, Scope.WORKSPACES_ADMIN),
    Action.WORKSPACE_READ: Rule(_V, None),
    Action.WORKSPACE_ADMIN: Rule(_A, Scope.WORKSPACES_ADMIN),
    Action.WORKSPACE_DELETE: Rule(_O, Scope.WORKSPACES_ADMIN),
    Action.AUDIT_READ: Rule(_A, Scope.WORKSPACES_ADMIN),
    Action.WORKFLOW_READ: Rule(_V, Scope.WORKFLOWS_READ),
    Action.WORKFLOW_WRITE: Rule(_M, Scope.WORKFLOWS_WRITE),
    Action.WORKFLOW_DELETE: Rule(_M, Scope.WORKFLOWS_WRITE),
    Action.WORKFLOW_ACTIVATE: Rule(_M, Scope.WORKFLOWS_WRITE),
    # The workflow's editors debug its webhooks (why a sender got 401); viewers need not see senders.
    Action.TRIGGER_DELIVERIES_READ: Rule(_M, Scope.WORKFLOWS_READ),
    Action.WORKFLOW_EXECUTE: Rule(_M, Scope.EXECUTIONS_WRITE),
    Action.WORKFLOW_EXECUTE_DRAFT: Rule(_M, Scope.EXECUTIONS_WRITE),
    Action.WORKFLOW_PUBLISH: Rule(_M, Scope.WORKFLOWS_WRITE),
    # A share hands access to people: a leaked API key must not be able to give a workflow away.
    Action.WORKFLOW_SHARE: Rule(_M, Scope.WORKFLOWS_WRITE, api_keys=False),
    Action.SHARED_WITH_ME_READ: Rule(None, None, api_keys=False),
    # Viewers comment too (unless the workspace says otherwise): reviewing is part of reading, so a
    # key with workflows:read may comment.
    Action.WORKFLOW_COMMENT: Rule(_V, Scope.WORKFLOWS_READ),
    # A user's notifications come from every workspace they belong to; a key is bound to one.
    Action.INBOX: Rule(None, None, api_keys=False),
    # Lending a credential to people: never through an API key (a leaked key must not spread it).
    Action.CREDENTIAL_SHARE: Rule(_M, Scope.CREDENTIALS_WRITE, api_keys=False),
    Action.TEMPLATE_PUBLISH: Rule(_M, Scope.WORKFLOWS_WRITE),
    Action.TEMPLATE_RATE: Rule(None, None, api_keys=False),
    # Platform admins are users, not workspace roles: the service checks the flag; never a key.
    Action.TEMPLATE_REVIEW: Rule(None, None, api_keys=False),
    # Channels and rules send things out of the platform: people only, never a (leakable) API key.
    # Anyone of the workspace has their own; the workspace's are its ADMINs'.
    Action.NOTIFICATION_SETTINGS: Rule(_V, None, api_keys=False),
    Action.NOTIFICATION_WORKSPACE: Rule(_A, None, api_keys=False),
    Action.WORKFLOW_ORGANISE: Rule(_M, Scope.WORKFLOWS_WRITE),
    Action.FOLDER_READ: Rule(_V, Scope.WORKFLOWS_READ),
    Action.FOLDER_WRITE: Rule(_M, Scope.WORKFLOWS_WRITE),
    Action.EXECUTION_READ: Rule(_V, Scope.EXECUTIONS_READ),
    Action.EXECUTION_CANCEL: Rule(_M, Scope.EXECUTIONS_WRITE),
    Action.EXECUTION_RETRY: Rule(_M, Scope.EXECUTIONS_WRITE),
    Action.EXECUTION_RESUME: Rule(_M, Scope.EXECUTIONS_WRITE),
    Action.EXECUTION_DELETE: Rule(_M, Scope.EXECUTIONS_WRITE),
    Action.CREDENTIAL_READ: Rule(_V, Scope.CREDENTIALS_READ),
    Action.CREDENTIAL_WRITE: Rule(_M, Scope.CREDENTIALS_WRITE),
    Action.CREDENTIAL_DELETE: Rule(_M, Scope.CREDENTIALS_WRITE),
    Action.INTEGRATION_READ: Rule(_V, Scope.WORKFLOWS_READ),
    # Installing decides which hosts the workspace's workflows may reach: member management's level.
    Action.INTEGRATION_MANAGE: Rule(_A, Scope.WORKSPACES_ADMIN),
    # A rating is a person's: members and up, keys that may write workflows.
    Action.INTEGRATION_REVIEW: Rule(_M, Scope.WORKFLOWS_WRITE),
}

_ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.VIEWER: frozenset({Scope.WORKFLOWS_READ, Scope.EXECUTIONS_READ, Scope.CREDENTIALS_READ}),
}
_ROLE_SCOPES[Role.MEMBER] = _ROLE_SCOPES[Role.VIEWER] | {
    Scope.WORKFLOWS_WRITE,
    Scope.EXECUTIONS_WRITE,
    Scope.CREDENTIALS_WRITE,
}
_ROLE_SCOPES[Role.ADMIN] = _ROLE_SCOPES[Role.MEMBER] | {Scope.WORKSPACES_ADMIN}
_ROLE_SCOPES[Role.OWNER] = _ROLE_SCOPES[Role.ADMIN]


def scopes_for_role(role: Role) -> frozenset[Scope]:
    """Every scope a JWT session of ``role`` has; also the ceiling of that member's API keys."""
    return _ROLE_SCOPES[role]


def effective_scopes(principal: Principal, role: Role | None) -> frozenset[Scope]:
    """Sessions get their role's scopes; API keys the intersection of theirs and their role's."""
    if role is None:
        return frozenset()
    if not principal.is_api_key:
        return scopes_for_role(role)
    return frozenset(s for s in scopes_for_role(role) if s.value in principal.scopes)


def authorize(principal: Principal, role: Role | None, action: Action) -> None:
    """Return if allowed; NotFound if not a member of the workspace; Forbidden otherwise."""
    rule = RULES[action]
    if rule.min_role is not None:
        if role is None:
            raise NotFound()
        if not role.at_least(rule.min_role):
            raise Forbidden(f"Requires the {rule.min_role.value} role or higher")
    if principal.is_api_key:
        if not rule.api_keys:
            raise Forbidden("Not allowed with an API key; sign in instead")
        if rule.scope is not None and rule.scope not in effective_scopes(principal, role):
            raise Forbidden(f"API key lacks the {rule.scope.value} scope")


def is_allowed(principal: Principal, role: Role | None, action: Action) -> bool:
    try:
        authorize(principal, role, action)
    except (Forbidden, NotFound):
        return False
    return True


# --- one workflow: role and share ---------------------------------------------------------------------

# What a share of each level lets its holder do on that one workflow. Anything absent (deleting,
# sharing it on, moving it between the workspace's folders, un-archiving, publishing it as a
# template) stays with the workspace role.
SHARE_GRANTS: dict[Action, ShareLevel] = {
    Action.WORKFLOW_READ: ShareLevel.VIEW,
    Action.WORKFLOW_COMMENT: ShareLevel.VIEW,
    Action.WORKFLOW_EXECUTE: ShareLevel.RUN,
    Action.WORKFLOW_WRITE: ShareLevel.EDIT,
    Action.WORKFLOW_EXECUTE_DRAFT: ShareLevel.EDIT,
    Action.WORKFLOW_PUBLISH: ShareLevel.EDIT,
    Action.WORKFLOW_ACTIVATE: ShareLevel.EDIT,
    Action.TRIGGER_DELIVERIES_READ: ShareLevel.EDIT,
}


@dataclass(frozen=True)
class WorkflowAccess:
    """The caller's standing toward one workflow. ``role``: in the workflow's workspace (None when not
    a member); ``acting_there``: the request acts in that workspace; ``share``: the best live share
    for the caller (their own, or the workspace-wide one when they are a member)."""

    role: Role | None
    acting_there: bool
    share: ShareLevel | None

    @property
    def share_level(self) -> ShareLevel | None:
        """The share as it counts: outside the workflow's workspace only ``view`` (a run there would
        use the owner workspace's credentials; an edit could attach them): README "Sharing"."""
        if self.share is None or self.role is not None:
            return self.share
        return ShareLevel.VIEW


def authorize_workflow(principal: Principal, access: WorkflowAccess, action: Action) -> None:
    """Return if the role (when acting in the workflow's workspace) or a share allows ``action``;
    NotFound when the caller has no standing at all; Forbidden when it has some, but not enough.
    API keys act by role and scope in their own workspace only: shares are for people."""
    role = access.role if access.acting_there else None
    try:
        authorize(principal, role, action)
        return
    except (Forbidden, NotFound) as refused:
        level = None if principal.is_api_key else access.share_level
        if level is None:
            raise
        needed = SHARE_GRANTS.get(action)
        if needed is not None and level.rank >= needed.rank:
            return
        if isinstance(refused, Forbidden) and role is not None:
            raise
        if needed is None:
            raise Forbidden("A share does not allow this: it takes a role in the workspace") from None
        raise Forbidden(
            f"Your {level.value} share of this workflow does not allow this; it needs {needed.value}"
        ) from None


# Every authenticated route of API.md and the action it needs; routes call authorize with these.
ROUTE_ACTIONS: dict[str, Action] = {
    "GET /me": Action.USER_READ,
    "POST /api-keys": Action.API_KEY_MANAGE,
    "GET /api-keys": Action.API_KEY_MANAGE,
    "DELETE /api-keys/{id}": Action.API_KEY_MANAGE,
    "POST /workspaces": Action.WORKSPACE_CREATE,
    "GET /workspaces": Action.WORKSPACE_LIST,
    "GET /workspaces/{id}": Action.WORKSPACE_READ,
    "POST /workspaces/{id}/members": Action.WORKSPACE_ADMIN,
    "PATCH /workspaces/{id}/members/{userId}": Action.WORKSPACE_ADMIN,
    "DELETE /workspaces/{id}/members/{userId}": Action.WORKSPACE_ADMIN,
    "DELETE /workspaces/{id}": Action.WORKSPACE_DELETE,
    "GET /workspaces/{id}/api-keys": Action.API_KEY_ADMIN,
    "DELETE /workspaces/{id}/api-keys/{keyId}": Action.API_KEY_ADMIN,
    "POST /workflows": Action.WORKFLOW_WRITE,
    "GET /workflows": Action.WORKFLOW_READ,
    "GET /workflows/{id}": Action.WORKFLOW_READ,
    "PUT /workflows/{id}": Action.WORKFLOW_WRITE,
    "PATCH /workflows/{id}": Action.WORKFLOW_WRITE,
    "POST /workflows/{id}/publish": Action.WORKFLOW_PUBLISH,
    "POST /workflows/{id}/unarchive": Action.WORKFLOW_ORGANISE,
    "POST /folders": Action.FOLDER_WRITE,
    "GET /folders": Action.FOLDER_READ,
    "PATCH /folders/{id}": Action.FOLDER_WRITE,
    "DELETE /folders/{id}": Action.FOLDER_WRITE,
    "POST /workflows/{id}/shares": Action.WORKFLOW_SHARE,
    "GET /workflows/{id}/shares": Action.WORKFLOW_SHARE,
    "PATCH /workflows/{id}/shares/{shareId}": Action.WORKFLOW_SHARE,
    "DELETE /workflows/{id}/shares/{shareId}": Action.WORKFLOW_SHARE,
    "GET /shared-with-me": Action.SHARED_WITH_ME_READ,
    "POST /workflows/{id}/comments": Action.WORKFLOW_COMMENT,
    "GET /workflows/{id}/comments": Action.WORKFLOW_READ,
    "PATCH /workflows/{id}/comments/{commentId}": Action.WORKFLOW_COMMENT,
    "DELETE /workflows/{id}/comments/{commentId}": Action.WORKFLOW_READ,
    "GET /notifications": Action.INBOX,
    "GET /notifications/unread-count": Action.INBOX,
    "POST /notifications/{id}/read": Action.INBOX,
    "POST /notifications/read-all": Action.INBOX,
    "DELETE /workflows/{id}": Action.WORKFLOW_DELETE,
    "POST /workflows/{id}/activate": Action.WORKFLOW_ACTIVATE,
    "POST /workflows/{id}/deactivate": Action.WORKFLOW_ACTIVATE,
    "GET /workflows/{id}/triggers/{nodeId}/deliveries": Action.TRIGGER_DELIVERIES_READ,
    "GET /workflows/{id}/versions": Action.WORKFLOW_READ,
    "GET /workflows/{id}/versions/{version}": Action.WORKFLOW_READ,
    "POST /workflows/{id}/versions/{version}/restore": Action.WORKFLOW_WRITE,
    "POST /workflows/{id}/execute": Action.WORKFLOW_EXECUTE,
    "GET /workflows/{id}/export": Action.WORKFLOW_READ,
    "POST /workflows/import": Action.WORKFLOW_WRITE,
    # Validation stores nothing, but it resolves credential references: editors' tool.
    "POST /workflows/validate": Action.WORKFLOW_WRITE,
    "GET /executions": Action.EXECUTION_READ,
    "GET /executions/{id}": Action.EXECUTION_READ,
    "GET /executions/{id}/logs": Action.EXECUTION_READ,
    "POST /executions/{id}/cancel": Action.EXECUTION_CANCEL,
    "POST /executions/{id}/retry": Action.EXECUTION_RETRY,
    "POST /executions/{id}/resume": Action.EXECUTION_RESUME,
    "POST /executions/{id}/resume-token": Action.EXECUTION_RESUME,
    "DELETE /executions/{id}": Action.EXECUTION_DELETE,
    "POST /credentials": Action.CREDENTIAL_WRITE,
    "GET /credentials": Action.CREDENTIAL_READ,
    "GET /credentials/{id}": Action.CREDENTIAL_READ,
    "PUT /credentials/{id}": Action.CREDENTIAL_WRITE,
    "DELETE /credentials/{id}": Action.CREDENTIAL_DELETE,
    "GET /audit-logs": Action.AUDIT_READ,
    "GET /templates": Action.CATALOG_READ,
    "POST /credentials/{id}/shares": Action.CREDENTIAL_SHARE,
    "GET /credentials/{id}/shares": Action.CREDENTIAL_SHARE,
    "DELETE /credentials/{id}/shares/{shareId}": Action.CREDENTIAL_SHARE,
    "GET /credentials/{id}/usage": Action.CREDENTIAL_READ,
    "GET /templates/{id}": Action.CATALOG_READ,
    "POST /templates": Action.TEMPLATE_PUBLISH,
    "DELETE /templates/{id}": Action.TEMPLATE_PUBLISH,
    "PUT /templates/{id}/rating": Action.TEMPLATE_RATE,
    "POST /templates/{id}/review": Action.TEMPLATE_REVIEW,
    "POST /notification-channels": Action.NOTIFICATION_SETTINGS,
    "GET /notification-channels": Action.NOTIFICATION_SETTINGS,
    "PATCH /notification-channels/{id}": Action.NOTIFICATION_SETTINGS,
    "DELETE /notification-channels/{id}": Action.NOTIFICATION_SETTINGS,
    "GET /notification-channels/{id}/deliveries": Action.NOTIFICATION_SETTINGS,
    "POST /notification-rules": Action.NOTIFICATION_SETTINGS,
    "GET /notification-rules": Action.NOTIFICATION_SETTINGS,
    "DELETE /notification-rules/{id}": Action.NOTIFICATION_SETTINGS,
    "GET /node-types": Action.CATALOG_READ,
    # Issue 12: the caller's own account, and a workspace's member policies.
    "POST /me/email/verification": Action.ACCOUNT_MANAGE,
    "POST /me/password": Action.ACCOUNT_MANAGE,
    "POST /me/email": Action.ACCOUNT_MANAGE,
    "POST /me/2fa/totp": Action.ACCOUNT_MANAGE,
    "POST /me/2fa/totp/confirm": Action.ACCOUNT_MANAGE,
    "POST /me/2fa/totp/disable": Action.ACCOUNT_MANAGE,
    "GET /me/sessions": Action.ACCOUNT_MANAGE,
    "DELETE /me/sessions/{id}": Action.ACCOUNT_MANAGE,
    "DELETE /me/sessions": Action.ACCOUNT_MANAGE,
    "GET /me/security-events": Action.ACCOUNT_MANAGE,
    "PATCH /workspaces/{id}/policies": Action.WORKSPACE_ADMIN,
    "PATCH /me": Action.ACCOUNT_MANAGE,
    "GET /me/export": Action.ACCOUNT_MANAGE,
    "DELETE /me": Action.ACCOUNT_MANAGE,
    "GET /admin/users": Action.PLATFORM_ADMIN,
    "POST /admin/users/{id}/deactivate": Action.PLATFORM_ADMIN,
    "POST /admin/users/{id}/reactivate": Action.PLATFORM_ADMIN,
    "POST /admin/users/{id}/password-reset": Action.PLATFORM_ADMIN,
    "GET /integrations": Action.INTEGRATION_READ,
    "POST /integrations": Action.INTEGRATION_MANAGE,
    "GET /integrations/{name}/upgrade": Action.INTEGRATION_READ,
    "PUT /integrations/{name}": Action.INTEGRATION_MANAGE,
    "DELETE /integrations/{name}": Action.INTEGRATION_MANAGE,
    "POST /credentials/{id}/oauth2/authorize": Action.CREDENTIAL_WRITE,
    "GET /node-templates": Action.WORKFLOW_READ,
    "POST /node-templates": Action.WORKFLOW_WRITE,
    "GET /node-templates/{id}": Action.WORKFLOW_READ,
    "DELETE /node-templates/{id}": Action.WORKFLOW_WRITE,
    "GET /marketplace/manifest-schema": Action.CATALOG_READ,
    "POST /marketplace/packages": Action.INTEGRATION_MANAGE,
    "GET /marketplace/packages": Action.INTEGRATION_READ,
    "GET /marketplace/packages/{name}": Action.INTEGRATION_READ,
    "GET /marketplace/packages/{name}/reviews": Action.INTEGRATION_READ,
    "PUT /marketplace/packages/{name}/reviews/mine": Action.INTEGRATION_REVIEW,
    "GET /marketplace/collections": Action.INTEGRATION_READ,
    "GET /admin/marketplace/versions": Action.PLATFORM_ADMIN,
    "POST /admin/marketplace/packages/{name}/versions/{version}/decision": Action.PLATFORM_ADMIN,
    "PUT /admin/marketplace/publishers/{name}": Action.PLATFORM_ADMIN,
    "PUT /admin/marketplace/collections/{slug}": Action.PLATFORM_ADMIN,
}
