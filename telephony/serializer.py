"""Pipecat's Twilio serializer, made tolerant of bad input and aware of ``mark`` and ``stop``."""

from __future__ import annotations

from collections.abc import Callable

from loguru import logger
from pipecat.frames.frames import Frame
from pipecat.serializers.twilio import TwilioFrameSerializer

from telephony.protocol import Dtmf, Mark, Media, ProtocolError, Stop, parse_message


class CallSerializer(TwilioFrameSerializer):
    """Skips (and counts) malformed messages instead of failing the call; reports marks and stops.

    With ``hang_up`` and Twilio credentials, the end of the pipeline hangs the call up through Twilio's
    REST API (pipecat's behaviour); the simulator and local tests run without it.
    """

    def __init__(
        self,
        *,
        stream_sid: str,
        call_sid: str | None = None,
        account_sid: str | None = None,
        auth_token: str | None = None,
        hang_up: bool = False,
        on_mark: Callable[[str], None] | None = None,
        on_stop: Callable[[], None] | None = None,
    ):
        super().__init__(
            stream_sid=stream_sid,
            call_sid=call_sid,
            account_sid=account_sid if hang_up else None,
            auth_token=auth_token if hang_up else None,
            params=TwilioFrameSerializer.InputParams(auto_hang_up=hang_up),
        )
        self.errors = 0
        self.marks: list[str] = []
        self.stopped = False
        self._on_mark = on_mark
        self._on_stop = on_stop

    async def deserialize(self, data: str | bytes) -> Frame | None:
        try:
            message = parse_message(data)
        except ProtocolError as exc:
            self.errors += 1
            logger.warning(f"stream {self._stream_sid}: skipped a bad message ({exc}): {str(data)[:120]!r}")
            return None
        if isinstance(message, Media):
            if not message.payload:
                return None
            return await super().deserialize(data)
        if isinstance(message, Dtmf):
            return await super().deserialize(data)
        if isinstance(message, Mark):
            self.marks.append(message.name)
            if self._on_mark:
                self._on_mark(message.name)
        elif isinstance(message, Stop):
            self.stopped = True
            logger.info(f"stream {self._stream_sid}: Twilio sent stop")
            if self._on_stop:
                self._on_stop()
        return None
