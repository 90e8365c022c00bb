"""PUT /credentials/{id} — rename, replace data or change expiry."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.credentials import replace_credential

_handle = route(replace_credential)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
