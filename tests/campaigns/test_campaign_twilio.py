"""The Twilio placer against a local fake of Twilio's REST API (the real ``twilio`` Client, its requests sent
to a local HTTP server), with the test playing Twilio's signed callbacks into the campaign router."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from agent.campaigns.runtime import backend, run_embedded
from agent.campaigns.service import CampaignService
from agent.campaigns.twilio_placer import TwilioPlacer
from agent.campaigns.twilio_routes import make_campaign_router
from agent.campaigns.waiters import Waiters
from agent.settings import Settings
from agent.store import CallStore

ACCOUNT = "AC" + "1" * 32
TOKEN = "secret-token"
PUBLIC = "https://agent.example.org"


class FakeTwilio:
    """Enough of api.twilio.com: create, fetch and update Calls; every created call is handed to the test."""

    def __init__(self) -> None:
        self.created: queue.Queue[dict] = queue.Queue()
        self.calls: dict[str, dict] = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _reply(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                path = urlsplit(self.path).path
                if path == f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json":
                    sid = "CA" + uuid.uuid4().hex
                    fake.calls[sid] = {"sid": sid, "status": "queued", "account_sid": ACCOUNT, "to": form["To"][0]}
                    fake.created.put({"sid": sid, **form})
                    return self._reply(201, fake.calls[sid])
                sid = path.rsplit("/", 1)[-1].removesuffix(".json")
                fake.calls[sid]["status"] = form["Status"][0]
                return self._reply(200, fake.calls[sid])

            def do_GET(self) -> None:
                sid = urlsplit(self.path).path.rsplit("/", 1)[-1].removesuffix(".json")
                if sid not in fake.calls:
                    return self._reply(404, {"code": 20404, "message": "not found", "status": 404})
                return self._reply(200, fake.calls[sid])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def client(self) -> Client:
        base = self.url

        class Local(TwilioHttpClient):
            def request(self, method, url, *args, **kwargs):
                return super().request(method, url.replace("https://api.twilio.com", base), *args, **kwargs)

        return Client(ACCOUNT, TOKEN, http_client=Local())


@pytest.fixture
def fake_twilio():
    fake = FakeTwilio()
    yield fake
    fake.server.shutdown()


def signed(path: str, form: dict[str, str], token: str = TOKEN) -> dict:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(PUBLIC + path, form)}


async def twilio_says(http: httpx.AsyncClient, url: str, form: dict[str, str]) -> httpx.Response:
    """POST a callback to the URL Twilio was given, signed as Twilio signs it."""
    path = url.removeprefix(PUBLIC)
    return await http.post(path, data=form, headers=signed(path, form))


async def test_twilio_campaign_amd_voicemail_retries_and_callbacks(sqlite_url, tmp_path, fake_twilio):
    service = CampaignService(sqlite_url)
    policy = {"voicemail": {"max_retries": 1, "delay_minutes": 0.001}, "no_answer": {"max_retries": 0},
              "busy": {"max_retries": 0}, "failed": {"max_retries": 0}}
    campaign = service.create("Twilio", calling_hours={"days": "daily", "start": "00:00", "end": "24:00"},
                              retry_policy=policy, max_concurrent=2)
    service.import_csv(campaign.id, "name,phone\n사람,010-2000-0001\n기계,010-2000-0002\n통화중,010-2000-0003\n")
    service.start(campaign.id)
    store = CallStore(sqlite_url)
    waiters = Waiters(None, poll_s=0.05)
    placer = TwilioPlacer(fake_twilio.client(), service, waiters, from_number="+8215880000", base_url=PUBLIC,
                          store=store, ring_timeout_s=1, max_call_s=5)
    app = FastAPI()
    app.include_router(make_campaign_router(service, auth_token=TOKEN, public_base_url=PUBLIC, waiters=waiters))
    settings = Settings(data_dir=tmp_path, database_url=sqlite_url, redis_url=None)
    back = backend(settings)
    stop = asyncio.Event()
    runner = asyncio.create_task(run_embedded(settings, service, back, placer, stop, idle_s=0.2))
    seen: list[dict] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        async def next_call() -> dict:
            call = await asyncio.to_thread(fake_twilio.created.get, True, 20)
            seen.append(call)
            return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in call.items()}

        machine_calls = 0
        for _ in range(4):  # calls come in any order (two at once): each number plays its part
            call = await next_call()
            sid, to = call["sid"], call["To"]
            base = {"CallSid": sid, "AccountSid": ACCOUNT, "To": to, "From": "+8215880000"}
            assert (await twilio_says(http, call["StatusCallback"], {**base, "CallStatus": "ringing"})).status_code == 204
            if to.endswith("0001"):  # a person: on to the agent's stream, then the call completes
                reply = await twilio_says(http, call["Url"], {**base, "CallStatus": "in-progress", "AnsweredBy": "human"})
                assert "<Redirect" in reply.text and f"{PUBLIC}/twiml?" in reply.text and "scenario=care_call" in reply.text
                assert "attempt=" not in reply.text.split("<Redirect")[1]  # only the stream's own parameters
                await twilio_says(http, call["StatusCallback"], {**base, "CallStatus": "completed"})
            elif to.endswith("0002") and machine_calls == 0:  # an answering machine: a message, then a retry
                machine_calls += 1
                reply = await twilio_says(http, call["Url"], {**base, "CallStatus": "in-progress",
                                                              "AnsweredBy": "machine_end_beep"})
                assert '<Say language="ko-KR">' in reply.text and "<Hangup" in reply.text
                await twilio_says(http, call["StatusCallback"], {**base, "CallStatus": "completed",
                                                                 "AnsweredBy": "machine_end_beep"})
            elif to.endswith("0002"):  # the retry is not answered
                await twilio_says(http, call["StatusCallback"], {**base, "CallStatus": "no-answer"})
            else:
                await twilio_says(http, call["StatusCallback"], {**base, "CallStatus": "busy"})

        # Hostile or broken callbacks: refused with the reason, nothing changes.
        any_url = "/campaigns/twilio/status"
        form = {"CallSid": seen[0]["sid"], "CallStatus": "busy"}
        assert (await http.post(any_url, data=form, headers=signed(any_url, form, "wrong"))).status_code == 403
        garbled = {"CallSid": seen[0]["sid"], "CallStatus": "exploded"}
        assert (await http.post(any_url, data=garbled, headers=signed(any_url, garbled))).status_code == 400
        unknown = {"CallSid": "CA" + "0" * 32, "CallStatus": "completed"}
        assert (await http.post(any_url, data=unknown, headers=signed(any_url, unknown))).status_code == 404

        async with asyncio.timeout(20):
            while service.get(campaign.id).status != "finished":
                await asyncio.sleep(0.05)
    stop.set()
    await runner
    await back.close()

    first = seen[0]
    assert first["MachineDetection"] == ["DetectMessageEnd"] and first["From"] == ["+8215880000"]
    assert sorted(first["StatusCallbackEvent"]) == ["answered", "completed", "initiated", "ringing"]
    assert first["Method"] == ["POST"] and "attempt=" in first["StatusCallback"][0]
    status = service.status(campaign.id)
    assert status.by_status == {"completed": 1, "no_answer": 1, "busy": 1}
    assert status.attempts == 4  # the machine got one retry, nobody got a second dial of one attempt
    assert len({c["sid"] for c in seen}) == 4
