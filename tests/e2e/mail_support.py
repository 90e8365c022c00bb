"""Reading the local mailbox (``GET /dev/mailbox``, moto's SES) from e2e tests."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from e2e_support import ApiClient
from waiting import wait_until


def inbox(api: ApiClient, address: str) -> list[dict[str, Any]]:
    """Every message sent to ``address``, newest first."""
    answer = api.get(f"/dev/mailbox?to={quote(address)}", token="")
    assert answer.status == 200, answer.body
    return list(answer.json["items"])


def wait_for_mail(api: ApiClient, address: str, template: str, *, count: int = 1) -> dict[str, Any]:
    """The newest message of ``template`` to ``address`` once ``count`` of them have arrived."""

    def arrived() -> dict[str, Any] | None:
        found = [m for m in inbox(api, address) if m["template"] == template]
        return found[0] if len(found) >= count else None

    return wait_until(arrived, f"{template} mail #{count} to {address}")


def token_in(message: dict[str, Any]) -> str:
    """The token of the first link of ``message`` (``…?token=…``)."""
    for link in message["links"]:
        found = re.search(r"[?&#]token=([A-Za-z0-9_\-]+)", link)
        if found:
            return found.group(1)
    raise AssertionError(f"no token link in {message['links']}")
