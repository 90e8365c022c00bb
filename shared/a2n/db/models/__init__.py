"""Every table of the schema (ARCHITECTURE §3), importable from one place.

Importing this package registers all tables on ``Base.metadata`` (Alembic relies on it).
"""

from a2n.db.base import Base
from a2n.db.models.accounts import (
    AccountToken,
    RateCounter,
    RecoveryCode,
    SecurityEvent,
    UserIdentity,
    UserSession,
)
from a2n.db.models.collaboration import (
    CredentialAttachment,
    CredentialShare,
    CredentialUsage,
    Notification,
    TemplateRating,
    TemplateStats,
    WorkflowComment,
    WorkflowTemplate,
)
from a2n.db.models.executions import Execution, ExecutionLog, ExecutionNodeState, OutboxMessage
from a2n.db.models.identity import (
    ApiKey,
    LoginThrottle,
    RefreshToken,
    RevokedSession,
    User,
    Workspace,
    WorkspaceMember,
    WorkspaceStartBucket,
)
from a2n.db.models.integrations import (
    IntegrationCollection,
    IntegrationInstall,
    IntegrationPackage,
    IntegrationPackageVersion,
    IntegrationPublisher,
    IntegrationReview,
    NodeTemplate,
    OAuth2ConnectState,
)
from a2n.db.models.notifications import NotificationChannel, NotificationDelivery, NotificationRule
from a2n.db.models.operations import (
    AuditLog,
    Credential,
    PollSeenItem,
    WebhookDeliveryRecord,
    WebhookReceipt,
)
from a2n.db.models.workflows import (
    Workflow,
    WorkflowFolder,
    WorkflowShare,
    WorkflowTrigger,
    WorkflowVersion,
)

__all__ = [
    "AccountToken",
    "ApiKey",
    "AuditLog",
    "Base",
    "Credential",
    "CredentialAttachment",
    "CredentialShare",
    "CredentialUsage",
    "Execution",
    "ExecutionLog",
    "ExecutionNodeState",
    "IntegrationCollection",
    "IntegrationInstall",
    "IntegrationPackage",
    "IntegrationPackageVersion",
    "IntegrationPublisher",
    "IntegrationReview",
    "LoginThrottle",
    "NodeDefinition",
    "NodeTemplate",
    "Notification",
    "NotificationChannel",
    "NotificationDelivery",
    "NotificationRule",
    "OAuth2ConnectState",
    "OutboxMessage",
    "PollSeenItem",
    "RateCounter",
    "RecoveryCode",
    "RefreshToken",
    "RevokedSession",
    "SecurityEvent",
    "TemplateRating",
    "TemplateStats",
    "User",
    "UserIdentity",
    "UserSession",
    "WebhookDeliveryRecord",
    "WebhookReceipt",
    "Workflow",
    "WorkflowComment",
    "WorkflowFolder",
    "WorkflowShare",
    "WorkflowTemplate",
    "WorkflowTrigger",
    "WorkflowVersion",
    "Workspace",
    "WorkspaceMember",
    "WorkspaceStartBucket",
]
