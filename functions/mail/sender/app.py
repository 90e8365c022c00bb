"""The mail-sender function: SQS batches of mail jobs from MailQueue, each composed and sent via SES.

Records are handled one by one; a job SES refused is reported failed and retried by the queue.
"""

from typing import Any

from a2n.observability import get_logger

logger = get_logger()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from a2n.services.mail import deliver_mail_batch

    return deliver_mail_batch(event, context)
