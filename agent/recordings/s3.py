"""Recordings as objects in S3 or an S3-compatible store (MinIO, Ceph RGW …), ``<prefix>/<call_id>.wav`` in one
bucket, so that a dashboard on any server plays any server's calls.

Credentials come from the settings when given (``CARECALL_S3_ACCESS_KEY_ID`` …); unset, boto3's own chain
(an instance role, a mounted profile) answers. A reference is the object's ``s3://bucket/key`` URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import boto3
from boto3.exceptions import Boto3Error
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from agent.recordings.storage import CHUNK_BYTES, RecordingStorageError

_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
# A dashboard page waits on a HEAD: fail within seconds when the store is down, retry a hiccup once or twice.
CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=30, retries={"mode": "standard", "max_attempts": 3})


def split_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ("bucket", "some/prefix"); ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"'{url}' is not an s3://bucket/prefix URL")
    return parts.netloc, parts.path.strip("/")


class S3Storage:
    """``RecordingStorage`` on one bucket and key prefix; references ``s3://bucket/prefix/<call_id>.wav``."""

    def __init__(
        self,
        url: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ):
        self.bucket, self.prefix = split_s3_url(url)
        # MinIO and most S3-compatible stores expect path-style addressing; AWS itself picks its own.
        config = CLIENT_CONFIG.merge(Config(s3={"addressing_style": "path"})) if endpoint_url else CLIENT_CONFIG
        self._client = _session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=config,
        )

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def key_for(self, call_id: str) -> str:
        return f"{self.prefix}/{call_id}.wav" if self.prefix else f"{call_id}.wav"

    def claims(self, reference: str) -> bool:
        return reference.startswith("s3://")

    def save(self, call_id: str, spool: Path) -> str:
        """Upload, then check the stored size against the file: only a whole recording counts as kept."""
        key = self.key_for(call_id)
        try:
            self._client.upload_file(str(spool), self.bucket, key, ExtraArgs={"ContentType": "audio/wav"})
            stored = self._client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
            expected = spool.stat().st_size
        except (Boto3Error, BotoCoreError, ClientError, OSError) as exc:
            raise RecordingStorageError(f"uploading {spool} to s3://{self.bucket}/{key} failed: {exc}") from exc
        if stored != expected:
            raise RecordingStorageError(f"s3://{self.bucket}/{key} holds {stored} bytes of {spool}'s {expected}")
        return f"s3://{self.bucket}/{key}"

    def size(self, reference: str) -> int | None:
        if not self.claims(reference):
            return None
        bucket, key = split_s3_url(reference)
        try:
            return self._client.head_object(Bucket=bucket, Key=key)["ContentLength"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise RecordingStorageError(f"asking for {reference} failed: {exc}") from exc
        except BotoCoreError as exc:
            raise RecordingStorageError(f"asking for {reference} failed: {exc}") from exc

    def read(self, reference: str, first: int, last: int) -> Iterator[bytes]:
        bucket, key = split_s3_url(reference)
        try:
            body = self._client.get_object(Bucket=bucket, Key=key, Range=f"bytes={first}-{last}")["Body"]
        except (BotoCoreError, ClientError) as exc:
            raise RecordingStorageError(f"reading {reference} failed: {exc}") from exc
        return _chunks(body)

    def delete(self, reference: str) -> None:
        bucket, key = split_s3_url(reference)
        try:
            self._client.delete_object(Bucket=bucket, Key=key)  # S3 answers 204 for a key that is not there
        except (BotoCoreError, ClientError) as exc:
            raise RecordingStorageError(f"removing {reference} failed: {exc}") from exc


@cache
def _session() -> boto3.session.Session:
    """One per process: it loads S3's API model once for every client (the runner's, the dashboard's)."""
    return boto3.session.Session()


def _chunks(body) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()
