"""Cross-call batching of the recogniser (asr.batching): the batcher's flushing and failures without a model,
and, with the real Whisper, that a batch of several calls' turns gives each what it gets alone."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from asr import StreamingRecognizer, Transcript, make_recognizer
from asr.batching import BatchedRecognizer, MicroBatcher, Segment

FOREVER_MS = 600_000.0  # a wait no test reaches: a batch that runs was flushed by being full
RESULT_TIMEOUT_S = 10.0


def doubled(items: list[int]) -> list[int | Exception]:
    return [ValueError(f"item {x} is bad") if x < 0 else 2 * x for x in items]


def test_a_full_batch_runs_at_once_without_waiting():
    with_batcher = MicroBatcher(doubled, max_batch=3, max_wait_ms=FOREVER_MS)
    try:
        futures = [with_batcher.submit(x) for x in (1, 2, 3)]
        assert [f.result(RESULT_TIMEOUT_S) for f in futures] == [2, 4, 6]
        assert with_batcher.batch_sizes == [3]
    finally:
        with_batcher.close()


def test_a_lone_item_runs_when_the_wait_is_over():
    batcher = MicroBatcher(doubled, max_batch=8, max_wait_ms=5)
    try:
        assert batcher.submit(21).result(RESULT_TIMEOUT_S) == 42
        assert batcher.batch_sizes == [1]  # not full: only the end of the wait ran it
    finally:
        batcher.close()


def test_a_failing_item_fails_only_its_caller():
    batcher = MicroBatcher(doubled, max_batch=3, max_wait_ms=FOREVER_MS)
    try:
        good, bad, other = (batcher.submit(x) for x in (1, -1, 5))
        assert (good.result(RESULT_TIMEOUT_S), other.result(RESULT_TIMEOUT_S)) == (2, 10)
        with pytest.raises(ValueError, match="item -1 is bad"):
            bad.result(RESULT_TIMEOUT_S)
        assert batcher.batch_sizes == [3]
    finally:
        batcher.close()


def test_a_batch_that_crashes_fails_its_callers_and_the_batcher_goes_on():
    calls = []

    def flaky(items: list[int]) -> list[int]:
        calls.append(items)
        if len(calls) == 1:
            raise RuntimeError("out of memory")
        return items

    batcher = MicroBatcher(flaky, max_batch=2, max_wait_ms=FOREVER_MS)
    try:
        first = [batcher.submit(x) for x in (1, 2)]
        for future in first:
            with pytest.raises(RuntimeError, match="out of memory"):
                future.result(RESULT_TIMEOUT_S)
        assert [f.result(RESULT_TIMEOUT_S) for f in [batcher.submit(x) for x in (3, 4)]] == [3, 4]
    finally:
        batcher.close()


def test_a_wrong_number_of_results_is_an_error_not_a_mix_up():
    batcher = MicroBatcher(lambda items: items[:1], max_batch=2, max_wait_ms=FOREVER_MS)
    try:
        futures = [batcher.submit(x) for x in (1, 2)]
        for future in futures:
            with pytest.raises(RuntimeError, match="1 results for 2 items"):
                future.result(RESULT_TIMEOUT_S)
    finally:
        batcher.close()


def test_close_finishes_what_is_queued_then_refuses_more():
    batcher = MicroBatcher(doubled, max_batch=8, max_wait_ms=FOREVER_MS)
    future = batcher.submit(4)
    batcher.close()  # the waiting batch is run, not dropped
    assert future.result(RESULT_TIMEOUT_S) == 8
    with pytest.raises(RuntimeError, match="closed"):
        batcher.submit(1)


class EchoEngine:
    """A batch engine whose transcript is its segment's hint; records the batches it was given."""

    name = "echo"
    sample_rate = 16000

    def __init__(self):
        self.batches: list[list[str | None]] = []
        self.loaded = threading.Event()

    def load(self) -> None:
        self.loaded.set()

    def transcribe(self, audio, hint=None) -> Transcript:
        return self.transcribe_batch([Segment(audio, hint)])[0]

    def transcribe_batch(self, segments):
        self.batches.append([s.hint for s in segments])
        return [ValueError("unreadable") if s.hint == "bad" else Transcript(s.hint or "", 0.1, 0.0) for s in segments]


