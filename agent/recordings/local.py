"""Recordings as files in one folder (``data_dir/recordings``): the default storage, and the spool every call
records into while it is live whatever the storage.

A reference is the file's path as the call record has always held it; only files inside the folder are ever
read, whatever a record says (a path elsewhere is not this storage's recording).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

from agent.recordings.storage import CHUNK_BYTES, RecordingStorageError


class LocalFolderStorage:
    """``RecordingStorage`` on a folder; references are the files' paths."""

    def __init__(self, root: Path):
        self.root = root

    def __str__(self) -> str:
        return f"folder {self.root}"

    def path_for(self, call_id: str) -> Path:
        """Where ``call_id``'s recording is spooled and, in this storage, kept."""
        return self.root / f"{call_id}.wav"

    def claims(self, reference: str) -> bool:
        return "://" not in reference

    def save(self, call_id: str, spool: Path) -> str:
        """The spool file is the recording when it already lies in this folder (the default): nothing moves."""
        target = self.path_for(call_id)
        try:
            if spool.resolve() != target.resolve():
                target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                shutil.move(spool, target)
        except OSError as exc:
            raise RecordingStorageError(f"moving {spool} to {target} failed: {exc}") from exc
        return str(target)

    def file(self, reference: str | None) -> Path | None:
        """The recording's file if the reference names a file inside this folder; never any other path."""
        if not reference or not self.claims(reference):
            return None
        root = self.root.resolve()
        candidate = Path(reference)
        if not candidate.is_absolute():
            candidate = Path.cwd() / candidate
        candidate = candidate.resolve()
        if not candidate.is_relative_to(root) or not candidate.is_file():
            return None
        return candidate

    def size(self, reference: str) -> int | None:
        path = self.file(reference)
        try:
            return path.stat().st_size if path else None
        except FileNotFoundError:  # uploaded and removed from the spool meanwhile
            return None

    def read(self, reference: str, first: int, last: int) -> Iterator[bytes]:
        path = self.file(reference)
        if path is None:
            raise RecordingStorageError(f"recording {reference} is gone")
        try:
            handle = open(path, "rb")  # noqa: SIM115  (closed by the generator)
        except OSError as exc:
            raise RecordingStorageError(f"reading {path} failed: {exc}") from exc
        return _chunks(handle, first, last)

    def delete(self, reference: str) -> None:
        path = self.file(reference)
        try:
            if path is not None:
                path.unlink(missing_ok=True)
        except OSError as exc:
            raise RecordingStorageError(f"removing {path} failed: {exc}") from exc


def _chunks(handle, first: int, last: int) -> Iterator[bytes]:
    with handle:
        handle.seek(first)
        left = last - first + 1
        while left > 0:
            chunk = handle.read(min(CHUNK_BYTES, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
