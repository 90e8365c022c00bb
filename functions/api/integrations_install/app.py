"""POST /integrations - install a package pinned to a version."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.integrations import install_package

_handle = route(install_package)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
