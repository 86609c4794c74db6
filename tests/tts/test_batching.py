"""MicroBatcher and BatchedVocoder: batches really form, and every caller gets its own answer."""
from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch

from tts.batching import BatchedVocoder, MicroBatcher
from tts.features import MelConfig, log_mel
from tts.vocoder import build_generator, load_vocoder
from tts.vocoder.checkpoint import save_checkpoint

sys.path.insert(0, str(Path(__file__).parent))
from vocoder_testkit import TINY_PWG, voiced  # noqa: E402


def test_concurrent_callers_share_batches_and_get_their_own_results():
    calls: list[list[int]] = []

    def double(items: list[int]) -> list[int]:
        calls.append(list(items))
        time.sleep(0.01)
        return [2 * x for x in items]

    with MicroBatcher(double, max_batch=4, max_wait_ms=50) as batcher:
        start = threading.Barrier(12)

        def call(x: int) -> int:
            start.wait()
            return batcher(x, timeout=5)

        with ThreadPoolExecutor(12) as pool:
            results = list(pool.map(call, range(12)))
    assert results == [2 * x for x in range(12)]
    assert max(batcher.batch_sizes) > 1 and all(n <= 4 for n in batcher.batch_sizes)
    assert sum(batcher.batch_sizes) == 12 and sorted(x for c in calls for x in c) == list(range(12))


def test_a_lone_item_waits_at_most_max_wait_and_errors_reach_every_caller():
    with MicroBatcher(lambda items: [x + 1 for x in items], max_batch=8, max_wait_ms=20) as batcher:
        t = time.monotonic()
        assert batcher(1, timeout=2) == 2
        assert time.monotonic() - t < 1.0

    def fail(items):
        raise RuntimeError("network exploded")

    batcher = MicroBatcher(fail, max_batch=4, max_wait_ms=30)
    futures = [batcher.submit(i) for i in range(3)]
    for f in futures:
        with pytest.raises(RuntimeError, match="exploded"):
            f.result(timeout=5)
    batcher.close()
    with pytest.raises(RuntimeError, match="closed"):
        batcher.submit(1)


def test_batched_vocoder_equals_single_calls(tmp_path):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    voc = load_vocoder(save_checkpoint(tmp_path / "tiny.pt", build_generator("pwg", TINY_PWG), MelConfig()))
    mels = [log_mel(voiced(s, f0, seed=i)) for i, (s, f0) in enumerate([(0.3, 120), (0.6, 180), (0.45, 220), (0.2, 90)])]
    single = [voc(m).numpy() for m in mels]
    batched = BatchedVocoder(voc, max_batch=4, max_wait_ms=100)
    try:
        barrier = threading.Barrier(len(mels))

        def call(m):
            barrier.wait()
            return batched(m, timeout=10)

        with ThreadPoolExecutor(len(mels)) as pool:
            outs = list(pool.map(call, mels))
    finally:
        batched.close()
    assert max(batched.batcher.batch_sizes) > 1
    for m, one, out in zip(mels, single, outs):  # padding the shorter ones with silence changes nothing
        assert out.shape == one.shape == (m.shape[-1] * 256,)
        np.testing.assert_allclose(out, one, atol=1e-5)
