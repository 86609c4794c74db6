"""The recogniser contract without running a model: factory, input guards, light import."""
from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from asr import ENGINES, Recognizer, Transcript, make_recognizer


def test_unknown_engine_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown ASR engine 'google'.*whisper, vosk"):
        make_recognizer("google")


@pytest.mark.parametrize("engine", ENGINES)
def test_engines_follow_the_protocol(engine):
    rec = make_recognizer(engine, model_dir=None, beam_size=5)  # the agent passes the same options to both
    assert isinstance(rec, Recognizer)
    assert rec.sample_rate == 16000
    assert rec.name


def test_bad_whisper_options():
    with pytest.raises(ValueError, match="beam_size"):
        make_recognizer("whisper", beam_size=0)
    with pytest.raises(ValueError, match="compute_type"):
        make_recognizer("whisper", compute_type="int3")
    with pytest.raises(ValueError, match="hypotheses"):
        make_recognizer("whisper", hypotheses=0)


def test_whisper_offers_at_most_a_beam_of_hypotheses():
    assert make_recognizer("whisper", beam_size=5).hypotheses == 4
    assert make_recognizer("whisper", beam_size=2, hypotheses=4).hypotheses == 2
    assert make_recognizer("whisper", beam_size=1).hypotheses == 1


def test_a_transcript_lists_its_hypotheses_best_first():
    assert Transcript("여사지", 1.0, 0.1, alternatives=("여섯 시요",)).hypotheses == ("여사지", "여섯 시요")
    assert Transcript("네", 1.0, 0.1).hypotheses == ("네",)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("audio, reason", [
    (np.zeros(0, np.float32), "empty"),
    (np.full(1600, 0.3, np.float32), "too_short"),
    (np.zeros(16000 * 5, np.float32), "silence"),
    (np.random.default_rng(1).normal(0, 0.001, 16000 * 3).astype(np.float32), "silence"),
    (np.zeros(16000 * 2, np.int16), "silence"),
])
def test_silence_returns_empty_text_fast_without_the_model(engine, audio, reason):
    rec = make_recognizer(engine)
    started = time.perf_counter()
    t = rec.transcribe(audio, hint="네 아니요")
    assert isinstance(t, Transcript)
    assert (t.text, t.dropped) == ("", reason)
    assert t.audio_s == pytest.approx(len(audio) / 16000)
    assert time.perf_counter() - started < 0.1
    assert rec._model is None, "the model must not be loaded for silence"


def test_stereo_audio_is_rejected():
    with pytest.raises(ValueError, match="mono"):
        make_recognizer("whisper").transcribe(np.zeros((2, 16000), np.float32))


def test_importing_asr_and_itn_is_light():
    code = ("import sys, asr, asr.itn; asr.itn.normalize('세 명');"
            "heavy = [m for m in ('numpy', 'ctranslate2', 'faster_whisper', 'vosk', 'soxr') if m in sys.modules];"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_asr_imports_no_web_database_or_telephony():
    """From telephony only the declared leaf codec module (and its package) may be loaded."""
    code = ("import sys, asr, asr.whisper_engine, asr.vosk_engine, asr.models, asr.guard, asr.channel,"
            " asr.nemo.session; asr.channel.telephone_band([0.0] * 800, 8000);"
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('fastapi', 'sqlalchemy', 'telephony', 'agent', 'pipecat', 'twilio', 'dialog', 'tts')"
            " and m not in ('telephony', 'telephony.codec')];"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
