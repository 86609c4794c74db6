"""A local stand-in for the part of Twilio's REST API a live call uses: updating a call (``Calls/{sid}.json``).

``Twiml=…`` replaces the call's TwiML: the simulated phone with that call SID ends its media stream as
Twilio does and records where a ``<Dial>`` put it through (``PhoneSimulator.redirect``). ``Status=completed``
hangs the call up (pipecat's hang-up at the end of a dialog). Point the agent at it with
``CARECALL_TWILIO_API_URL`` (its ``url``); every request is kept in ``requests`` for tests to read.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

_CALL = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/Calls/(?P<sid>CA\w+)\.json$")


class RedirectablePhone(Protocol):
    """``telephony.simulator.phone.PhoneSimulator``."""

    def redirect(self, twiml: str) -> None: ...


@dataclass(frozen=True)
class ApiRequest:
    method: str
    call_sid: str
    form: dict[str, str]


class FakeTwilioApi:
    """``with FakeTwilioApi() as api: api.attach(call_sid, phone) …``; ``api.url`` is its base URL."""

    def __init__(self) -> None:
        self.requests: list[ApiRequest] = []
        self._phones: dict[str, RedirectablePhone] = {}
        self._status: dict[str, str] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeTwilioApi:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def attach(self, call_sid: str, phone: RedirectablePhone) -> None:
        """Route updates of ``call_sid`` to this simulated phone."""
        with self._lock:
            self._phones[call_sid] = phone
            self._status[call_sid] = "in-progress"

    def updates(self, call_sid: str) -> list[dict[str, str]]:
        return [r.form for r in self.requests if r.call_sid == call_sid and r.method == "POST"]

    def _update(self, account: str, sid: str, form: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            self.requests.append(ApiRequest("POST", sid, form))
            phone = self._phones.get(sid)
            status = self._status.get(sid)
            if phone is None or status != "in-progress":  # Twilio: 404 unknown, 21220 not in progress
                code = 20404 if phone is None else 21220
                return 404 if phone is None else 400, {"code": code, "message": "call is not in progress",
                                                       "status": 404 if phone is None else 400}  # fmt: skip
            if form.get("Status") == "completed":
                self._status[sid] = "completed"
        if "Twiml" in form:
            phone.redirect(form["Twiml"])
        return 200, {"sid": sid, "account_sid": account, "status": self._status[sid]}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                match = _CALL.match(urlsplit(self.path).path)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if match is None:
                    return self._reply(404, {"code": 20404, "message": "not found", "status": 404})
                self._reply(*api._update(match["account"], match["sid"], form))

            def _reply(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
