"""The synthesiser interface shared by every engine (the factory is ``tts.factory``).

Text is normalised and split into clauses (``tts.text``); each clause is synthesised on its own and cached, so
``stream`` yields the first clause's audio as soon as it exists and ``synthesize`` is the concatenation of the
stream. Clause audio is cached per (clause, voice, prosody): greetings and questions repeat across calls; with a
``cache_dir`` the cache also lives on disk (``tts.disk_cache``), so a restarted server has them at once. Prosody
(speed, pitch, energy; ``tts.prosody``) is set per synthesiser and may be overridden per call of ``stream``, so
one shared model speaks each scenario in its own style.
"""
from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tts.cache import AudioCache
from tts.disk_cache import DiskAudioCache, LayeredAudioCache, source_fingerprint
from tts.prosody import Prosody
from tts.text import add_breaks, normalize, split_clauses


class SynthesisError(RuntimeError):
    """The engine cannot be used (missing model, missing binary, unknown voice…)."""


class Synthesizer(ABC):
    name: str = "tts"
    sample_rate: int = 24000
    voices: tuple[str, ...] = ()
    clause_pause_s = 0.12  # after a comma clause
    sentence_pause_s = 0.3  # after a sentence

    def __init__(self, voice: str, speed: float = 1.0, *, pitch: float = 1.0, energy: float = 1.0,
                 cache: AudioCache | None = None, max_clause_syllables: int = 20,
                 cache_dir: str | Path | None = None, cache_max_bytes: int = 256 << 20):
        if voice not in self.voices:
            raise ValueError(f"unknown {self.name} voice {voice!r}; available: {', '.join(self.voices)}")
        self.prosody = Prosody(float(speed), float(pitch), float(energy))
        self.voice, self.speed = voice, self.prosody.speed
        self.cache: AudioCache | LayeredAudioCache = cache if cache is not None else AudioCache()
        self.cache_dir, self.cache_max_bytes = (Path(cache_dir) if cache_dir else None), cache_max_bytes
        self.max_clause_syllables = max_clause_syllables
        self._load_lock = threading.Lock()
        self._loaded = False
        self._pending: dict[tuple, threading.Event] = {}  # clauses being synthesised now, by cache key
        self._pending_lock = threading.Lock()
        self._streams = 0

    # -- engine hooks -------------------------------------------------------------------------------------
    @abstractmethod
    def _load(self) -> None: ...

    @abstractmethod
    def _synthesize_clause(self, clause: str, prosody: Prosody) -> np.ndarray:
        """int16 audio for one normalised clause, silence trimmed at both ends."""

    # -- public API -------------------------------------------------------------------------------------------
    def load(self) -> Synthesizer:
        """Load the model (heavy, idempotent, thread-safe); with a ``cache_dir``, open the disk cache under the
        memory one, keyed by ``model_identity()``."""
        with self._load_lock:
            if not self._loaded:
                self._load()
                if self.cache_dir is not None:
                    try:
                        disk = DiskAudioCache(self.cache_dir, self.model_identity(), self.cache_max_bytes)
                    except OSError as exc:
                        raise SynthesisError(f"cannot use {self.cache_dir} as the clause audio cache: {exc}") from exc
                    self.cache = LayeredAudioCache(self.cache, disk)
                self._loaded = True
        return self

    def model_identity(self) -> str:
        """What decides a clause's audio besides its text, voice and prosody: the synthesis code, the sample rate
        and, in engines that add it, a hash of the weights. Part of every disk cache key, so new weights or new
        text rules never replay old audio. Called after ``_load``."""
        return f"{type(self).__module__}.{type(self).__qualname__}:{self.sample_rate}:{source_fingerprint()}"

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def streams_in_progress(self) -> int:
        """Calls' texts being synthesised right now (``stream``/``synthesize``): ``prewarm`` waits for 0."""
        return self._streams

    def clauses(self, text: str) -> list[str]:
        """The synthesis units of ``text``: normalised, breaks predicted, split into sentences/clauses."""
        return split_clauses(add_breaks(normalize(text)), self.max_clause_syllables)

    def stream(self, text: str, prosody: Prosody | None = None) -> Iterator[np.ndarray]:
        """int16 chunks, one per clause (with its trailing pause); the first leaves after the first clause.
        ``prosody`` overrides the synthesiser's own for this text."""
        self.load()
        prosody = prosody or self.prosody
        clauses = self.clauses(text)
        with self._pending_lock:
            self._streams += 1
        try:
            for i, clause in enumerate(clauses):
                audio = self._clause_audio(clause, prosody)
                if i + 1 < len(clauses):
                    audio = np.concatenate([audio, self.pause_after(clause)])
                if audio.size:
                    yield audio
        finally:
            with self._pending_lock:
                self._streams -= 1

    def synthesize(self, text: str, prosody: Prosody | None = None) -> np.ndarray:
        """The whole utterance as int16 mono at ``sample_rate`` (empty array for text with nothing to say)."""
        chunks = list(self.stream(text, prosody))
        return np.concatenate(chunks) if chunks else np.zeros(0, np.int16)

    def prewarm(self, text: str, prosody: Prosody | None = None, stop: threading.Event | None = None) -> bool:
        """Put ``text``'s clauses in the cache behind the calls: each clause not cached yet starts only while no
        call's text is being synthesised (the model runs one clause at a time, so a call would otherwise queue
        behind background work and answer seconds late). Not counted in ``streams_in_progress``. False when
        ``stop`` was set before every clause was made."""
        self.load()
        prosody = prosody or self.prosody
        for clause in self.clauses(text):
            if self.cache.get(self.cache_key(clause, prosody)) is not None:
                continue
            while self._streams and not (stop is not None and stop.is_set()):
                time.sleep(0.02)
            if stop is not None and stop.is_set():
                return False
            self._clause_audio(clause, prosody)
        return True

    def cache_key(self, clause: str, prosody: Prosody) -> tuple:
        return (self.name, clause, self.voice, prosody.key())

    def pause_after(self, clause: str) -> np.ndarray:
        """The silence that follows ``clause`` when another clause comes after it."""
        pause = self.sentence_pause_s if clause[-1:] in ".?!…" else self.clause_pause_s
        return np.zeros(int(pause * self.sample_rate), np.int16)

    def _clause_audio(self, clause: str, prosody: Prosody) -> np.ndarray:
        """The clause from the cache, or synthesised once: a thread that needs a clause another thread is
        synthesising (the prompt prewarmer, a concurrent call) waits for that result instead of doing it again."""
        key = self.cache_key(clause, prosody)
        while (audio := self.cache.get(key)) is None:
            with self._pending_lock:
                pending = self._pending.get(key)
                mine = pending is None
                if mine:
                    pending = self._pending[key] = threading.Event()
            if not mine:
                pending.wait()  # then read the cache again (the other thread may have failed: then try ourselves)
                continue
            try:
                audio = self._synthesize_clause(clause, prosody)
                self.cache.put(key, audio)
                return audio
            finally:
                with self._pending_lock:
                    del self._pending[key]
                pending.set()
        return audio

    def __repr__(self) -> str:
        p = self.prosody
        return f"{type(self).__name__}(voice={self.voice!r}, speed={p.speed}, pitch={p.pitch}, energy={p.energy})"


def to_int16(audio: np.ndarray) -> np.ndarray:
    return (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)


def trim_silence(audio: np.ndarray, sample_rate: int, threshold: float = 0.01, pad_s: float = 0.03) -> np.ndarray:
    """Cut leading/trailing samples below ``threshold`` (float audio), keeping ``pad_s`` around the speech."""
    idx = np.flatnonzero(np.abs(audio) > threshold)
    if idx.size == 0:
        return audio[:0]
    pad = int(pad_s * sample_rate)
    return audio[max(0, idx[0] - pad): idx[-1] + pad]
