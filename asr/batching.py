"""Cross-call batching of the recogniser for the GPU inference node (``CARECALL_ASR_BATCH``).

Each call's segmented STT service calls ``transcribe`` from its own worker thread. ``BatchedRecognizer`` puts
those calls in a ``MicroBatcher``: a worker thread takes the first waiting segment, gathers more until
``max_batch`` segments or ``max_wait_ms`` have passed, and runs the engine's ``transcribe_batch`` once, so the
accelerator decodes many calls' turns in one forward pass. Each caller gets its own ``Transcript``, or its own
exception: a segment that fails (bad audio) fails only its caller.

The design is the vocoder's (``tts.batching``); this batcher differs in that the batched function reports
failures item by item (an ``Exception`` in its result list), and it imports no numeric library, so a
Whisper-only process stays free of torch.
"""
from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar, runtime_checkable

from asr.base import Recognizer, Transcript

if TYPE_CHECKING:
    import numpy as np

T = TypeVar("T")
R = TypeVar("R")

MAX_BATCH = 16
MAX_WAIT_MS = 10.0  # a turn waits at most this long for others; small beside a ~100 ms GPU decode


class MicroBatcher(Generic[T, R]):
    """``submit(item)`` → future; ``fn(items)`` runs once per gathered batch and returns one result per item,
    in order; a result that is an ``Exception`` is raised to that item's caller only. If ``fn`` itself raises,
    every caller of that batch gets the exception."""

    def __init__(self, fn: Callable[[list[T]], Sequence[R | Exception]], *, max_batch: int = MAX_BATCH,
                 max_wait_ms: float = MAX_WAIT_MS, name: str = "asr-batcher"):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if max_wait_ms < 0:
            raise ValueError("max_wait_ms must not be negative")
        self.fn, self.max_batch, self.max_wait_s = fn, max_batch, max_wait_ms / 1000.0
        self._queue: queue.Queue[tuple[T, Future] | None] = queue.Queue()
        self._closed = False
        self._close_lock = threading.Lock()
        self.batch_sizes: list[int] = []  # sizes of the batches run so far (tests, benchmark, logs)
        self._worker = threading.Thread(target=self._run, name=name, daemon=True)
        self._worker.start()

    def submit(self, item: T) -> Future:
        future: Future = Future()
        with self._close_lock:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            self._queue.put((item, future))
        return future

    def close(self, timeout: float | None = 5.0) -> None:
        """Finish what is queued, then stop the worker."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._worker.join(timeout)

    def _gather(self, first: tuple[T, Future]) -> tuple[list[tuple[T, Future]], bool]:
        batch, stop = [first], False
        deadline = time.monotonic() + self.max_wait_s
        while len(batch) < self.max_batch:
            remaining = deadline - time.monotonic()
            try:
                entry = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if entry is None:
                stop = True
                break
            batch.append(entry)
        return batch, stop

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stop = self._gather(first)
            batch = [(item, fut) for item, fut in batch if fut.set_running_or_notify_cancel()]
            if batch:
                self.batch_sizes.append(len(batch))
                self._run_batch(batch)
            if stop:
                return

    def _run_batch(self, batch: list[tuple[T, Future]]) -> None:
        try:
            results = list(self.fn([item for item, _ in batch]))
            if len(results) != len(batch):
                raise RuntimeError(f"batched function returned {len(results)} results for {len(batch)} items")
        except BaseException as exc:  # every waiting caller hears about the failure
            for _, fut in batch:
                fut.set_exception(exc)
            return
        for (_, fut), result in zip(batch, results):
            if isinstance(result, Exception):
                fut.set_exception(result)
            else:
                fut.set_result(result)


@dataclass(frozen=True)
class Segment:
    """One caller turn waiting to be recognised: float32 mono audio at the engine's rate, and the dialog's hint."""

    audio: np.ndarray
    hint: str | None = None


@runtime_checkable
class BatchRecognizer(Recognizer, Protocol):
    """An engine that can recognise many calls' segments in one forward pass."""

    def transcribe_batch(self, segments: Sequence[Segment]) -> list[Transcript | Exception]:
        """One result per segment, in order; a segment that cannot be recognised gets its exception."""


class BatchedRecognizer:
    """A ``Recognizer`` that sends concurrent ``transcribe`` calls to ``engine.transcribe_batch`` together.

    Thread-safe; ``transcribe`` blocks its caller (a call's worker thread) until its segment's batch is done.
    """

    def __init__(self, engine: BatchRecognizer, *, max_batch: int = MAX_BATCH, max_wait_ms: float = MAX_WAIT_MS):
        if not isinstance(engine, BatchRecognizer):
            raise TypeError(f"{type(engine).__name__} cannot recognise a batch (it has no transcribe_batch)")
        self.engine = engine
        self.name = f"{engine.name}-batched"
        self.batcher: MicroBatcher[Segment, Transcript] = MicroBatcher(
            engine.transcribe_batch, max_batch=max_batch, max_wait_ms=max_wait_ms, name=f"{engine.name}-batcher")

    @property
    def sample_rate(self) -> int:
        return self.engine.sample_rate

    def load(self) -> None:
        self.engine.load()

    def transcribe(self, audio: np.ndarray, hint: str | None = None, timeout: float | None = None) -> Transcript:
        return self.batcher.submit(Segment(audio, hint)).result(timeout)

    def close(self) -> None:
        self.batcher.close()
