"""The campaign-scale benchmark at test size: 120 contacts in 3 campaigns started one after another, one
scheduler and four dialers on two nodes (asyncio tasks, each dialer with its own Redis connection) on the real
Redis and PostgreSQL, the fast simulated carrier. No attempt may be dialled twice, no job lost, and no cap
exceeded — the caps are set below what the dialers could take, so they are what limits the calls at once.
The full day (30,000 calls, dialer processes) is ``benchmarks/campaign_scale.py``; docs/BENCHMARKS.md."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import pytest
from rich.console import Console

ROOT = Path(__file__).resolve().parents[2]
CALLS = 120
_spec = importlib.util.spec_from_file_location("campaign_scale", ROOT / "benchmarks" / "campaign_scale.py")
bench = sys.modules.setdefault("campaign_scale", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(bench)

# Mostly unanswered calls (no dialog to run, a few database writes each), so the calls and their retries fit in
# a few seconds of CPU; one in eight answers at once, one in eight on the retry.
SCRIPTS = ("sim=busy", "sim=no_answer", "sim=voicemail", "sim=failed", "sim=busy", "sim=no_answer",
           "sim=no_answer,answer", "sim=answer")

def test_the_parts_of_the_report():
    assert bench.max_overlap([(1, 3), (2, 4), (3, 5)]) == 2  # an end at 3 comes before the start at 3
    assert bench.percentile([5.0, 1.0, 3.0], 50) == 3.0 and bench.percentile([1.0, 2.0], 100) == 2.0
    csv = bench.contacts_csv(9_999, 2, ("sim=busy",)).splitlines()
    assert csv[1:] == ['어르신09999,010-2000-9999,"sim=busy"', '어르신10000,010-2001-0000,"sim=busy"']
    plan = bench.Plan(day_s=360, hours=9)
    assert plan.compression == 90 and plan.ring_s == pytest.approx(20 / 90)


@pytest.mark.postgres
def test_120_calls_four_dialers_none_dialled_twice_caps_held(postgres_url, redis_url, tmp_path):
    plan = bench.Plan(calls=CALLS, campaigns=3, dialers=4, nodes=2, day_s=1.0, hours=0.25, campaign_cap=4,
                      node_cap=4, global_cap=6, retries=1, retry_min=1.5, processes=False, scripts=SCRIPTS)
    result = bench.run(plan, postgres_url, redis_url, workdir=tmp_path, deadline_s=60, say=lambda *_: None)

    assert result.contacts_without_final == 0 and result.attempts_not_ended == 0 and result.jobs_pending == 0
    assert result.jobs_lost == 0
    assert result.dialled_twice == 0 and result.dials_of_unknown_attempts == 0
    assert result.dials == result.attempts > CALLS  # every attempt dialled once; the unanswered tried again
    assert result.taken_over == 0
    assert result.caps_held, (result.max_per_node, result.sampled_per_node, result.max_global, result.sampled_global)
    assert set(result.max_per_node) == {"node-0", "node-1"}
    assert 1 < result.max_global <= 6 and max(result.max_per_node.values()) <= 4
    assert result.outcomes["completed"] == 2 * CALLS // len(SCRIPTS)

    out = io.StringIO()
    Console(file=out, width=200).print(bench.table(result))
    assert "calls dialled twice" in out.getvalue() and "caps held" in out.getvalue()
