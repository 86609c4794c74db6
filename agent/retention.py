"""Retention: recordings and, separately, transcripts are deleted once older than their period
(``CARECALL_RECORDING_RETENTION_DAYS``, ``CARECALL_TRANSCRIPT_RETENTION_DAYS``; unset or 0: kept for ever).
A call with a flag nobody has handled yet keeps both until it is handled. Every deletion is audited.

Run by ``carecall retention run`` (a cron job, a Kubernetes CronJob) and by every ``carecall serve`` every
``CARECALL_RETENTION_INTERVAL_S``: retention concerns every call, inbound lines included, so it does not ride
on the campaign scheduler, which only runs where campaigns do. Several servers running it at once is safe: a
call's recording is unlinked by one conditional update, and only the process that unlinked it deletes it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from loguru import logger

from agent.recordings import RecordingStorageError, recording_shelf
from agent.settings import Settings
from agent.store import CallStore, utcnow
from agent.store.retention import RetentionStore

BATCH = 500  # calls per query; a run goes on until nothing expired is left


@dataclass(frozen=True)
class RetentionPolicy:
    recording_days: int | None = None  # None or 0: keep for ever
    transcript_days: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        return cls(settings.recording_retention_days or None, settings.transcript_retention_days or None)

    @property
    def active(self) -> bool:
        return bool(self.recording_days or self.transcript_days)


@dataclass
class RetentionResult:
    recordings: list[str] = field(default_factory=list)  # call ids whose recording was deleted
    transcripts: list[str] = field(default_factory=list)  # call ids whose transcript was deleted
    failed: list[str] = field(default_factory=list)  # call ids whose recording could not be deleted (kept)


def apply_retention(
    store: RetentionStore, policy: RetentionPolicy, now: datetime, erase: Callable[[str], None]
) -> RetentionResult:
    """Delete what is past its period as of ``now``; returns what was deleted and what could not be."""
    result = RetentionResult()
    if policy.recording_days:
        cutoff = now - timedelta(days=policy.recording_days)
        tried: set[str] = set()
        while batch := [e for e in store.expired_recordings(cutoff, BATCH + len(tried)) if e.call_id not in tried]:
            for expired in batch:
                tried.add(expired.call_id)
                try:
                    if store.forget_recording(expired, cutoff, erase, policy.recording_days):
                        result.recordings.append(expired.call_id)
                except RecordingStorageError as exc:
                    logger.warning(f"retention: the recording of call {expired.call_id} is kept for now: {exc}")
                    result.failed.append(expired.call_id)
    if policy.transcript_days:
        cutoff = now - timedelta(days=policy.transcript_days)
        while batch := store.expired_transcripts(cutoff, BATCH):
            done = store.forget_transcripts(batch, cutoff, policy.transcript_days)
            result.transcripts.extend(done)
            if not done:
                break
    if result.recordings or result.transcripts:
        logger.info(f"retention: {len(result.recordings)} recording(s) and {len(result.transcripts)} transcript(s) "
                    "past their period deleted")  # fmt: skip
    return result


class RetentionWorker:
    """The server's periodic run: first at start-up, then every ``interval_s``; nothing when no period is set."""

    def __init__(self, store: RetentionStore, policy: RetentionPolicy, erase: Callable[[str], None],
                 interval_s: float, clock: Callable[[], datetime] = utcnow):  # fmt: skip
        self.store, self.policy, self.erase, self.interval_s, self.clock = store, policy, erase, interval_s, clock
        self._task: asyncio.Task | None = None
        self._stop = asyncio.Event()

    def start(self) -> None:
        if self.policy.active and self._task is None:
            self._stop = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._stop.set()
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(apply_retention, self.store, self.policy, self.clock(), self.erase)
            except Exception:  # the database is away: try again at the next interval
                logger.exception("retention run failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval_s)


def retention_worker(settings: Settings, store: CallStore) -> RetentionWorker:
    return RetentionWorker(RetentionStore(store.engine), RetentionPolicy.from_settings(settings),
                           recording_shelf(settings).delete, settings.retention_interval_s)  # fmt: skip
