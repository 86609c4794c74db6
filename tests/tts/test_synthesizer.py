"""The synthesiser API with the real engines: Kokoro (≈1–2 s to load) and the espeak-ng fallback."""
from __future__ import annotations

import shutil
import threading

import numpy as np
import pytest

from tts import SynthesisError, Synthesizer, available_voices, make_synthesizer
from tts.cache import AudioCache

TEXT = "안녕하세요. 식사는 하셨어요?"


@pytest.fixture(scope="module")
def kokoro() -> Synthesizer:
    syn = make_synthesizer("kokoro", voice="jf_alpha")
    return syn.load()


def _seconds(pcm: np.ndarray, syn: Synthesizer) -> float:
    return len(pcm) / syn.sample_rate


def test_kokoro_synthesizes_audible_int16_of_plausible_length(kokoro: Synthesizer) -> None:
    pcm = kokoro.synthesize(TEXT)
    assert kokoro.sample_rate == 24000
    assert pcm.dtype == np.int16 and pcm.ndim == 1
    assert 1.2 < _seconds(pcm, kokoro) < 6.0  # 12 syllables
    assert np.abs(pcm.astype(np.int32)).max() > 3000
    assert np.sqrt(np.mean(pcm.astype(np.float64) ** 2)) > 300


def test_stream_yields_clauses_that_add_up_to_synthesize(kokoro: Synthesizer) -> None:
    text = "어제 넘어져서 무릎을 다쳤는데 아직도 많이 아파요. 내일 병원에 가요."
    chunks = list(kokoro.stream(text))
    whole = kokoro.synthesize(text)
    assert len(chunks) == 3 and all(c.dtype == np.int16 and c.size for c in chunks)
    joined = np.concatenate(chunks)
    assert abs(len(joined) - len(whole)) <= 0.02 * len(whole)
    assert np.array_equal(joined, whole)  # same clauses, same (cached) audio


def test_speed_changes_duration(kokoro: Synthesizer) -> None:
    slow = make_synthesizer("kokoro", voice="jf_alpha", speed=0.8).load().synthesize("내일 오후에 다시 전화드릴게요.")
    fast = make_synthesizer("kokoro", voice="jf_alpha", speed=1.25).load().synthesize("내일 오후에 다시 전화드릴게요.")
    assert len(slow) > 1.3 * len(fast)


def test_cache_serves_repeated_prompts(kokoro: Synthesizer) -> None:
    kokoro.cache.clear()
    first = kokoro.synthesize("오늘 기분은 어떠세요?")
    hits = kokoro.cache.hits
    again = kokoro.synthesize("오늘 기분은 어떠세요?")
    assert kokoro.cache.hits == hits + 1 and np.array_equal(first, again)
    with pytest.raises(ValueError):
        next(kokoro.stream("오늘 기분은 어떠세요?"))[0] = 1  # cached arrays are shared, hence read-only


def test_concurrent_calls_from_threads(kokoro: Synthesizer) -> None:
    kokoro.cache.clear()
    results: dict[int, np.ndarray] = {}
    texts = ["약은 드셨어요?", "잠은 잘 주무셨어요?", "식사는 하셨어요?"]
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, kokoro.synthesize(texts[i])))
               for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[i].size > 0.5 * kokoro.sample_rate for i in range(3))


def test_numbers_are_read_out(kokoro: Synthesizer) -> None:
    assert kokoro.clauses("7:30에 3명 예약.") == ["일곱 시 삼십 분에 세 명 예약."]
    assert kokoro.synthesize("3명").size > kokoro.synthesize("명").size


def test_nothing_to_say_gives_empty_audio(kokoro: Synthesizer) -> None:
    assert kokoro.synthesize("").size == 0
    assert kokoro.synthesize("...").size == 0


def test_unknown_engine_and_voice_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown TTS engine 'piper'.*kokoro, espeak"):
        make_synthesizer("piper")
    with pytest.raises(ValueError, match="unknown kokoro voice 'af_heart'.*jf_alpha"):
        make_synthesizer("kokoro", voice="af_heart")
    with pytest.raises(ValueError, match="speed"):
        make_synthesizer("kokoro", speed=5)
    assert "jm_kumo" in available_voices("kokoro") and "ko" in available_voices("espeak")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_espeak_fallback() -> None:
    syn = make_synthesizer("espeak").load()
    pcm = syn.synthesize(TEXT)
    assert syn.sample_rate == 22050 and pcm.dtype == np.int16
    assert 1.0 < _seconds(pcm, syn) < 6.0 and np.abs(pcm.astype(np.int32)).max() > 3000
    assert len(list(syn.stream(TEXT))) == 2
    # the agent's default voice name works with the fallback too
    assert make_synthesizer("espeak", voice="jf_alpha").load().synthesize("네").size > 0


def test_missing_espeak_binary_is_a_clear_error() -> None:
    with pytest.raises(SynthesisError, match="not found"):
        make_synthesizer("espeak", binary="espeak-ng-does-not-exist").load()


def test_audio_cache_is_bounded() -> None:
    cache = AudioCache(max_entries=2, max_bytes=1000)
    for i in range(3):
        cache.put(i, np.zeros(100, np.int16))
    assert len(cache) == 2 and cache.get(0) is None
    cache.put("big", np.zeros(400, np.int16))  # 800 B: evicts until under 1000 B
    assert cache.nbytes <= 1000 and cache.get("big") is not None
