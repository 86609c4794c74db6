"""Two-sided call recording written to disk as the call goes, so a crash keeps what was recorded."""

from __future__ import annotations

import wave
from pathlib import Path

from loguru import logger
from pipecat.processors.audio.audio_buffer_processor import AudioBufferProcessor

RECORDING_RATE = 8000  # the phone band: what both parties actually heard
FLUSH_SECONDS = 5


class CallRecording:
    """Stereo WAV (left: caller, right: agent) fed by pipecat's ``AudioBufferProcessor``."""

    def __init__(self, path: Path):
        self.path = path
        self.processor = AudioBufferProcessor(
            sample_rate=RECORDING_RATE,
            num_channels=2,
            buffer_size=RECORDING_RATE * 2 * FLUSH_SECONDS,
        )
        self._wav: wave.Wave_write | None = None
        self.seconds = 0.0
        self.processor.add_event_handler("on_audio_data", self._on_audio_data)

    async def start(self) -> None:
        await self.processor.start_recording()

    async def _on_audio_data(self, _processor, audio: bytes, sample_rate: int, num_channels: int) -> None:
        if not audio:
            return
        if self._wav is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._wav = wave.open(str(self.path), "wb")
            self._wav.setnchannels(num_channels)
            self._wav.setsampwidth(2)
            self._wav.setframerate(sample_rate)
        # wave patches the header after every write, so the file is valid at each flush.
        self._wav.writeframes(audio)
        self.seconds += len(audio) / (2 * num_channels * sample_rate)

    def close(self) -> Path | None:
        """Finish the file; returns its path, or None when nothing was recorded."""
        if self._wav is None:
            return None
        try:
            self._wav.close()
        except Exception:  # never let a recording problem lose the call record
            logger.exception(f"closing recording {self.path} failed")
        self._wav = None
        return self.path