def test_concurrent_calls_share_one_engine_batch_and_each_gets_its_own_transcript():
    engine = EchoEngine()
    recognizer = BatchedRecognizer(engine, max_batch=4, max_wait_ms=FOREVER_MS)
    hints = ["하나", "bad", "셋", "넷"]

    def call(hint):
        try:
            return recognizer.transcribe(np.zeros(1600, np.float32), hint, timeout=RESULT_TIMEOUT_S).text
        except ValueError as exc:
            return f"error: {exc}"

    try:
        with ThreadPoolExecutor(4) as pool:
            heard = list(pool.map(call, hints))
        assert heard == ["하나", "error: unreadable", "셋", "넷"]
        assert len(engine.batches) == 1 and sorted(engine.batches[0]) == sorted(hints)
        recognizer.load()
        assert engine.loaded.is_set() and recognizer.sample_rate == 16000
    finally:
        recognizer.close()


def test_the_setting_wraps_whisper_and_refuses_an_engine_that_cannot_batch(tmp_path):
    from agent.settings import Settings

    settings = Settings(data_dir=tmp_path, asr_batch=True)
    recognizer = make_recognizer("whisper", **settings.asr_options())
    try:
        assert isinstance(recognizer, BatchedRecognizer) and recognizer.engine.device == "cpu"
        assert not isinstance(recognizer, StreamingRecognizer), "the call uses the segmented STT service"
    finally:
        recognizer.close()
    assert not isinstance(make_recognizer("whisper", **Settings(data_dir=tmp_path).asr_options()), BatchedRecognizer)
    with pytest.raises(ValueError, match="vosk engine cannot batch"):
        make_recognizer("vosk", **Settings(data_dir=tmp_path, asr_engine="vosk", asr_batch=True).asr_options())


# (caller sentence, the question's hint), as in test_asr_recognition: the session's Kokoro has them cached.
COUNT = ("세 명이요", "한 명 두 명 세 명 네 명 다섯 명 여섯 명 혼자 둘이 어른 아이")
TIME = ("저녁 여섯 시요", "점심 저녁 오전 오후 시 반 분")


@pytest.mark.slow
def test_a_batch_of_calls_gives_each_turn_what_it_gets_alone(whisper, speak):
    count, evening = speak(COUNT[0], telephone=True), speak(TIME[0], telephone=True)
    segments = [
        Segment(count, COUNT[1]),
        Segment(evening, TIME[1]),
        Segment(count, TIME[1]),  # same prompt length as the one before: decoded in the same CTranslate2 batch
        Segment(np.zeros(16000, np.float32), TIME[1]),  # silence: the guard answers it, no decoding
        Segment(np.zeros((2, 800), np.float32), TIME[1]),  # stereo: this caller's error only
    ]
    alone = [whisper.transcribe(s.audio, s.hint) for s in segments[:4]]
    assert alone[0].text and alone[1].text and alone[3].dropped == "silence"

    groups: list[int] = []
    decode_windows = whisper._decode_windows

    def spy(turns):
        groups.append(len(turns))
        return decode_windows(turns)

    batched = BatchedRecognizer(whisper, max_batch=len(segments), max_wait_ms=FOREVER_MS)
    try:
        whisper._decode_windows = spy
        with ThreadPoolExecutor(len(segments)) as pool:
            futures = [pool.submit(batched.transcribe, s.audio, s.hint, RESULT_TIMEOUT_S * 6) for s in segments]
            together = [f.result() for f in futures[:4]]
            with pytest.raises(ValueError, match="mono"):
                futures[4].result()
    finally:
        del whisper._decode_windows
        batched.close()
    assert batched.batcher.batch_sizes == [len(segments)]
    assert sorted(groups) == [1, 2], "the two turns with equal prompts went through one batched decode"
    for one, many in zip(alone, together):
        assert (many.text, many.raw, many.alternatives, many.dropped, many.audio_s) == (
            one.text, one.raw, one.alternatives, one.dropped, one.audio_s)
