"""200 contacts, one scheduler and two dialer processes sharing a real Redis and PostgreSQL, the fast
simulated carrier; one dialer is killed (SIGKILL) while it has calls in progress. Every contact must end
in exactly one final state, no attempt may be dialed twice, and the caps must hold."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from agent.campaigns.service import ACTIVE, ENDED, CampaignService
from agent.store import CallStore

ROOT = Path(__file__).resolve().parents[2]
CONTACTS = 200
CAMPAIGN_CAP = 8
NODE_CAP = 5
SCRIPTS = ["", "sim=no_answer,answer", "sim=busy,busy,busy", "sim=voicemail,answer", "sim=failed,no_answer,answer",
           "sim=answer; persona=fever_cough", "sim=answer; persona=fall_low_mood", "sim=no_answer,no_answer,no_answer"]
RETRY = {k: {"max_retries": 2, "delay_minutes": 0.003} for k in ("no_answer", "busy", "failed", "voicemail")}


def _csv() -> str:
    lines = ["name,phone,notes"]
    for i in range(CONTACTS):
        lines.append(f'어르신{i:03d},010-5{i // 1000:03d}-{i % 10000:04d},"{SCRIPTS[i % len(SCRIPTS)]}"')
    return "\n".join(lines) + "\n"


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "agent.cli", "campaign", *args], cwd=ROOT, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)


def _max_overlap(intervals: list[tuple]) -> int:
    edges = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    best = live = 0
    for _, step in edges:  # an end sorts before a start at the same instant
        live += step
        best = max(best, live)
    return best


@pytest.mark.postgres
def test_two_dialers_one_killed_every_contact_ends_once(postgres_url, redis_url, redis_prefix, tmp_path):
    service = CampaignService(postgres_url)
    campaign = service.create("200명 안부 전화", calling_hours={"days": "daily", "start": "00:00", "end": "24:00"},
                              retry_policy=RETRY, max_concurrent=CAMPAIGN_CAP)
    assert service.import_csv(campaign.id, _csv()).added == CONTACTS
    service.start(campaign.id)

    env = {**os.environ, "CARECALL_DATABASE_URL": postgres_url, "CARECALL_REDIS_URL": redis_url,
           "CARECALL_CAMPAIGN_PREFIX": redis_prefix, "CARECALL_DATA_DIR": str(tmp_path / "var"),
           "CARECALL_DIALER_NODE_MAX_CONCURRENT": str(NODE_CAP), "CARECALL_DIALER_LEASE_S": "1.5"}
    fast = ["--placer", "carrier", "--ring-s", "0.05", "--turn-s", "0.02"]
    procs = {
        "scheduler": _spawn(["scheduler", "--idle-s", "0.5"], env, tmp_path / "scheduler.log"),
        "dialer-a": _spawn(["dialer", "--name", "dialer-a", *fast], {**env, "CARECALL_DIALER_NODE": "node-a"},
                           tmp_path / "a.log"),
        "dialer-b": _spawn(["dialer", "--name", "dialer-b", *fast], {**env, "CARECALL_DIALER_NODE": "node-b"},
                           tmp_path / "b.log"),
    }
    try:
        # Kill dialer B once it has dialed a good share and has calls in progress right now.
        deadline = time.monotonic() + 90
        while True:
            assert time.monotonic() < deadline, "dialer B never had calls in progress"
            for name, proc in procs.items():
                assert proc.poll() is None, f"{name} exited: {(tmp_path / (name[-1] + '.log')).read_text()[-2000:]}"
            b_attempts = [a for a in service.ledger.attempts(campaign.id) if a.dialer == "dialer-b"]
            b_done = sum(1 for a in b_attempts if a.status in ENDED)
            b_live = sum(1 for a in b_attempts if a.status in ACTIVE)
            if b_done >= 25 and b_live >= 2:
                procs["dialer-b"].send_signal(signal.SIGKILL)
                procs["dialer-b"].wait()
                break
            time.sleep(0.05)

        deadline = time.monotonic() + 120
        while service.get(campaign.id).status != "finished":
            assert time.monotonic() < deadline, f"campaign did not finish: {service.status(campaign.id).by_status}"
            assert procs["dialer-a"].poll() is None, (tmp_path / "a.log").read_text()[-3000:]
            time.sleep(0.2)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    results = service.ledger.results(campaign.id)
    attempts, contacts = results.attempts, [c.id for c in results.contacts]
    calls = CallStore(postgres_url).list_calls(limit=100_000)
    assert procs["dialer-a"].returncode == 0, "dialer A did not stop cleanly on SIGTERM"

    # Every contact: exactly one final attempt, the last one; every earlier attempt ended and retried.
    by_contact: dict[int, list] = {c: [] for c in contacts}
    for a in attempts:
        by_contact[a.contact_id].append(a)
    for contact_id, rows in by_contact.items():
        rows.sort(key=lambda a: a.attempt_no)
        assert [a.attempt_no for a in rows] == list(range(1, len(rows) + 1)), contact_id
        assert [a.final for a in rows].count(True) == 1 and rows[-1].final, (contact_id, [a.status for a in rows])
        assert all(a.status in ENDED for a in rows), (contact_id, [a.status for a in rows])
        if rows[-1].status != "completed":  # unanswered ends only once that outcome's retries are spent
            assert [a.status for a in rows[:-1]].count(rows[-1].status) == RETRY[rows[-1].status]["max_retries"]

    # The network's own log: every dial once, and only dials of attempts that exist.
    dials = {k.decode(): int(v) for k, v in redis.Redis.from_url(redis_url).hgetall(f"{redis_prefix}:carrier:dials").items()}
    assert dials and set(dials.values()) == {1}
    attempt_ids = {a.id for a in attempts}
    assert set(dials) <= attempt_ids

    # One call record per answered attempt; no call SID twice.
    sids = [c.call_sid for c in calls]
    assert len(sids) == len(set(sids))
    linked = [a.call_id for a in attempts if a.call_id]
    assert len(linked) == len(set(linked))
    assert {a.call_id for a in attempts if a.status == "completed"} <= {c.id for c in calls}
    assert all(c.status == "ended" for c in calls)

    # Dialer B really died mid-call and its live calls were recovered, not redialed.
    recovered = [a for a in attempts if a.detail and "stopped during the call" in a.detail]
    assert recovered and all(a.dialer == "dialer-b" for a in recovered)
    # Every attempt was dialed, except ones dialer B had claimed but not yet dialed when it died.
    assert attempt_ids - set(dials) <= {a.id for a in recovered}
    assert {a.dialer for a in attempts} == {"dialer-a", "dialer-b"}

    # Caps: the campaign's across both dialers, each node's for its dialer (recovered calls excluded:
    # their end is the moment another dialer found them).
    spans = [(a.started_at, a.ended_at, a.dialer) for a in attempts if a not in recovered]
    assert _max_overlap([(s, e) for s, e, _ in spans]) <= CAMPAIGN_CAP
    for dialer in ("dialer-a", "dialer-b"):
        assert _max_overlap([(s, e) for s, e, d in spans if d == dialer]) <= NODE_CAP
    assert max(a.ended_at for a in attempts) - min(a.started_at for a in attempts) < timedelta(minutes=3)
