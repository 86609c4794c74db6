"""Micro-batching for the GPU node: many calls' requests, one batched network run.

``MicroBatcher(fn)``: concurrent callers ``submit(item)`` and get a future; a worker thread takes the first
waiting item, gathers more until ``max_batch`` items or ``max_wait_ms`` have passed, calls ``fn(items)`` once
and hands each caller its own result (or the exception). ``BatchedVocoder`` pads log-mels of different lengths
with silence into one batch and trims each waveform back to its own ``T * hop`` samples; every item is followed
by at least ``context_frames`` of silence, as in a single call, so batched and single calls give the same audio.
"""
from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

import numpy as np
import torch


T = TypeVar("T")
R = TypeVar("R")


class MicroBatcher(Generic[T, R]):
    def __init__(self, fn: Callable[[list[T]], Sequence[R]], *, max_batch: int = 8, max_wait_ms: float = 10.0,
                 name: str = "micro-batcher"):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.fn, self.max_batch, self.max_wait_s = fn, max_batch, max_wait_ms / 1000.0
        self._queue: queue.Queue[tuple[T, Future] | None] = queue.Queue()
        self._closed = False
        self._close_lock = threading.Lock()
        self.batch_sizes: list[int] = []  # sizes of the batches run so far (for tests and metrics)
        self._worker = threading.Thread(target=self._run, name=name, daemon=True)
        self._worker.start()

    def submit(self, item: T) -> Future:
        """Queue one item; the future resolves to its result."""
        future: Future = Future()
        with self._close_lock:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            self._queue.put((item, future))
        return future

    def __call__(self, item: T, timeout: float | None = None) -> R:
        """Submit and wait (blocking)."""
        return self.submit(item).result(timeout)

    def close(self, timeout: float | None = 5.0) -> None:
        """Finish what is queued, then stop the worker."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._worker.join(timeout)

    def __enter__(self) -> MicroBatcher[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
                try:
                    results = list(self.fn([item for item, _ in batch]))
                    if len(results) != len(batch):
                        raise RuntimeError(f"batched function returned {len(results)} results for {len(batch)} items")
                except BaseException as exc:  # every waiting caller hears about the failure
                    for _, fut in batch:
                        fut.set_exception(exc)
                else:
                    for (_, fut), result in zip(batch, results):
                        fut.set_result(result)
            if stop:
                return


class BatchedVocoder:
    """Thread-safe front of a ``tts.vocoder.Vocoder`` that batches concurrent requests."""

    def __init__(self, vocoder, *, max_batch: int = 8, max_wait_ms: float = 10.0):
        self.vocoder = vocoder
        self.batcher: MicroBatcher[torch.Tensor, np.ndarray] = MicroBatcher(
            self._vocode_batch, max_batch=max_batch, max_wait_ms=max_wait_ms, name="batched-vocoder")

    def __call__(self, mel: torch.Tensor | np.ndarray, timeout: float | None = None) -> np.ndarray:
        """Log-mel ``[80, T]`` → float32 waveform of ``T * hop`` samples."""
        return self.submit(mel).result(timeout)

    def submit(self, mel: torch.Tensor | np.ndarray) -> Future:
        mel = torch.as_tensor(mel, dtype=torch.float32)
        if mel.dim() != 2 or mel.shape[0] != self.vocoder.n_mels:
            raise ValueError(f"expected one log-mel [{self.vocoder.n_mels}, T], got shape {tuple(mel.shape)}")
        return self.batcher.submit(mel)

    def close(self) -> None:
        self.batcher.close()

    def _vocode_batch(self, mels: list[torch.Tensor]) -> list[np.ndarray]:
        hop = self.vocoder.hop_length
        lengths = [m.shape[-1] for m in mels]
        if max(lengths) == 0:
            return [np.zeros(0, np.float32) for _ in mels]
        frames = max(lengths) + self.vocoder.context_frames
        batch = torch.stack([self.vocoder.pad_silence(m, frames) for m in mels])
        wav = self.vocoder.run(batch)  # PWG: every row gets the same fixed noise, as a single call does
        return [wav[i, :n * hop].numpy().astype(np.float32) for i, n in enumerate(lengths)]
