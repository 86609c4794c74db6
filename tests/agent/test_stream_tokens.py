"""Stream tokens in Redis (real Redis on 127.0.0.1): a call's ``/twiml`` and ``/ws`` may reach different servers.

A token issued by one app is taken by another's media stream, once; a token shown for another call, an expired
one, or any token while Redis is down, is refused.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid

import pytest
import redis
import websockets

from agent.app import create_app
from agent.call.stream_tokens import RedisStreamTokens
from agent.cli.demo import serve_in_background
from agent.settings import Settings
from agent.store import CallStore, migrate
from telephony import protocol
from telephony.routes import CLOSE_POLICY_VIOLATION
from telephony.security import StreamTokens
from telephony.simulator.phone import dial

from silent_engines import silent_engines

REDIS_URL = "redis://127.0.0.1:6379/0"
ACCOUNT = "AC" + "0" * 32


@pytest.fixture
def prefix():
    """A key prefix of this test's own on the real Redis; its keys are deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    name = f"test:stream-token:{uuid.uuid4().hex[:10]}"
    yield name
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)
    client.close()


def two_servers(prefix: str, ttl_s: float | None = None) -> tuple[RedisStreamTokens, RedisStreamTokens]:
    """The token stores of two servers: their own clients, one Redis."""
    kwargs = {} if ttl_s is None else {"ttl_s": ttl_s}
    return RedisStreamTokens.from_url(REDIS_URL, prefix, **kwargs), RedisStreamTokens.from_url(REDIS_URL, prefix, **kwargs)


def test_a_token_issued_by_one_server_is_taken_once_by_another(prefix):
    first, second = two_servers(prefix)
    token = first.issue("CA1")
    assert second.consume(token, "CA1")
    assert not first.consume(token, "CA1") and not second.consume(token, "CA1")  # one stream per token


def test_a_token_is_good_for_its_call_only_and_spent_by_a_wrong_one(prefix):
    first, second = two_servers(prefix)
    token = first.issue("CA1")
    assert not second.consume(token, "CA2")
    assert not second.consume(token, "CA1")  # shown once for the wrong call: gone, as in the in-process store
    assert not second.consume(None, "CA1") and not second.consume("", "CA1") and not second.consume("made-up", "CA1")


def test_tokens_expire_as_the_in_process_ones_do(prefix):
    first, second = two_servers(prefix)
    token = first.issue("CA1")
    client = redis.Redis.from_url(REDIS_URL)
    assert abs(client.pttl(f"{prefix}:{token}") / 1000 - StreamTokens().ttl_s) < 5  # the same expiry
    client.close()

    quick, other = two_servers(prefix, ttl_s=0.05)
    token = quick.issue("CA1")
    time.sleep(0.2)  # Redis's own expiry, not ours: nothing here is scheduled on this clock
    assert not other.consume(token, "CA1")


def test_redis_down_refuses_the_stream():
    dead = RedisStreamTokens.from_url("redis://127.0.0.1:1/0")
    assert not dead.consume("any-token", "CA1")
    with pytest.raises(redis.exceptions.ConnectionError):
        dead.ping()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _stream(ws_url: str, params: dict[str, str], call_sid: str) -> int | None:
    """Open the media stream as Twilio would; hang up once the agent speaks. The close code the agent sent, or
    None when it took the call (the caller hung up)."""
    async with websockets.connect(ws_url) as ws:
        await ws.send(json.dumps(protocol.connected()))
        await ws.send(json.dumps(protocol.start("MZ" + call_sid[2:], call_sid, ACCOUNT, params)))
        try:
            async with asyncio.timeout(15):
                message = json.loads(await ws.recv())
        except websockets.ConnectionClosed:
            return ws.close_code
        assert message["event"] in {"media", "mark", "clear"}  # the agent speaks: the call is on
        return None


async def _ended_calls(store: CallStore) -> list:
    async with asyncio.timeout(15):
        while not ((calls := store.list_calls()) and all(c.status == "ended" for c in calls)):
            await asyncio.sleep(0.05)
    return calls


async def test_the_apps_of_two_servers_share_the_tokens_through_redis(tmp_path, prefix):
    """``create_app`` with ``redis_url``: server A answers /twiml, server B takes the media stream, once."""
    settings_a = Settings(_env_file=None, data_dir=tmp_path, redis_url=REDIS_URL, tts_prewarm=False,
                          port=_free_port())  # fmt: skip
    settings_b = settings_a.model_copy(update={"port": _free_port()})
    migrate(settings_a.resolved_database_url)
    store = CallStore(settings_a.resolved_database_url)
    call_sid = "CA" + "7" * 32
    app_a, app_b = (create_app(s, silent_engines(), store) for s in (settings_a, settings_b))
    async with serve_in_background(app_a, settings_a), serve_in_background(app_b, settings_b):
        ws_url, params = await dial(settings_a.base_url, call_sid=call_sid, from_number="+821055550000",
                                    to_number="+8215881234")  # fmt: skip
        assert ws_url.startswith(f"ws://127.0.0.1:{settings_a.port}/")  # A's TwiML…
        ws_b = ws_url.replace(f":{settings_a.port}/", f":{settings_b.port}/")  # …the stream reaches B
        assert await _stream(ws_b, params, call_sid) is None
        (call,) = await _ended_calls(store)
        assert (call.call_sid, call.outcome) == (call_sid, "caller_hung_up")
        assert await _stream(ws_url, params, call_sid) == CLOSE_POLICY_VIOLATION  # again, at A: refused
        assert await _stream(ws_b, params, call_sid) == CLOSE_POLICY_VIOLATION
