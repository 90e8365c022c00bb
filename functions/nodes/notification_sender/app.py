"""The notification-sender function: SQS batches from NotificationQueue, each naming deliveries to try
(email through SES, Slack incoming webhooks, Standard-Webhooks-signed posts); failures are reported
per record so the queue retries them, and recorded in each channel's delivery log.
"""

from typing import Any

from a2n.observability import get_logger

logger = get_logger()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from a2n.services.notification_delivery import deliver_notification_batch

    return deliver_notification_batch(event, context)
