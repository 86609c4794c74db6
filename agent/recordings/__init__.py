"""Where call recordings are kept once a call ends: a local folder (the default) or S3-compatible object
storage (``CARECALL_RECORDING_STORAGE=s3://bucket/prefix``), behind one ``RecordingStorage`` seam.

Calls always record into the local spool folder while live (``agent.call.recording``); ``RecordingArchive``
moves a finished one into the storage and links the call record to it; the dashboard reads through
``RecordingShelf``.
"""

from __future__ import annotations

from agent.recordings.archive import RecordingArchive
from agent.recordings.local import LocalFolderStorage
from agent.recordings.storage import RecordingShelf, RecordingStorage, RecordingStorageError
from agent.settings import Settings
from agent.store import CallStore

__all__ = [
    "LocalFolderStorage",
    "RecordingArchive",
    "RecordingShelf",
    "RecordingStorage",
    "RecordingStorageError",
    "recording_archive",
    "recording_shelf",
    "recording_storage",
]


def recording_storage(settings: Settings) -> RecordingStorage:
    """The storage the settings name: S3 for an ``s3://`` URL, else the recordings folder under data_dir."""
    if not settings.recording_storage:
        return LocalFolderStorage(settings.recordings_dir)
    from agent.recordings.s3 import S3Storage  # boto3 is loaded only by servers that use it

    return S3Storage(
        settings.recording_storage,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
    )


def recording_shelf(settings: Settings) -> RecordingShelf:
    """The configured storage and, behind it, the local folder (spooled and older recordings)."""
    storage = recording_storage(settings)
    if isinstance(storage, LocalFolderStorage):
        return RecordingShelf(storage)
    return RecordingShelf(storage, LocalFolderStorage(settings.recordings_dir))


def recording_archive(settings: Settings, store: CallStore) -> RecordingArchive:
    return RecordingArchive(recording_storage(settings), store, LocalFolderStorage(settings.recordings_dir))
