"""Moving finished recordings from the spool folder into the recording storage, and linking each call record
to its stored copy.

A failed upload loses nothing: the spool file stays, the record keeps pointing at it (this server's dashboard
still plays it), the failure is logged, and ``upload_spooled`` tries again: at start-up right after the
recovery of interrupted calls (whose repaired files it uploads too), then every ``retry_s``. With the default
storage, the spool folder itself, nothing moves.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from loguru import logger

from agent.recordings.local import LocalFolderStorage
from agent.recordings.storage import RecordingStorage, RecordingStorageError
from agent.store import CallStore


class RecordingArchive:
    def __init__(self, storage: RecordingStorage, store: CallStore, spool: LocalFolderStorage):
        self.storage = storage
        self.store = store
        self.spool = spool
        self.in_place = isinstance(storage, LocalFolderStorage) and storage.root.resolve() == spool.root.resolve()
        self._busy: set[str] = set()  # calls being uploaded now (the end of a call and a retry may meet)
        self._lock = threading.Lock()
        self._task: asyncio.Task | None = None

    def keep(self, call_id: str, spool_file: Path) -> bool:
        """Store ``call_id``'s finished recording, link the record to it and remove the spool file; whether it
        is stored now. Never raises: on failure the file and the record's link to it stay for a retry.
        Blocking (an upload): run it in a thread."""
        if self.in_place:
            return True
        with self._lock:
            if call_id in self._busy:
                return False
            self._busy.add(call_id)
        try:
            return self._keep(call_id, spool_file)
        finally:
            with self._lock:
                self._busy.discard(call_id)

    def _keep(self, call_id: str, spool_file: Path) -> bool:
        try:
            reference = self.storage.save(call_id, spool_file)
        except RecordingStorageError as exc:
            logger.error(f"recording of call {call_id} was not stored in {self.storage}; kept at {spool_file} "
                         f"and tried again later: {exc}")
            return False
        try:
            if self.spool.file(self.store.recording_path(call_id)) != spool_file.resolve():
                # erased meanwhile (retention, a person's deletion): the copy just made must not outlive it
                self.storage.delete(reference)
                logger.warning(f"recording of call {call_id} was deleted while it was uploaded; its copy removed")
                return False
            self.store.link_recording(call_id, reference)
        except Exception:
            logger.exception(f"recording of call {call_id} stored as {reference} but not linked to the call; "
                             f"kept at {spool_file} and tried again later")
            return False
        try:
            spool_file.unlink(missing_ok=True)
        except OSError:
            logger.exception(f"recording of call {call_id} stored as {reference}; removing {spool_file} failed")
        logger.info(f"recording of call {call_id} stored as {reference}")
        return True

    def upload_spooled(self) -> list[str]:
        """Store the spool's recordings of calls that have ended (an upload that failed, a call a stopped server
        left); calls in progress keep theirs. Returns the ids of the calls stored now. Blocking."""
        if self.in_place:
            return []
        stored = []
        for path in sorted(self.spool.root.glob("*.wav")):
            call_id = path.stem
            try:
                record = self.store.get_call(call_id)
            except Exception:
                logger.exception("the database did not answer: spooled recordings are uploaded next time")
                break
            if record is None or record.status != "ended":
                continue  # a call in progress, or a file that is no call's recording: left alone
            if self.spool.file(record.recording_path) == path.resolve():
                if self.keep(call_id, path):
                    stored.append(call_id)
            elif record.recording_path and self._holds_copy_of(record.recording_path, path):
                path.unlink(missing_ok=True)  # stored and linked, then stopped before the spool file was removed
        if stored:
            logger.info(f"{len(stored)} spooled recording(s) stored in {self.storage}: {stored}")
        return stored

    def _holds_copy_of(self, reference: str, path: Path) -> bool:
        try:
            return self.storage.claims(reference) and self.storage.size(reference) == path.stat().st_size
        except (RecordingStorageError, OSError):
            return False

    def start(self, retry_s: float) -> None:
        """Run ``upload_spooled`` now and every ``retry_s`` seconds while the server runs."""
        if not self.in_place and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._retry_forever(retry_s))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _retry_forever(self, retry_s: float) -> None:
        while True:
            try:
                await asyncio.to_thread(self.upload_spooled)
            except Exception:
                logger.exception("uploading spooled recordings failed")
            await asyncio.sleep(retry_s)
