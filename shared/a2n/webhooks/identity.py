"""Which provider delivery a webhook request is: the id a sender keeps across its own retries.

Stripe retries an event with a fresh timestamp and signature but the same event ``id``; GitHub's
"Redeliver" resends the same ``X-GitHub-Delivery``; Slack resends the same ``event_id`` (adding
``X-Slack-Retry-Num``); Standard Webhooks resends the same signed ``webhook-id``. Pure: the caller
decides when an id may be trusted (after the signature is verified) and stores it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_DELIVERY_ID = 200

# Header-borne ids can be read before authentication (for the owner's delivery log).
_HEADER_IDS = {"github": "x-github-delivery", "standard-webhooks": "webhook-id"}
# Body-borne ids are signed with the body; they are read only from a verified, parsed JSON body.
_BODY_IDS = {"stripe": "id", "slack": "event_id"}


def claimed_delivery_id(preset: str | None, headers: Mapping[str, str]) -> str | None:
    """The delivery id a request's headers claim, verified or not: for the log, never to dedupe."""
    name = _HEADER_IDS.get(preset or "")
    return _usable(headers.get(name)) if name else None


def provider_delivery_id(preset: str | None, headers: Mapping[str, str], body: Any) -> str | None:
    """The provider's id of an authenticated delivery, or None when the provider sends none (the
    generic preset, a Slack slash command, a Stripe body without ``id``). ``body`` is the parsed
    trigger body (a dict for JSON)."""
    if preset in _HEADER_IDS:
        return claimed_delivery_id(preset, headers)
    if preset in _BODY_IDS and isinstance(body, Mapping):
        return _usable(body.get(_BODY_IDS[preset]))
    return None


def _usable(value: object) -> str | None:
    # An id we would store and compare: a short printable string (anything else is not an id).
    if isinstance(value, str) and 0 < len(value) <= MAX_DELIVERY_ID and value.isprintable():
        return value
    return None
