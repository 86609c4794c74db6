"""Two-sided call recording written to disk as the call goes, so a crash keeps what was recorded.

The WAV header is rewritten and the file flushed after every block, so the file a killed process leaves is
playable up to its last block; ``repair_wav`` fixes the header of one cut between a block and its header.
The file is the call's spool: once the call ends ``agent.recordings`` hands it to the recording storage
(kept in place by default, uploaded to S3 when configured).
"""

from __future__ import annotations

import os
import struct
import wave
from pathlib import Path
from typing import BinaryIO

from loguru import logger
from pipecat.processors.audio.audio_buffer_processor import AudioBufferProcessor

RECORDING_RATE = 8000  # the phone band: what both parties actually heard
FLUSH_SECONDS = 2  # at most this much of the call is lost with the process
_HEADER_BYTES = 44  # RIFF/WAVE, fmt (PCM, 16 bytes), data: what ``wave`` writes


class CallRecording:
    """Stereo WAV (left: caller, right: agent) fed by pipecat's ``AudioBufferProcessor``."""

    def __init__(self, path: Path):
        self.path = path
        self.processor = AudioBufferProcessor(
            sample_rate=RECORDING_RATE,
            num_channels=2,
            buffer_size=RECORDING_RATE * 2 * 2 * FLUSH_SECONDS,
        )
        self._file: BinaryIO | None = None
        self._wav: wave.Wave_write | None = None
        self.seconds = 0.0
        self.processor.add_event_handler("on_audio_data", self._on_audio_data)

    async def start(self) -> None:
        await self.processor.start_recording()

    async def _on_audio_data(self, _processor, audio: bytes, sample_rate: int, num_channels: int) -> None:
        if not audio:
            return
        if self._wav is None:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            owner_only = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self._file = open(owner_only, "wb")  # noqa: SIM115  (closed in close())
            self._wav = wave.open(self._file, "wb")
            self._wav.setnchannels(num_channels)
            self._wav.setsampwidth(2)
            self._wav.setframerate(sample_rate)
        # wave patches the header after every write; the flush puts both in the file, not in our buffer.
        self._wav.writeframes(audio)
        assert self._file is not None
        self._file.flush()
        self.seconds += len(audio) / (2 * num_channels * sample_rate)

    def close(self) -> Path | None:
        """Finish the file; returns its path, or None when nothing was recorded."""
        if self._wav is None:
            return None
        try:
            self._wav.close()
            if self._file is not None:
                self._file.close()
        except Exception:  # never let a recording problem lose the call record
            logger.exception(f"closing recording {self.path} failed")
        self._wav, self._file = None, None
        return self.path


def repair_wav(path: Path) -> bool:
    """Make a PCM WAV's header agree with the bytes on disk (a process killed between writing a block and
    its header), dropping a trailing partial frame. Returns whether the file is a playable WAV now."""
    try:
        with open(path, "r+b") as f:
            header = f.read(_HEADER_BYTES)
            if len(header) < _HEADER_BYTES or header[:4] != b"RIFF" or header[8:16] != b"WAVEfmt ":
                return False
            if header[36:40] != b"data":
                return False
            channels, block = struct.unpack_from("<H", header, 22)[0], struct.unpack_from("<H", header, 32)[0]
            size = f.seek(0, 2)
            data = size - _HEADER_BYTES
            data -= data % max(block, 1)
            if channels < 1:
                return False
            f.truncate(_HEADER_BYTES + data)
            f.seek(4)
            f.write(struct.pack("<I", 36 + data))
            f.seek(40)
            f.write(struct.pack("<I", data))
        with wave.open(str(path)) as check:
            check.getnframes()
        return True
    except (OSError, wave.Error, EOFError, struct.error):
        logger.exception(f"repairing recording {path} failed")
        return False
