"""A call's recording for the call page's ``<audio>`` element, from whichever storage holds it (the local
folder, S3), streamed through this server with single byte ranges so the player can seek.

Streamed rather than redirected to a presigned URL: the dashboard's CSP allows media from 'self' only, the
bucket need not be reachable from operators' browsers, and the login check stays on every byte served.
"""

from __future__ import annotations

import re

from fastapi import HTTPException
from fastapi.responses import Response, StreamingResponse
from loguru import logger

from agent.recordings import RecordingShelf, RecordingStorageError

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
UNREACHABLE = "녹음 저장소에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요."
MISSING = "녹음 파일이 없습니다."


class RangeNotSatisfiable(Exception):
    """The range starts beyond the recording's end (HTTP 416)."""


def byte_range(header: str | None, total: int) -> tuple[int, int] | None:
    """The first and last byte a ``Range`` header asks of ``total`` bytes, or None to send them all (no
    header, one the server may ignore: not bytes, malformed, several ranges). RangeNotSatisfiable past the end."""
    match = _RANGE.fullmatch(header.strip()) if header else None
    if match is None or match[1] == match[2] == "":
        return None
    if match[1] == "":  # the last N bytes
        suffix = int(match[2])
        if suffix == 0 or total == 0:
            raise RangeNotSatisfiable(header)
        return max(0, total - suffix), total - 1
    first = int(match[1])
    last = int(match[2]) if match[2] else total - 1
    if match[2] and last < first:
        return None
    if first >= total:
        raise RangeNotSatisfiable(header)
    return first, min(last, total - 1)


def has_recording(shelf: RecordingShelf, reference: str | None) -> bool:
    """Whether the call page shows a player: a storage holds the recording (a storage down: no player)."""
    try:
        return shelf.find(reference) is not None
    except RecordingStorageError:
        logger.exception(f"could not ask the recording storage for {reference}")
        return False


def recording_response(shelf: RecordingShelf, reference: str | None, range_header: str | None) -> Response:
    """The recording ``reference`` names, whole (200) or the byte range asked (206); 404 when no storage
    holds it, 503 when its storage does not answer."""
    try:
        found = shelf.find(reference)
    except RecordingStorageError as exc:
        logger.error(f"could not ask the recording storage for {reference}: {exc}")
        raise HTTPException(503, UNREACHABLE) from exc
    if found is None:
        raise HTTPException(404, MISSING)
    storage, total = found
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, no-store"}
    try:
        wanted = byte_range(range_header, total)
    except RangeNotSatisfiable:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{total}"})
    if total == 0:
        return Response(b"", media_type="audio/wav", headers=headers)
    first, last = wanted or (0, total - 1)
    try:
        chunks = storage.read(reference, first, last)
    except RecordingStorageError as exc:
        logger.error(f"reading recording {reference} failed: {exc}")
        raise HTTPException(503, UNREACHABLE) from exc
    headers["Content-Length"] = str(last - first + 1)
    if wanted is None:
        return StreamingResponse(chunks, media_type="audio/wav", headers=headers)
    headers["Content-Range"] = f"bytes {first}-{last}/{total}"
    return StreamingResponse(chunks, status_code=206, media_type="audio/wav", headers=headers)
