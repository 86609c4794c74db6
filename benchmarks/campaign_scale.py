"""Campaign scale: a day of outbound calling (30,000 calls by default), compressed in time, through the real
scheduler and dialer processes on the real Redis and PostgreSQL, with the fast simulated carrier.

The day's calling hours (``--hours``, 9 by default) run in ``--day-s`` seconds of wall time: every real
duration is divided by the compression factor ``hours * 3600 / day_s`` — ringing (20 s), each dialog turn
(8 s) and the retry delay (30 min). The calls belong to ``--campaigns`` campaigns (care facilities) that
start one after another across the compressed day, each capped at ``--campaign-cap`` calls at once; the
dialers (``--dialers`` processes of ``carecall campaign dialer --placer carrier``) share ``--nodes``
machines' per-node caps and the global cap. The calling hours themselves are open all day: the compressed
day does not follow the wall clock.

Reported: the placing rate (wall, and in real calls per hour of the uncompressed day), queue latency (an
attempt falling due → its dialer claiming it, so it includes waiting for a free slot in its caps), the
most calls at once per node, per campaign and overall (from the attempts' claim-to-end intervals, and from
sampling the caps' Redis leases) against the configured caps, attempts dialled twice (the carrier's own
dial log) and jobs lost (contacts without a final attempt, attempts never ended, jobs left in the stream).

    flock /tmp/carecall-quiet .venv/bin/python benchmarks/campaign_scale.py            # 30,000 calls
    .venv/bin/python benchmarks/campaign_scale.py --calls 300 --campaigns 3 --day-s 4  # a quick look

``--no-processes`` runs the scheduler and the dialers as asyncio tasks of this process instead (each dialer with
its own Redis connection; the test version, tests/campaigns/test_campaign_scale.py). The dialing is CPU-bound (about
60 ms of CPU per dial on the 2-core box, docs/BENCHMARKS.md): raise ``--day-s`` until the placing rate keeps up.
``--database-url`` defaults to a fresh database on the PostgreSQL at 127.0.0.1 (dropped afterwards), and the
Redis keys live under a fresh prefix (deleted afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Plan:
    calls: int = 30_000  # contacts, one first-round call each (retries come on top)
    campaigns: int = 60
    dialers: int = 4
    nodes: int = 2
    day_s: float = 420.0  # wall seconds the calling day is compressed into
    hours: float = 9.0  # the real calling day
    campaign_cap: int = 10
    node_cap: int = 40
    global_cap: int = 60
    retries: int = 1  # per unanswered outcome (no_answer, busy, failed, voicemail)
    lease_s: float = 30.0  # the production default (CARECALL_DIALER_LEASE_S)
    real_ring_s: float = 20.0  # real durations, divided by the compression
    real_turn_s: float = 8.0
    retry_min: float = 30.0
    processes: bool = True  # dialers and scheduler as `carecall campaign` processes; False: tasks in this one
    scripts: tuple[str, ...] = ()  # contacts' notes in turn (e.g. "sim=busy"); none: the network's odds decide

    @property
    def compression(self) -> float:
        return self.hours * 3600 / self.day_s

    @property
    def ring_s(self) -> float:
        return self.real_ring_s / self.compression

    @property
    def turn_s(self) -> float:
        return self.real_turn_s / self.compression

    def node_of(self, dialer: int) -> str:
        return f"node-{dialer % self.nodes}"


@dataclass
class Result:
    plan: Plan
    wall_s: float
    contacts: int
    attempts: int
    dials: int
    dialled_twice: int
    dials_of_unknown_attempts: int
    contacts_without_final: int
    attempts_not_ended: int
    jobs_pending: int  # jobs left in the stream whose attempt has not ended
    placing_rate: float  # dials per wall second, first dial to last
    latency_s: list[float] = field(default_factory=list)  # due → claimed, wall seconds
    max_per_node: dict[str, int] = field(default_factory=dict)
    max_per_campaign: int = 0
    max_global: int = 0
    sampled_per_node: dict[str, int] = field(default_factory=dict)
    sampled_global: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    copies_left: int = 0  # second copies of jobs whose attempt ended (harmless: the claim refuses them)
    taken_over: int = 0  # live calls another dialer settled as if their dialer had died (none died here)

    @property
    def jobs_lost(self) -> int:
        return self.contacts_without_final + self.attempts_not_ended + self.jobs_pending

    @property
    def caps_held(self) -> bool:
        p = self.plan
        nodes = list(self.max_per_node.values()) + list(self.sampled_per_node.values())
        return (all(n <= p.node_cap for n in nodes) and self.max_per_campaign <= p.campaign_cap
                and (not p.global_cap or max(self.max_global, self.sampled_global) <= p.global_cap))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def max_overlap(intervals: list[tuple[datetime, datetime]]) -> int:
    """The most intervals open at one instant (an end sorts before a start at the same instant)."""
    edges = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    best = live = 0
    for _, step in edges:
        live += step
        best = max(best, live)
    return best


def contacts_csv(first: int, count: int, scripts: tuple[str, ...] = ()) -> str:
    """``count`` contacts with distinct mobile numbers; their notes script the simulated network in turn."""
    lines = ["name,phone,notes"]
    for i in range(first, first + count):
        notes = scripts[i % len(scripts)] if scripts else ""
        lines.append(f'어르신{i:05d},010-{2000 + i // 10000:04d}-{i % 10000:04d},"{notes}"')
    return "\n".join(lines) + "\n"


@contextmanager
def fresh_postgres() -> Iterator[str]:
    import sqlalchemy as sa

    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"carecall_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "agent.cli", "campaign", *args], cwd=ROOT, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs.values():
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(plan: Plan, database_url: str, redis_url: str = REDIS_URL, *, workdir: Path | None = None,
        deadline_s: float | None = None, say=print) -> Result:
    """Run the compressed day on ``database_url`` (migrated here) and ``redis_url``; keys under a fresh prefix."""
    import redis

    from agent.campaigns.service import ENDED, CampaignService
    from agent.store import migrate

    workdir = workdir or Path(tempfile.mkdtemp(prefix="campaign-scale-"))
    migrate(database_url)
    service = CampaignService(database_url)
    retry = {k: {"max_retries": plan.retries, "delay_minutes": plan.retry_min / plan.compression}
             for k in ("no_answer", "busy", "failed", "voicemail")}
    per = [plan.calls // plan.campaigns + (1 if i < plan.calls % plan.campaigns else 0) for i in range(plan.campaigns)]
    campaigns, first = [], 0
    started = time.monotonic()
    for i, count in enumerate(per):
        c = service.create(f"기관 {i + 1:03d}", calling_hours={"days": "daily", "start": "00:00", "end": "24:00"},
                           retry_policy=retry, max_concurrent=plan.campaign_cap)
        report = service.import_csv(c.id, contacts_csv(first, count, plan.scripts))
        assert report.added == count, report.errors[:3]
        campaigns.append(c.id)
        first += count
    say(f"{plan.calls} contacts in {plan.campaigns} campaigns imported in {time.monotonic() - started:.1f}s")

    prefix = f"bench:campaigns:{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    env = {"CARECALL_DATABASE_URL": database_url, "CARECALL_REDIS_URL": redis_url,
           "CARECALL_CAMPAIGN_PREFIX": prefix, "CARECALL_DATA_DIR": str(workdir / "var"),
           "CARECALL_DIALER_NODE_MAX_CONCURRENT": str(plan.node_cap),
           "CARECALL_CAMPAIGN_GLOBAL_MAX_CONCURRENT": str(plan.global_cap),
           "CARECALL_DIALER_LEASE_S": str(plan.lease_s)}
    sampled: dict[str, int] = defaultdict(int)
    keys = [f"{prefix}:slots:node:{n}" for n in sorted({plan.node_of(d) for d in range(plan.dialers)})]
    keys.append(f"{prefix}:slots:all")
    deadline_s = deadline_s or plan.day_s * 3 + 120

    def step(now: float, next_start: int) -> tuple[int, bool]:
        """Start the campaigns whose time has come, sample the caps; (next campaign, all finished)."""
        while next_start < len(campaigns) and now >= next_start * plan.day_s / plan.campaigns:
            service.start(campaigns[next_start])
            next_start += 1
        ms = int(time.time() * 1000)
        for key in keys:
            sampled[key] = max(sampled[key], client.zcount(key, ms, "+inf"))
        done = next_start == len(campaigns) and all(service.get(c).status == "finished" for c in campaigns)
        return next_start, done

    if plan.processes:
        wall_s = _drive_processes(plan, {**os.environ, **env}, workdir, step, deadline_s, say)
    else:
        wall_s = asyncio.run(_drive_tasks(plan, env, step, deadline_s, say))

    dials = {k: int(v) for k, v in client.hgetall(f"{prefix}:carrier:dials").items()}
    left = [fields.get("attempt") for _, fields in client.xrange(f"{prefix}:jobs")]  # never acknowledged
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()

    attempts, contacts_without_final = [], 0
    for c in campaigns:
        results = service.ledger.results(c)
        attempts += results.attempts
        final = {a.contact_id for a in results.attempts if a.final and a.status in ENDED}
        contacts_without_final += sum(1 for contact in results.contacts if contact.id not in final)
    node_of = {f"dialer-{d}": plan.node_of(d) for d in range(plan.dialers)}
    spans = [(a.started_at, a.ended_at, a) for a in attempts if a.started_at and a.ended_at]
    by_node: dict[str, list] = defaultdict(list)
    by_campaign: dict[str, list] = defaultdict(list)
    for s, e, a in spans:
        by_node[node_of.get(a.dialer, a.dialer or "?")].append((s, e))
        by_campaign[a.campaign_id].append((s, e))
    starts = sorted(a.started_at for a in attempts if a.started_at)
    placed_over = (starts[-1] - starts[0]).total_seconds() if len(starts) > 1 else 0.0
    outcomes: dict[str, int] = defaultdict(int)
    for a in attempts:
        outcomes[a.status] += 1
    attempt_ids = {a.id for a in attempts}
    ended_ids = {a.id for a in attempts if a.status in ENDED}
    return Result(
        plan=plan, wall_s=wall_s, contacts=plan.calls, attempts=len(attempts), dials=sum(dials.values()),
        dialled_twice=sum(1 for n in dials.values() if n > 1),
        dials_of_unknown_attempts=sum(1 for k in dials if k not in attempt_ids),
        contacts_without_final=contacts_without_final,
        attempts_not_ended=sum(1 for a in attempts if a.status not in ENDED),
        jobs_pending=sum(1 for a in left if a not in ended_ids),
        copies_left=sum(1 for a in left if a in ended_ids),
        placing_rate=len(starts) / placed_over if placed_over else 0.0,
        latency_s=[(a.started_at - a.scheduled_for).total_seconds() for a in attempts if a.started_at],
        max_per_node={n: max_overlap(v) for n, v in sorted(by_node.items())},
        max_per_campaign=max((max_overlap(v) for v in by_campaign.values()), default=0),
        max_global=max_overlap([(s, e) for s, e, _ in spans]),
        sampled_per_node={k.rsplit(":", 1)[-1]: v for k, v in sorted(sampled.items()) if ":node:" in k},
        sampled_global=sampled.get(f"{prefix}:slots:all", 0),
        outcomes=dict(sorted(outcomes.items())),
        taken_over=sum(1 for a in attempts if a.detail and "stopped during the call" in a.detail),
    )


def _drive_processes(plan: Plan, env: dict[str, str], workdir: Path, step, deadline_s: float, say) -> float:
    """One `carecall campaign scheduler` and ``plan.dialers`` `carecall campaign dialer` processes."""
    fast = ["--placer", "carrier", "--ring-s", f"{plan.ring_s:.4f}", "--turn-s", f"{plan.turn_s:.4f}"]
    procs = {"scheduler": _spawn(["scheduler", "--idle-s", "0.5"], env, workdir / "scheduler.log")}
    for d in range(plan.dialers):
        procs[f"dialer-{d}"] = _spawn(["dialer", "--name", f"dialer-{d}", *fast],
                                      {**env, "CARECALL_DIALER_NODE": plan.node_of(d)}, workdir / f"dialer-{d}.log")
    try:
        t0, next_start, done = time.monotonic(), 0, False
        while not done:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited: {(workdir / f'{name}.log').read_text()[-2000:]}")
            next_start, done = step(time.monotonic() - t0, next_start)
            if time.monotonic() - t0 > deadline_s:
                say(f"deadline of {deadline_s:.0f}s passed before every campaign finished")
                break
            time.sleep(0.25)
        return time.monotonic() - t0
    finally:
        _stop(procs)


async def _drive_tasks(plan: Plan, env: dict[str, str], step, deadline_s: float, say) -> float:
    """The same scheduler and dialers as asyncio tasks of this process, each dialer with its own connection."""
    from agent.campaigns.dialer import DialerConfig
    from agent.campaigns.runtime import backend, make_placer, run_dialer, run_scheduler
    from agent.campaigns.service import CampaignService
    from agent.settings import Settings
    from agent.store import CallStore

    settings = Settings(**{k.removeprefix("CARECALL_").lower(): v for k, v in env.items()}, _env_file=None)
    service = CampaignService(settings.resolved_database_url)
    store = CallStore(settings.resolved_database_url)
    stop = asyncio.Event()
    backs = [backend(settings) for _ in range(plan.dialers + 1)]
    tasks = [asyncio.create_task(run_scheduler(settings, service, backs[0], stop, idle_s=0.5))]
    for d in range(plan.dialers):
        placer = make_placer("carrier", settings, store, backs[d + 1], ring_s=plan.ring_s, turn_s=plan.turn_s)
        config = DialerConfig(name=f"dialer-{d}", node=plan.node_of(d), node_cap=plan.node_cap,
                              global_cap=plan.global_cap, lease_ms=int(plan.lease_s * 1000), block_ms=200)
        tasks.append(asyncio.create_task(run_dialer(service, backs[d + 1], placer, config, stop)))
    try:
        t0, next_start, done = time.monotonic(), 0, False
        while not done:
            for task in tasks:
                if task.done():
                    task.result()  # raises what stopped it
                    raise RuntimeError("a dialer or the scheduler stopped early")
            next_start, done = await asyncio.to_thread(step, time.monotonic() - t0, next_start)
            if time.monotonic() - t0 > deadline_s:
                say(f"deadline of {deadline_s:.0f}s passed before every campaign finished")
                break
            await asyncio.sleep(0.25)
        return time.monotonic() - t0
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for back in backs:
            await back.close()


def table(result: Result):
    from rich.table import Table

    p, r = result.plan, result
    lat = r.latency_s
    title = (f"campaign scale: {p.calls:,} calls, {p.campaigns} campaigns, {p.dialers} dialers on {p.nodes} nodes; "
             f"{p.hours:g} h compressed into {p.day_s:g} s (×{p.compression:.0f})")
    t = Table("measure", "value", title=title)
    t.add_row("wall time (campaigns' start → all finished)", f"{r.wall_s:.0f} s")
    t.add_row("attempts (first calls + retries) / dials", f"{r.attempts:,} / {r.dials:,}")
    t.add_row("outcomes", ", ".join(f"{k} {v:,}" for k, v in r.outcomes.items()))
    t.add_row("placing rate", f"{r.placing_rate:.1f} calls/s wall = {r.placing_rate / p.compression * 3600:,.0f} "
              "calls/h of the real day")
    t.add_row("  the day's demand (dials / compressed day)", f"{r.dials / p.day_s:.1f} calls/s wall")
    t.add_row("queue latency due → claimed, p50 / p95 / max (wall)",
              f"{percentile(lat, 50):.2f} / {percentile(lat, 95):.2f} / {max(lat, default=float('nan')):.2f} s")
    real = (percentile(lat, 50), percentile(lat, 95), max(lat, default=0))
    t.add_row("  the same in real time", " / ".join(f"{v * p.compression / 60:.1f}" for v in real) + " min")
    nodes = ", ".join(f"{n} {v}" for n, v in r.max_per_node.items())
    sampled = ", ".join(f"{n} {v}" for n, v in r.sampled_per_node.items())
    t.add_row("max concurrent per node (attempts / cap leases) vs cap", f"{nodes} / {sampled} vs {p.node_cap}")
    t.add_row("max concurrent per campaign vs cap", f"{r.max_per_campaign} vs {p.campaign_cap}")
    t.add_row("max concurrent overall (attempts / cap leases) vs cap",
              f"{r.max_global} / {r.sampled_global} vs {p.global_cap or 'none'}")
    t.add_row("caps held", "yes" if r.caps_held else "NO")
    t.add_row("calls dialled twice", str(r.dialled_twice))
    t.add_row("live calls taken over from a dialer thought dead", str(r.taken_over))
    t.add_row("jobs lost (no final attempt / never ended / left in the queue)",
              f"{r.jobs_lost} ({r.contacts_without_final} / {r.attempts_not_ended} / {r.jobs_pending})")
    t.add_row("second copies of ended attempts' jobs left in the queue", str(r.copies_left))
    return t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    defaults = Plan()
    flags = [name for name in vars(defaults) if name != "scripts"]
    for name in flags:
        value = getattr(defaults, name)
        if isinstance(value, bool):
            ap.add_argument(f"--{name.replace('_', '-')}", action=argparse.BooleanOptionalAction, default=value)
        else:
            ap.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    ap.add_argument("--database-url", help="a PostgreSQL URL (default: a fresh database at 127.0.0.1, dropped after)")
    ap.add_argument("--redis-url", default=REDIS_URL)
    args = ap.parse_args(argv)
    plan = Plan(**{k: getattr(args, k) for k in flags})
    from rich.console import Console

    from agent.cli.logs import quiet_logs

    quiet_logs(False)
    console = Console()
    started = time.monotonic()
    if args.database_url:
        result = run(plan, args.database_url, args.redis_url, say=console.print)
    else:
        with fresh_postgres() as url:
            result = run(plan, url, args.redis_url, say=console.print)
    console.print(table(result))
    console.print(f"total {time.monotonic() - started:.0f} s (import, run, collection); load average "
                  f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0 if result.caps_held and not result.dialled_twice and not result.jobs_lost else 1


if __name__ == "__main__":
    raise SystemExit(main())
