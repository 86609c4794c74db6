"""The seam between a call's recording and where it is kept: ``RecordingStorage``, and ``RecordingShelf`` to
find which storage holds a stored reference.

A call records into a spool file on local disk while it is live (``agent.call.recording``: crash-safe); when it
ends the file is handed to the configured storage (``agent.recordings.archive``), and the call record's
``recording_path`` column keeps the *reference* the storage gave back: a file path for the local folder (the
default, as before), an ``s3://bucket/key`` URL for object storage. Nothing in the schema changes: the column
was always "where the recording is".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from loguru import logger

CHUNK_BYTES = 64 * 1024  # one read of a recording being served


class RecordingStorageError(Exception):
    """The storage could not be reached or refused the operation; the recording stays where it was."""


class RecordingStorage(Protocol):
    """Somewhere finished recordings are kept, addressed by the reference ``save`` returns."""

    def claims(self, reference: str) -> bool:
        """Whether ``reference`` is of this storage's kind (a file path; an ``s3://`` URL), held or not."""
        ...

    def save(self, call_id: str, spool: Path) -> str:
        """Keep the finished recording ``spool`` as ``call_id``'s; returns the reference to link to the call.
        Raises RecordingStorageError, leaving ``spool`` untouched."""
        ...

    def size(self, reference: str) -> int | None:
        """Bytes of the recording ``reference`` names, or None when this storage holds no such recording.
        Raises RecordingStorageError when the storage cannot be asked."""
        ...

    def read(self, reference: str, first: int, last: int) -> Iterator[bytes]:
        """Bytes ``first`` to ``last`` (inclusive) of the recording, in chunks. Raises RecordingStorageError."""
        ...

    def delete(self, reference: str) -> None:
        """Remove the recording (gone already is fine). Raises RecordingStorageError."""
        ...


class RecordingShelf:
    """Every storage a call record's reference may name, asked in turn: the configured one, then the local
    folder (the spool, where a recording waits for its upload, and recordings kept before object storage was
    configured). What the dashboard reads recordings through."""

    def __init__(self, *storages: RecordingStorage):
        self.storages = storages

    def find(self, reference: str | None) -> tuple[RecordingStorage, int] | None:
        """The storage holding ``reference`` and the recording's size in bytes; None when none holds it.
        Raises RecordingStorageError when a storage that might hold it cannot be asked."""
        if not reference:
            return None
        claimants = [storage for storage in self.storages if storage.claims(reference)]
        if not claimants:
            logger.warning(f"recording {reference} is in a storage this server is not configured for "
                           "(CARECALL_RECORDING_STORAGE)")
        for storage in claimants:
            size = storage.size(reference)
            if size is not None:
                return storage, size
        return None

    def delete(self, reference: str | None) -> None:
        """Remove the recording from the storages of its kind (gone already is fine). Raises
        RecordingStorageError."""
        if not reference:
            return
        claiming = [storage for storage in self.storages if storage.claims(reference)]
        if not claiming:  # e.g. an s3:// reference on a server configured for the local folder only
            raise RecordingStorageError(f"no configured recording storage holds {reference}")
        for storage in claiming:
            storage.delete(reference)
