"""Today's figures on the queue page: the day's calls by outcome and how fast the agent answered.

The day is the operators' calendar day (Seoul). The latency is voice-to-voice, caller stopped → first agent
audio, as each agent turn stored it (``CallStore.set_reply_latency``); so it covers every server writing to
this database, not only the one serving the page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from agent.store import CallStore


@dataclass(frozen=True)
class DayFigures:
    day: date
    total: int
    outcomes: tuple[tuple[str | None, int], ...]  # (outcome, calls), most first; None: in progress
    turns: int  # agent turns with a measured latency
    p50_ms: int | None
    p95_ms: int | None


def day_figures(store: CallStore, now: datetime, tz: tzinfo) -> DayFigures:
    """The figures of the calls started on ``now``'s calendar day in ``tz``."""
    day = now.astimezone(tz).date()
    start = datetime.combine(day, time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
    summary = store.day_summary(start.astimezone(UTC), end.astimezone(UTC))
    outcomes = tuple(sorted(summary.outcomes.items(), key=lambda item: (-item[1], item[0] or "")))
    latencies = summary.latencies_ms
    return DayFigures(
        day=day, total=sum(summary.outcomes.values()), outcomes=outcomes, turns=len(latencies),
        p50_ms=percentile(latencies, 50), p95_ms=percentile(latencies, 95),
    )


def percentile(ascending: Sequence[int], p: float) -> int | None:
    """Nearest-rank percentile: the smallest value with at least ``p`` % of the values at or below it."""
    if not ascending:
        return None
    return ascending[max(math.ceil(p / 100 * len(ascending)), 1) - 1]
