"""espeak-ng fallback voice (formant synthesis; robotic but needs no model). Runs the binary as a subprocess
(GPL-3: not linked). Text is normalised by ``tts.text`` first, so numbers are read the Korean way."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np

from tts.base import SynthesisError, Synthesizer, trim_silence
from tts.prosody import Prosody

# espeak voice variants; Kokoro's names are accepted too so the fallback can replace Kokoro without a settings change
_VARIANTS = {"ko": "ko", "ko+f2": "ko+f2", "ko+f3": "ko+f3", "ko+f4": "ko+f4", "ko+m3": "ko+m3", "ko+m5": "ko+m5"}
_ALIASES = {"jf_alpha": "ko+f3", "jf_gongitsune": "ko+f2", "jf_nezumi": "ko+f4", "jf_tebukuro": "ko+f3",
            "jm_kumo": "ko"}
BASE_WPM = 150


class EspeakSynthesizer(Synthesizer):
    name = "espeak"
    sample_rate = 22050
    voices = tuple(_VARIANTS) + tuple(_ALIASES)

    def __init__(self, voice: str = "ko", speed: float = 1.0, *, binary: str = "espeak-ng", timeout_s: float = 20,
                 **kwargs):
        super().__init__(voice, speed, **kwargs)
        self.binary, self.timeout_s = binary, timeout_s
        self._path: str | None = None

    def _load(self) -> None:
        self._path = shutil.which(self.binary)
        if not self._path:
            raise SynthesisError(f"{self.binary} not found on PATH (Debian: apt-get install espeak-ng)")

    def model_identity(self) -> str:
        """The code plus the espeak-ng version (its voices and rules are the model)."""
        try:
            version = subprocess.run([self._path, "--version"], capture_output=True, text=True, timeout=self.timeout_s,
                                     check=True).stdout.strip()
        except (subprocess.SubprocessError, OSError) as exc:
            raise SynthesisError(f"{self._path} --version failed: {exc}") from exc
        return f"{super().model_identity()}:{version}"

    def _synthesize_clause(self, clause: str, prosody: Prosody) -> np.ndarray:
        voice = _VARIANTS.get(self.voice) or _ALIASES[self.voice]
        pitch = min(99, max(0, round(50 * prosody.pitch)))  # espeak-ng -p: 0–99, default 50
        amplitude = min(200, max(0, round(100 * prosody.energy)))  # -a: 0–200, default 100
        cmd = [self._path, "-v", voice, "-s", str(int(BASE_WPM * prosody.speed)), "-p", str(pitch),
               "-a", str(amplitude), "--stdout", clause]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=self.timeout_s, check=True)
        except (subprocess.SubprocessError, OSError) as exc:
            raise SynthesisError(f"espeak-ng failed on {clause!r}: {exc}") from exc
        pcm = wav_samples(proc.stdout)
        audio = trim_silence(pcm.astype(np.float32) / 32768.0, self.sample_rate)
        return (audio * 32768.0).clip(-32768, 32767).astype(np.int16)


def wav_samples(wav: bytes) -> np.ndarray:
    """Samples of espeak-ng's stdout WAV (its header sizes are bogus when streaming, so find 'data' by hand)."""
    i = wav.find(b"data")
    if wav[:4] != b"RIFF" or i < 0:
        raise SynthesisError("espeak-ng did not return WAV audio")
    body = wav[i + 8:]
    return np.frombuffer(body[: len(body) // 2 * 2], dtype="<i2").copy()
