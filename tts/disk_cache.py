"""Clause audio that survives a restart: one ``.npy`` file per clause, beneath the in-memory ``AudioCache``.

Why: a freshly started server would otherwise synthesise again every greeting and question it said the day
before, and that synthesis is most of the first calls' wait. Keys carry the model's identity (a hash of the
weights and of the text front-end and engine code, ``Synthesizer.model_identity``), so new weights or new
pronunciation rules never replay old audio. A file is written under a temporary name and renamed into place,
so a killed process never leaves half a file; a file that does not load as int16 mono is deleted and the
clause synthesised again. The folder is bounded in bytes: past the bound the least recently used files go.
"""
from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Hashable
from functools import cache
from pathlib import Path

import numpy as np

from tts.cache import AudioCache

SUFFIX = ".npy"
TTS_ROOT = Path(__file__).resolve().parent


class DiskAudioCache:
    """int16 clause audio under ``directory``, one file per (model identity, key), at most ``max_bytes`` in all.

    Thread-safe, and several processes may share the folder (renames are atomic; the bound is enforced by
    each from what it finds on disk)."""

    def __init__(self, directory: str | Path, model_identity: str, max_bytes: int = 256 << 20):
        self.directory = Path(directory)
        self.model_identity = model_identity
        self.max_bytes = max_bytes
        self.hits = self.misses = self.errors = 0
        self._lock = threading.Lock()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._bytes = sum(size for _, size, _ in self._files())

    def path(self, key: Hashable) -> Path:
        digest = hashlib.sha256(repr((self.model_identity, key)).encode("utf-8")).hexdigest()
        return self.directory / f"{digest}{SUFFIX}"

    def get(self, key: Hashable) -> np.ndarray | None:
        path = self.path(key)
        try:
            audio = np.load(path, allow_pickle=False)
            if audio.dtype != np.int16 or audio.ndim != 1:
                raise ValueError(f"{audio.dtype} {audio.shape}, not int16 mono")
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError, EOFError):  # truncated, foreign or unreadable: synthesise it again
            self.errors += 1
            self.misses += 1
            self._remove(path)
            return None
        try:
            os.utime(path)  # recently used: evicted last
        except OSError:
            pass
        self.hits += 1
        return audio

    def put(self, key: Hashable, audio: np.ndarray) -> None:
        audio = np.ascontiguousarray(audio, dtype=np.int16).ravel()
        if self.max_bytes <= 0 or audio.nbytes > self.max_bytes:
            return
        path = self.path(key)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "wb") as f:
                np.save(f, audio, allow_pickle=False)
            old = path.stat().st_size if path.exists() else 0
            os.replace(tmp, path)
            size = path.stat().st_size
        except OSError:  # a full or read-only disk costs speed, never the call
            self.errors += 1
            self._remove(tmp)
            return
        with self._lock:
            self._bytes += size - old
            over = self._bytes > self.max_bytes
        if over:
            self._evict()

    def clear(self) -> None:
        for path, _, _ in self._files():
            self._remove(path)
        with self._lock:
            self._bytes = 0

    def __len__(self) -> int:
        return sum(1 for _ in self._files())

    @property
    def nbytes(self) -> int:
        return self._bytes

    def _files(self) -> list[tuple[Path, int, float]]:
        """(path, size, last use) of every cache file, whatever model wrote it."""
        found = []
        try:
            entries = list(os.scandir(self.directory))
        except OSError:
            return found
        for entry in entries:
            if entry.name.endswith(SUFFIX) and not entry.name.startswith("."):
                try:
                    st = entry.stat()
                except OSError:
                    continue
                found.append((Path(entry.path), st.st_size, st.st_mtime))
        return found

    def _evict(self) -> None:
        """Delete the least recently used files until the folder is at 90 % of its bound (files of other
        models are never used, so they go first)."""
        with self._lock:
            files = sorted(self._files(), key=lambda f: f[2])
            total = sum(size for _, size, _ in files)
            target = int(self.max_bytes * 0.9)
            for path, size, _ in files:
                if total <= target:
                    break
                if self._remove(path):
                    total -= size
            self._bytes = total

    @staticmethod
    def _remove(path: Path) -> bool:
        try:
            path.unlink()
            return True
        except OSError:
            return False


class LayeredAudioCache:
    """The ``AudioCache`` interface over two layers: memory first, then disk; a disk hit is kept in memory and a
    new clause goes to both. ``clear()`` empties the memory layer only (the disk layer has its own)."""

    def __init__(self, memory: AudioCache, disk: DiskAudioCache):
        self.memory, self.disk = memory, disk

    def get(self, key: Hashable) -> np.ndarray | None:
        audio = self.memory.get(key)
        if audio is None:
            audio = self.disk.get(key)
            if audio is not None:
                self.memory.put(key, audio)
        return audio

    def put(self, key: Hashable, audio: np.ndarray) -> None:
        self.memory.put(key, audio)
        self.disk.put(key, audio)

    def clear(self) -> None:
        self.memory.clear()

    def __len__(self) -> int:
        return len(self.memory)

    @property
    def nbytes(self) -> int:
        return self.memory.nbytes

    @property
    def hits(self) -> int:
        return self.memory.hits + self.disk.hits

    @property
    def misses(self) -> int:
        return self.disk.misses


@cache
def source_fingerprint() -> str:
    """A hash of the synthesis code (``tts/`` without its training recipes): text normalisation, G2P, engines.
    A change in any of them may change the audio of a clause, so it is part of every disk key."""
    digest = hashlib.sha256()
    for path in sorted(TTS_ROOT.rglob("*.py")):
        rel = path.relative_to(TTS_ROOT)
        if rel.parts[0] == "recipes":
            continue
        digest.update(str(rel).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_digests: dict[tuple[str, int, int], str] = {}
_digests_lock = threading.Lock()


def file_digest(path: str | Path) -> str:
    """SHA-256 of a weights file, computed once per process for a given (path, size, mtime)."""
    st = os.stat(path)
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    with _digests_lock:
        if key in _digests:
            return _digests[key]
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    with _digests_lock:
        _digests[key] = digest.hexdigest()
    return _digests[key]
