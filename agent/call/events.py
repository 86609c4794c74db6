"""A call's public events: what the back office (live dashboard, notifications, the demo) hears of a call,
without importing the pipeline that runs it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CallEvent:
    """Something worth showing live: a turn, the start or the end of a call, flags newly stored."""

    kind: str  # started | agent | caller | flagged (data: {"rules": [...]}, once stored with their alerts) | ended
    call_id: str
    text: str = ""
    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


CallListener = Callable[[CallEvent], Awaitable[None]]


def new_call_sid() -> str:
    """A Twilio-shaped call SID for calls that do not come from Twilio (the simulator)."""
    return "CA" + uuid.uuid4().hex
