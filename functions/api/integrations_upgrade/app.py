"""PUT /integrations/{name} - upgrade a package and re-pin its workflows."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.integrations import upgrade_package

_handle = route(upgrade_package)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
