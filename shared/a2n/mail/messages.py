"""What a mail job turns into: one rendered email per recipient, and the composer that makes them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.mail.templates import RenderedEmail


@dataclass(frozen=True)
class Outgoing:
    """One message to send: recipient and rendered email."""

    to: str
    email: RenderedEmail


# Composes a job's messages in the mail-sender's transaction, from the job's plain parameters.
Composer = Callable[["Session", Mapping[str, str]], list[Outgoing]]
