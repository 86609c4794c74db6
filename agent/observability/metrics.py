"""The server's Prometheus metrics, defined once for the process (``METRICS``) and recorded where the numbers
are measured: the call runner (calls, per-turn latencies from pipecat's ``UserBotLatencyObserver``), the alert
delivery worker (failures) and the ``/metrics`` route (the campaign queue, read from Redis at scrape time).

One instance on prometheus-client's default registry: the process is what Prometheus scrapes, so every app
built in it reports into the same series (and the process/GC collectors come with it); a metric is registered
once, at import, so building many apps (tests) never registers a name twice. ``CallMetrics`` takes any
registry, so a test can count on a private one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "METRICS", "CallMetrics", "Contribution"]

# Caller stopped → first agent audio: a phone conversation feels natural under ~1 s and broken over ~3 s.
VOICE_TO_VOICE_BUCKETS = (0.3, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 10.0)
STAGE_BUCKETS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)

# The keys pipecat's latency breakdown gives the stages we time (``LatencyContribution.key``).
RECOGNITION, SYNTHESIS = "transcription", "speech_synthesis"


class Contribution(Protocol):
    """One named part of a turn's latency (pipecat's ``LatencyContribution``)."""

    key: str
    duration_secs: float


class CallMetrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.active_calls = Gauge("carecall_active_calls", "Calls in progress on this server.", registry=r)
        self.calls = Counter(
            "carecall_calls", "Calls ended on this server, by outcome.", ["outcome"], registry=r
        )  # exposed as carecall_calls_total
        self.voice_to_voice = Histogram(
            "carecall_voice_to_voice_seconds", "Caller stopped speaking → first agent audio, per turn.",
            buckets=VOICE_TO_VOICE_BUCKETS, registry=r,
        )
        self.recognition = Histogram(
            "carecall_recognition_seconds", "Recogniser time per turn: end of speech → transcript.",
            buckets=STAGE_BUCKETS, registry=r,
        )
        self.synthesis = Histogram(
            "carecall_synthesis_first_audio_seconds", "Synthesis time of a reply: its text → its first audio.",
            buckets=STAGE_BUCKETS, registry=r,
        )
        self.campaign_queue = Gauge(
            "carecall_campaign_queue_jobs", "Campaign jobs in the Redis queue: waiting for a dialer, or claimed by one.",
            ["state"], registry=r,
        )
        self.alert_failures = Counter(
            "carecall_alert_delivery_failures", "Failed tries to deliver a flag alert, by channel.", ["channel"],
            registry=r,
        )  # exposed as carecall_alert_delivery_failures_total

    def call_started(self) -> None:
        self.active_calls.inc()

    def call_ended(self, outcome: str) -> None:
        """A call's record is closed: one fewer in progress, one more of its outcome."""
        self.active_calls.dec()
        self.calls.labels(outcome=outcome).inc()

    def reply_latency(self, seconds: float) -> None:
        """Voice-to-voice latency of one turn."""
        self.voice_to_voice.observe(seconds)

    def turn_stages(self, contributions: Iterable[Contribution]) -> None:
        """The recogniser's and the synthesiser's parts of one turn (a stage the turn did not have, such as
        recognition before the greeting, is not observed)."""
        spent: dict[str, float] = {}
        for part in contributions:
            spent[part.key] = spent.get(part.key, 0.0) + part.duration_secs
        if RECOGNITION in spent:
            self.recognition.observe(spent[RECOGNITION])
        if SYNTHESIS in spent:
            self.synthesis.observe(spent[SYNTHESIS])

    def alert_failed(self, channel: str) -> None:
        self.alert_failures.labels(channel=channel).inc()

    def campaign_queue_depth(self, waiting: int, claimed: int) -> None:
        self.campaign_queue.labels(state="waiting").set(waiting)
        self.campaign_queue.labels(state="claimed").set(claimed)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


METRICS = CallMetrics(REGISTRY)
