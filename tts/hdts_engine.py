"""The HDTS-style engine: text analyser → FastSpeech 2-style acoustic model → GAN vocoder, streamed.

``voice`` is a checkpoint shipped in ``tts/models_data`` (``hdts_<voice>.pt``) or the path of any acoustic
checkpoint (a user's own, from ``carecall tts train-acoustic``): both load through ``load_acoustic``.
``vocoder`` is a vocoder checkpoint path, or None for HiFi-GAN universal. Within a clause the acoustic model
runs whole (it is fast) and the vocoder streams its mel in chunks, so the first audio of a clause leaves
after one vocoder chunk. Speed, pitch and energy act inside the acoustic model (``tts.prosody``).

On the GPU inference node (``device="cuda"``, ``batch=True``) many calls share one engine: each clause's mel
goes to a ``tts.batching.BatchedVocoder`` that runs the clauses of concurrent calls as one batch, so the GPU
does one vocoder pass per few milliseconds of requests instead of one per call (the first audio of a clause
then leaves when its whole clause is vocoded). The acoustic model is about 100× faster than the vocoder and
runs per clause.
"""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tts.base import SynthesisError, Synthesizer, to_int16
from tts.disk_cache import file_digest
from tts.prosody import Prosody

MODELS = Path(__file__).resolve().parent / "models_data"
VOICES = tuple(sorted(p.stem.removeprefix("hdts_") for p in MODELS.glob("hdts_*.pt"))) or ("ko_kumo",)
DEFAULT_VOICE = "ko_kumo"


def voice_path(voice: str) -> Path:
    """The checkpoint of a shipped voice name, or ``voice`` itself as a path."""
    return MODELS / f"hdts_{voice}.pt" if voice in VOICES else Path(voice).expanduser()


class HDTSSynthesizer(Synthesizer):
    name = "hdts"
    sample_rate = 22050
    voices = VOICES

    def __init__(self, voice: str = DEFAULT_VOICE, speed: float = 1.0, *, vocoder: str | Path | None = None,
                 chunk_frames: int = 32, threads: int | None = None, device: str = "cpu", batch: bool = False,
                 max_batch: int = 16, max_wait_ms: float = 5.0, **kwargs):
        if voice not in VOICES:
            self.voices = (voice,)  # a checkpoint path: checked when loading
        super().__init__(voice, speed, **kwargs)
        self.threads = threads  # torch's intra-op threads; None: torch's own default
        self.vocoder_path = vocoder
        self.chunk_frames = chunk_frames
        self.device, self.batch = device, batch
        self.max_batch, self.max_wait_ms = max_batch, max_wait_ms
        self.acoustic = None
        self.vocoder = None
        self.batched_vocoder = None
        self._run_lock = threading.Lock()

    def _load(self) -> None:
        try:
            import torch

            from tts.acoustic.checkpoint import CheckpointError, load_acoustic
            from tts.vocoder import VocoderError, load_vocoder
        except ImportError as exc:
            raise SynthesisError(f"the hdts engine needs torch: {exc}") from exc
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            self.acoustic = load_acoustic(voice_path(self.voice), self.device)
        except CheckpointError as exc:
            raise SynthesisError(f"hdts voice {self.voice!r}: {exc}") from exc
        try:
            self.vocoder = load_vocoder(self.vocoder_path, self.device)
        except VocoderError as exc:
            raise SynthesisError(f"hdts vocoder: {exc}") from exc
        if self.vocoder.mel_config != self.acoustic.mel:
            raise SynthesisError(f"the vocoder's mel settings {self.vocoder.mel_config} differ from the acoustic "
                                 f"model's {self.acoustic.mel}")
        self.sample_rate = self.vocoder.sample_rate
        if self.batch:
            from tts.batching import BatchedVocoder

            self.batched_vocoder = BatchedVocoder(self.vocoder, max_batch=self.max_batch, max_wait_ms=self.max_wait_ms)

    def model_identity(self) -> str:
        """The code, the acoustic checkpoint's hash, a hash of the vocoder's weights, the device and the chunking
        (streamed and batched vocoding agree only to about 1e-4)."""
        vocoder = hashlib.sha256()
        for name, tensor in self.vocoder.generator.state_dict().items():
            vocoder.update(name.encode())
            vocoder.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        return (f"{super().model_identity()}:{file_digest(self.acoustic.path)[:16]}:{vocoder.hexdigest()[:16]}:"
                f"{self.device}:{self.chunk_frames}:{self.batch}")

    # -- synthesis --------------------------------------------------------------------------------------------
    def mel(self, clause: str, prosody: Prosody | None = None) -> dict:
        """The acoustic model's output for one normalised clause: mel [80,T], durations, pitch_hz, energy."""
        import torch

        from tts.acoustic.symbols import encode, ipa_to_phonemes
        from tts.text import g2p, to_ipa

        self.load()
        p = prosody or self.prosody
        ids = encode(ipa_to_phonemes(to_ipa(g2p(clause))), self.acoustic.symbols)
        if not ids:
            return {"mel": torch.zeros(self.acoustic.mel.n_mels, 0)}
        with self._run_lock, torch.inference_mode():
            out = self.acoustic.model.infer(torch.tensor([ids], device=self.device), self.acoustic.stats, speed=p.speed, pitch=p.pitch,
                                            energy=p.energy)
        return {k: v[0].cpu() for k, v in out.items()}

    def clause_chunks(self, clause: str, prosody: Prosody) -> Iterator[np.ndarray]:
        """int16 chunks of one clause as the vocoder produces them."""
        mel = self.mel(clause, prosody)["mel"]
        if mel.shape[-1] == 0:
            return
        if self.batched_vocoder is not None:  # one batch with the other calls' clauses
            yield to_int16(self.batched_vocoder(mel))
            return
        for chunk in self.vocoder.stream(mel, chunk_frames=self.chunk_frames):
            yield to_int16(chunk)

    def _synthesize_clause(self, clause: str, prosody: Prosody) -> np.ndarray:
        chunks = list(self.clause_chunks(clause, prosody))
        return np.concatenate(chunks) if chunks else np.zeros(0, np.int16)

    def stream(self, text: str, prosody: Prosody | None = None) -> Iterator[np.ndarray]:
        """int16 chunks: cached clauses whole, new clauses chunk by chunk from the vocoder, pauses between."""
        self.load()
        prosody = prosody or self.prosody
        clauses = self.clauses(text)
        for i, clause in enumerate(clauses):
            key = self.cache_key(clause, prosody)
            audio = self.cache.get(key)
            if audio is None:
                parts = []
                for chunk in self.clause_chunks(clause, prosody):
                    parts.append(chunk)
                    yield chunk
                self.cache.put(key, np.concatenate(parts) if parts else np.zeros(0, np.int16))
            elif audio.size:
                yield audio
            if i + 1 < len(clauses):
                yield self.pause_after(clause)
