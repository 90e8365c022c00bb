"""DELETE /integrations/{name} - uninstall a package."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.integrations import uninstall_package

_handle = route(uninstall_package)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
