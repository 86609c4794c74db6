"""Stopping a call server without cutting its calls: the drain that SIGTERM starts.

On the first SIGTERM the server stops taking calls (``/ready`` answers 503 ``draining``, ``/twiml`` 503 so Twilio
uses the number's fallback URL, a new ``/ws`` is refused) and lets the calls in progress end by themselves, for at
most ``timeout_s``; then it stops, and a call still live at that deadline is cut and recorded ``server_stopped``.
A second SIGTERM, or SIGINT (Ctrl+C), stops at once as uvicorn does: every call is cut, ``server_stopped``.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from functools import wraps
from types import FrameType

import uvicorn
from loguru import logger

from telephony.routes import StreamHandler


class Drain:
    """Whether the server still takes calls, and how many it is running. Times are ``time.monotonic`` seconds,
    passed in (``now``) so that tests decide them."""

    def __init__(self, timeout_s: float):
        self.timeout_s = timeout_s
        self.live = 0  # calls whose stream handler is running
        self.deadline: float | None = None  # set when the drain begins

    @property
    def draining(self) -> bool:
        return self.deadline is not None

    def accepting_calls(self) -> bool:
        """For the telephony router: False once the drain has begun."""
        return self.deadline is None

    def begin(self, now: float) -> None:
        if self.deadline is None:
            self.deadline = now + self.timeout_s
            logger.warning(
                f"draining: no new calls; {self.live} call(s) in progress may run for {self.timeout_s:g} s more"
            )

    def over(self, now: float) -> bool:
        """The drain has begun and either every call has ended or the deadline has passed."""
        return self.deadline is not None and (self.live == 0 or now >= self.deadline)

    def describe(self, now: float) -> str:
        if self.deadline is None:
            return f"taking calls ({self.live} in progress)"
        return f"{self.live} call(s) in progress; stopping in at most {max(0.0, self.deadline - now):.0f} s"

    def track(self, handler: StreamHandler) -> StreamHandler:
        """``handler`` counting the calls it runs, so the drain knows when the last one has ended."""

        @wraps(handler)
        async def tracked(websocket, start) -> None:
            self.live += 1
            try:
                await handler(websocket, start)
            finally:
                self.live -= 1

        return tracked


class DrainingServer(uvicorn.Server):
    """uvicorn, draining on the first SIGTERM instead of stopping at once.

    The drain is checked on uvicorn's own tick (every 0.1 s); once it is over, uvicorn's graceful shutdown runs
    as it would have on the signal. ``on_cut`` is told before the server stops with calls still live (the call
    runner then records them ``server_stopped`` rather than hung up by the caller).
    """

    def __init__(self, config: uvicorn.Config, drain: Drain, on_cut: Callable[[], None],
                 clock: Callable[[], float] = time.monotonic):  # fmt: skip
        super().__init__(config)
        self.drain = drain
        self.on_cut = on_cut
        self.clock = clock

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGTERM and not self.drain.draining and not self.should_exit:
            self.drain.begin(self.clock())
            return
        self.on_cut()  # a second signal, or Ctrl+C: stop now
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if not self.should_exit and self.drain.over(self.clock()):
            if self.drain.live:
                logger.warning(f"drain deadline reached: cutting {self.drain.live} call(s) in progress")
                self.on_cut()
            else:
                logger.info("drained: every call has ended; stopping")
            self.should_exit = True
        return await super().on_tick(counter)
