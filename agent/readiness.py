"""``/ready``: whether a load balancer should send this server calls now, check by check.

``/health`` only says the process lives (a liveness probe restarts a server that fails it); ``/ready`` says
whether a call taken now would go well: not draining, the models loaded and the scenario's prompts synthesised,
the database and (when configured) Redis answering. A check that fails, raises or takes longer than the
timeout makes the server unready; each one's status is in the answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loguru import logger

if TYPE_CHECKING:
    from agent.call.engines import Engines
    from agent.drain import Drain
    from agent.store import CallStore

CHECK_TIMEOUT_S = 2.0  # under the probe's own timeout (deploy/k8s: 3 s)


@dataclass(frozen=True)
class Unready:
    """Why a check fails: ``reason`` one word for a probe's log (draining, warming, unreachable…)."""

    reason: str
    detail: str = ""


Check = Callable[[], Awaitable[Unready | None]]  # None: fine


async def readiness(checks: Mapping[str, Check], timeout_s: float = CHECK_TIMEOUT_S) -> tuple[bool, dict[str, Any]]:
    """Run every check at once; (ready, the JSON answer). ``reason`` is the first failing check's, in order."""
    results = await asyncio.gather(*(_run(check, timeout_s) for check in checks.values()))
    statuses = {name: _status(result) for name, result in zip(checks, results, strict=True)}
    failing = [result for result in results if result is not None]
    if not failing:
        return True, {"status": "ready", "checks": statuses}
    return False, {"status": "unready", "reason": failing[0].reason, "checks": statuses}


def blocking_check(name: str, probe: Callable[[], object], reason: str = "unreachable") -> Check:
    """A check from a blocking call (``SELECT 1``, ``PING``) run in a thread: it fails when the call raises.

    While one call is still running (a database that hangs) the next check waits on it rather than starting
    another, so probes every few seconds never pile threads up on a dead server.
    """
    running: asyncio.Future | None = None
    failed = False

    async def check() -> Unready | None:
        nonlocal running, failed
        if running is None or running.done():
            running = asyncio.ensure_future(asyncio.to_thread(probe))
        try:
            await asyncio.shield(running)
        except Exception as exc:
            if not failed:  # logged once per outage, not on every probe
                logger.warning(f"readiness: {name} {reason}: {type(exc).__name__}: {exc}")
            failed = True
            return Unready(reason, type(exc).__name__)  # the answer is public: no addresses, no messages
        if failed:
            logger.info(f"readiness: {name} answers again")
        failed = False
        return None

    return check


async def _run(check: Check, timeout_s: float) -> Unready | None:
    try:
        return await asyncio.wait_for(check(), timeout_s)
    except TimeoutError:
        return Unready("unreachable", f"no answer within {timeout_s:g} s")
    except Exception as exc:  # a check that breaks says so rather than breaking /ready
        logger.exception("a readiness check failed")
        return Unready("error", type(exc).__name__)


def _status(result: Unready | None) -> dict[str, str]:
    if result is None:
        return {"status": "ok"}
    return {"status": result.reason, **({"detail": result.detail} if result.detail else {})}


def call_server_checks(engines: Engines | None, store: CallStore, drain: Drain,
                       redis_ping: Callable[[], object] | None = None,
                       clock: Callable[[], float] = time.monotonic) -> dict[str, Check]:  # fmt: skip
    """The checks of ``carecall serve``'s ``/ready``, in the order their reasons win: draining, models (loaded,
    the scenario's fixed prompts synthesised), database (``SELECT 1``), Redis (``PING``, when configured)."""

    async def draining() -> Unready | None:
        return Unready("draining", drain.describe(clock())) if drain.draining else None

    async def models() -> Unready | None:
        if engines is None:
            return Unready("not_loaded", "this app has no speech models")
        if engines.warming:  # a call taken now would wait on that work for the CPU
            return Unready("warming", "synthesis of the scenario's fixed prompts")
        return None

    checks = {"draining": draining, "models": models, "database": blocking_check("database", store.ping)}
    if redis_ping is not None:
        checks["redis"] = blocking_check("redis", redis_ping)
    return checks
