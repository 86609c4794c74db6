"""TwiML that connects a call's audio to our media websocket."""

from __future__ import annotations

from twilio.twiml.voice_response import Connect, VoiceResponse


def stream_twiml(ws_url: str, parameters: dict[str, str]) -> str:
    """``<Response><Connect><Stream url=…>`` with each parameter as ``<Parameter>`` (they arrive in ``start``)."""
    response = VoiceResponse()
    connect = Connect()
    stream = connect.stream(url=ws_url)
    for name, value in parameters.items():
        stream.parameter(name=name, value=value)
    response.append(connect)
    return str(response)
