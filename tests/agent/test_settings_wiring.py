"""Folders and thread counts reach the engines from the settings: asr/ and tts/ read no environment."""

from __future__ import annotations

from pathlib import Path

from agent.settings import Settings
from asr import make_recognizer
from tts import make_synthesizer


def test_models_dir_and_threads_reach_the_engines(tmp_path):
    settings = Settings(data_dir=tmp_path, models_dir=tmp_path / "models", tts_threads=1)
    whisper = make_recognizer("whisper", **settings.asr_options())
    assert Path(whisper.models_dir) == tmp_path / "models"
    kokoro = make_synthesizer("kokoro", **settings.tts_options())
    assert (kokoro.models_dir, kokoro.threads) == (tmp_path / "models", 1)
    hdts = make_synthesizer("hdts", **Settings(tts_engine="hdts", tts_threads=3).tts_options())
    assert hdts.threads == 3


def test_the_nemo_onnx_export_goes_under_the_cache_dir(tmp_path):
    options = Settings(asr_engine="nemo-onnx", data_dir=tmp_path / "data", cache_dir=tmp_path / "cache").asr_options()
    assert options["onnx_cache_dir"] == tmp_path / "cache" / "nemo-onnx"
    assert Settings(asr_engine="nemo", data_dir=tmp_path).asr_options()["onnx_cache_dir"] == tmp_path / "nemo-onnx"


def test_the_engines_ignore_the_old_environment_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("CARECALL_TTS_THREADS", "7")
    monkeypatch.setenv("CARECALL_MODELS_DIR", str(tmp_path / "env"))
    from tts.kokoro_model import cache_dir

    assert make_synthesizer("kokoro", threads=None).threads != 7
    assert cache_dir().parts[-4:] == (".cache", "carecall", "models", "kokoro")
    assert cache_dir(tmp_path) == tmp_path / "kokoro"


def test_the_phone_simulators_caller_voice_is_assembled_under_models_dir(tmp_path):
    from agent.campaigns.queue import MemoryJobQueue
    from agent.campaigns.runtime import Backend, make_placer
    from agent.campaigns.slots import MemorySlots

    settings = Settings(data_dir=tmp_path, models_dir=tmp_path / "models")
    placer = make_placer("phone", settings, None, Backend(MemoryJobQueue(), MemorySlots()))
    assert placer.models_dir == tmp_path / "models"
