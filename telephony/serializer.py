"""Pipecat's Twilio serializer, made tolerant of bad input and aware of ``mark`` and ``stop``.

Pipecat's ``TwilioFrameSerializer.deserialize`` raises on invalid base64 and silently drops ``mark`` and
``stop``. Here every inbound message is validated first (``telephony.protocol``): bad ones are logged,
counted in ``errors`` and skipped; mark echoes and stop are reported through callbacks.
"""

from __future__ import annotations

from collections.abc import Callable

from loguru import logger
from pipecat.frames.frames import Frame
from pipecat.serializers.twilio import TwilioFrameSerializer

from telephony.protocol import Dtmf, Mark, Media, ProtocolError, Stop, parse_message


class CallSerializer(TwilioFrameSerializer):
    """Twilio serializer that skips (and counts) malformed messages and reports marks and stops.

    ``hang_up=True`` keeps pipecat's auto hang-up: at the pipeline's End/Cancel it POSTs
    ``Status=completed`` to the Twilio REST API (``base_url`` points it elsewhere, e.g. a fake in tests).
    That needs ``call_sid``, ``account_sid`` and ``auth_token`` (or an API key pair); pipecat raises
    ``ValueError`` naming what is missing. With ``hang_up=False`` (simulator, local runs) the call ends by
    closing the socket and credentials are not needed.
    """

    def __init__(
        self,
        *,
        stream_sid: str,
        call_sid: str | None = None,
        account_sid: str | None = None,
        auth_token: str | None = None,
        hang_up: bool = False,
        base_url: str | None = None,
        region: str | None = None,
        edge: str | None = None,
        api_key_sid: str | None = None,
        api_key_secret: str | None = None,
        sample_rate: int | None = None,
        on_mark: Callable[[str], None] | None = None,
        on_stop: Callable[[], None] | None = None,
    ):
        super().__init__(
            stream_sid=stream_sid,
            call_sid=call_sid,
            account_sid=account_sid,
            auth_token=auth_token if hang_up else None,
            region=region,
            edge=edge,
            base_url=base_url,
            params=TwilioFrameSerializer.InputParams(auto_hang_up=hang_up, sample_rate=sample_rate),
            api_key_sid=api_key_sid if hang_up else None,
            api_key_secret=api_key_secret if hang_up else None,
        )
        if sample_rate:  # known up front (pipecat would learn it at setup from the pipeline)
            self._sample_rate = sample_rate
        self.errors = 0  # malformed messages skipped
        self.marks: list[str] = []  # mark echoes, in order: the prompts the caller has heard to the end
        self.stopped = False
        self.on_mark = on_mark
        self.on_stop = on_stop
        self._hang_up = hang_up

    def keep_call_up(self, keep: bool = True) -> None:
        """The call was handed to someone else (its TwiML replaced): ending the stream must not hang it up."""
        self._params.auto_hang_up = self._hang_up and not keep

    async def deserialize(self, data: str | bytes) -> Frame | None:
        try:
            message = parse_message(data)
        except ProtocolError as exc:
            self.errors += 1
            logger.warning(f"stream {self._stream_sid}: skipped a bad message ({exc}): {str(data)[:120]!r}")
            return None
        if isinstance(message, Media):
            if not message.payload or message.track not in ("inbound", "inbound_track"):
                return None
            return await super().deserialize(data)
        if isinstance(message, Dtmf):
            logger.info(f"stream {self._stream_sid}: DTMF {message.digit}")
            return await super().deserialize(data)
        if isinstance(message, Mark):
            self.marks.append(message.name)
            self._notify(self.on_mark, message.name)
        elif isinstance(message, Stop):
            self.stopped = True
            logger.info(f"stream {self._stream_sid}: Twilio sent stop (the call ended)")
            self._notify(self.on_stop)
        return None

    def _notify(self, callback: Callable[..., None] | None, *args: str) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:
            logger.exception(f"stream {self._stream_sid}: serializer callback failed")
