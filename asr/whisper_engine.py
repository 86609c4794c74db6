"""Whisper (CTranslate2 via faster-whisper) recogniser, tuned for VAD-segmented phone turns.

A turn that fits one Whisper window (30 s: every answer to a question) is decoded here, the way
faster-whisper's ``transcribe`` decodes it with these options (same features, prompt, suppressed tokens and
no-speech rule), except that the beam search returns its best ``hypotheses`` instead of one: at no extra
decoding cost the dialog gets the runner-up readings of a short answer ("여사지" / "여섯 시") to choose from.
Longer audio goes through ``transcribe`` window by window, top hypothesis only.

``transcribe_batch`` decodes many calls' turns in one batched forward pass (the GPU node, through
``asr.batching.BatchedRecognizer``); ``transcribe`` is a batch of one, so both give the same text."""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asr.base import ModelError, Transcript, default_threads
from asr.batching import Segment
from asr.guard import audio_problem, clean_text
from asr.itn import normalize

log = logging.getLogger(__name__)

COMPUTE_TYPES = ("int8", "int8_float32", "int8_float16", "int16", "float16", "float32", "default", "auto")
# Korean speech is at most ~7 syllables/s, ~2 Whisper tokens per syllable; loops run far past that.
TOKENS_PER_S = 15
MIN_TOKENS = 24
MAX_TOKENS = 200  # Whisper's window is 448 tokens; the prompt keeps up to 223 of them
MAX_HINT_CHARS = 200
WINDOW_S = 30.0  # one Whisper window: a turn this short is decoded with alternatives
FRAME_S = 0.01  # one log-mel feature frame
HYPOTHESES = 4  # the beam's best hypotheses offered for a short turn (at most beam_size)
# faster-whisper's rule for a window with no speech: a likely "no speech" token and an unlikely text.
NO_SPEECH_PROB = 0.6
LOG_PROB_THRESHOLD = -1.0


class WhisperRecognizer:
    """``make_recognizer("whisper", ...)``. Thread-safe: one transcription at a time per model."""

    sample_rate = 16000

    def __init__(self, model_dir: str | os.PathLike[str] | None = None, beam_size: int = 5,
                 compute_type: str = "int8", cpu_threads: int | None = None, *, device: str = "cpu",
                 language: str = "ko", models_dir: str | os.PathLike[str] | None = None, itn: bool = True,
                 min_audio_s: float = 0.2, silence_rms: float = 0.004, hypotheses: int = HYPOTHESES,
                 window_margin_s: float | None = None) -> None:
        if beam_size < 1:
            raise ValueError(f"beam_size must be >= 1, got {beam_size}")
        if hypotheses < 1:
            raise ValueError(f"hypotheses must be >= 1, got {hypotheses}")
        if compute_type not in COMPUTE_TYPES:
            raise ValueError(f"compute_type {compute_type!r} is not one of {', '.join(COMPUTE_TYPES)}")
        self.model_dir = Path(model_dir).expanduser() if model_dir else None
        self.models_dir = models_dir
        self.beam_size = int(beam_size)
        self.hypotheses = min(int(hypotheses), self.beam_size)  # a beam holds at most beam_size of them
        self.compute_type = compute_type
        self.cpu_threads = int(cpu_threads) if cpu_threads else default_threads()
        self.device = device
        self.language = language
        self.itn = itn
        self.min_audio_s = min_audio_s
        self.silence_rms = silence_rms
        # None: encode the turn padded to Whisper's 30 s window. A number: encode the turn plus this much
        # padding only; the encoder's cost follows its input, and with ~7 s of padding the hypotheses are as good
        # as the full window's (too little padding and Whisper degrades: docs/BENCHMARKS.md, "window margin").
        self.window_margin_s = window_margin_s
        self.name = f"whisper-{(self.model_dir.name if self.model_dir else 'base')}"
        self._model: Any = None
        self._tokenizer: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def resolve_model_dir(self) -> Path:
        """The model directory to load: the user's (checked) or Whisper base assembled from the wheels."""
        from asr.models import check_whisper_dir, ensure_whisper_base

        if self.model_dir is not None:
            return check_whisper_dir(self.model_dir)
        return ensure_whisper_base(self.models_dir)

    def load(self) -> None:
        """Assemble/check the model dir and load it (idempotent). Raises ``ModelError`` naming the problem."""
        if self._model is not None:
            return
        with self._load_lock:
            if self._model is not None:
                return
            path = self.resolve_model_dir()
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise ModelError("faster-whisper is not installed: pip install faster-whisper==1.2.1") from exc
            started = time.perf_counter()
            try:
                device, _, index = self.device.partition(":")  # "cuda:1" is CTranslate2's cuda, index 1
                model = WhisperModel(str(path), device=device, device_index=int(index or 0),
                                     compute_type=self.compute_type, cpu_threads=self.cpu_threads, num_workers=1,
                                     local_files_only=True)
            except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError with terse messages
                raise ModelError(f"cannot load Whisper model from {path}: {exc}") from exc
            log.info("Whisper loaded from %s (%s, %d threads) in %.1fs", path, self.compute_type,
                     self.cpu_threads, time.perf_counter() - started)
            from faster_whisper.tokenizer import Tokenizer

            self._tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
                                        language=self.language)
            self._model = model

    def _max_new_tokens(self, audio_s: float) -> int:
        return int(min(MAX_TOKENS, max(MIN_TOKENS, TOKENS_PER_S * audio_s)))

    def transcribe(self, audio: Any, hint: str | None = None) -> Transcript:
        """Recognise one turn; empty text for silence/noise. Blocking (run it in a thread)."""
        result = self.transcribe_batch([Segment(audio, hint)])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def transcribe_batch(self, segments: Sequence[Segment]) -> list[Transcript | Exception]:
        """Recognise many calls' turns at once (``asr.batching``): the one-window turns whose prompts have the
        same number of tokens are encoded and beam-searched as one batch (CTranslate2 needs the
        start-of-transcript token at the same position in every row); the result of each is what
        ``transcribe`` gives it alone. A segment that cannot be read gets its exception, the others their
        transcripts. Blocking."""
        started = time.perf_counter()
        results: list[Transcript | Exception | None] = [None] * len(segments)
        turns: list[tuple[int, _Turn]] = []
        for i, segment in enumerate(segments):
            try:
                prepared = self._prepare(segment, started)
            except Exception as exc:  # bad audio: this caller's failure only
                results[i] = exc
                continue
            if isinstance(prepared, Transcript):
                results[i] = prepared
            else:
                turns.append((i, prepared))
        if turns:
            self.load()
            with self._run_lock:
                decoded = self._decode([turn for _, turn in turns])
            for (i, turn), raws in zip(turns, decoded):
                results[i] = raws if isinstance(raws, Exception) else self._transcript(turn, raws, started)
        return results  # type: ignore[return-value]  # every slot is filled above

    def _prepare(self, segment: Segment, started: float) -> _Turn | Transcript:
        """The turn to decode, or its empty transcript when the guards say it is not speech."""
        from asr.audio import as_mono_float32

        samples = as_mono_float32(segment.audio)
        audio_s = samples.shape[0] / self.sample_rate
        problem = audio_problem(samples, self.sample_rate, self.min_audio_s, self.silence_rms)
        if problem:
            return Transcript("", audio_s, time.perf_counter() - started, dropped=problem)
        hint = segment.hint
        prompt = " ".join(hint.split())[-MAX_HINT_CHARS:] if hint and hint.strip() else None
        return _Turn(samples, audio_s, prompt)

    def _decode(self, turns: list[_Turn]) -> list[list[str] | Exception]:
        """Raw hypotheses of each turn, best first; a group whose decoding fails gets the exception."""
        decoded: list[list[str] | Exception | None] = [None] * len(turns)
        groups: dict[int, list[int]] = {}
        for i, turn in enumerate(turns):
            if turn.audio_s <= WINDOW_S:
                groups.setdefault(len(self._prompt_tokens(turn.prompt)), []).append(i)
                continue
            try:
                decoded[i] = [self._decode_long(turn)]
            except Exception as exc:
                decoded[i] = exc
        for members in groups.values():
            try:
                raws = self._decode_windows([turns[i] for i in members])
            except Exception as exc:  # e.g. out of accelerator memory: this group's callers hear it
                raws = [exc] * len(members)
            for i, raw in zip(members, raws):
                decoded[i] = raw
        return decoded  # type: ignore[return-value]

    def _decode_long(self, turn: _Turn) -> str:
        """A turn longer than one window: faster-whisper's own ``transcribe``, top hypothesis only."""
        segments, _info = self._model.transcribe(
            turn.samples, language=self.language, task="transcribe", beam_size=self.beam_size,
            temperature=0.0, condition_on_previous_text=False, without_timestamps=True,
            vad_filter=False, initial_prompt=turn.prompt, max_new_tokens=self._max_new_tokens(turn.audio_s),
            compression_ratio_threshold=2.4, log_prob_threshold=LOG_PROB_THRESHOLD,
            no_speech_threshold=NO_SPEECH_PROB, suppress_blank=True, word_timestamps=False,
        )
        return " ".join(s.text.strip() for s in segments).strip()  # decoding happens while iterating

    def _transcript(self, turn: _Turn, raws: list[str], started: float) -> Transcript:
        raw = raws[0] if raws else ""
        text, dropped = self._final(raw, turn.prompt)
        alternatives: list[str] = []
        for other in raws[1:] if text else ():  # the top judged noise: so are its neighbours
            alternative, changed_by = self._final(other, turn.prompt)
            if alternative and changed_by is None and alternative != text and alternative not in alternatives:
                alternatives.append(alternative)
        return Transcript(text, turn.audio_s, time.perf_counter() - started, raw=raw, dropped=dropped,
                          alternatives=tuple(alternatives))

    def _final(self, raw: str, prompt: str | None) -> tuple[str, str | None]:
        """A hypothesis as the dialog reads it: cleaned by the guards, then inverse-normalised."""
        text, dropped = clean_text(raw, hint=prompt)
        if self.itn and text:
            text = normalize(text)
        return text, dropped

    def _prompt_tokens(self, prompt: str | None) -> list[int]:
        previous = self._tokenizer.encode(" " + prompt.strip()) if prompt else []
        return self._model.get_prompt(self._tokenizer, previous, without_timestamps=True)

    def _decode_windows(self, turns: list[_Turn]) -> list[list[str]]:
        """The raw texts of the beam's best hypotheses for turns of one window each, best first; [] for a
        window that holds no speech. Mirrors faster-whisper's ``transcribe`` (temperature 0, no timestamps, no
        previous text) so the top hypothesis is the one it would give. The prompts must have equal lengths;
        a batch decodes up to the longest turn's token cap (the cap only stops runaway loops, which the
        guards drop anyway)."""
        import numpy as np
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.transcribe import get_suppressed_tokens

        model, tokenizer = self._model, self._tokenizer
        most = model.feature_extractor.nb_max_frames
        windows = []
        for turn in turns:
            features = model.feature_extractor(turn.samples)
            windows.append(features[:, : min(most, features.shape[-1] - 1)])
        if self.window_margin_s is not None:  # one width for the batch, even (the encoder's first conv has stride 2)
            margin = int(round(self.window_margin_s / FRAME_S))
            width = min(most, max(w.shape[-1] for w in windows) + margin)
            width += width % 2
            windows = [np.pad(w, ((0, 0), (0, width - w.shape[-1]))) for w in windows]
        else:
            windows = [pad_or_trim(w) for w in windows]
        encoded = model.encode(np.ascontiguousarray(np.stack(windows)))
        prompts = [self._prompt_tokens(turn.prompt) for turn in turns]
        results = model.model.generate(
            encoded, prompts, beam_size=self.beam_size, patience=1, num_hypotheses=self.hypotheses,
            length_penalty=1, repetition_penalty=1, no_repeat_ngram_size=0,
            max_length=len(prompts[0]) + max(self._max_new_tokens(turn.audio_s) for turn in turns),
            return_scores=True, return_no_speech_prob=True,
            suppress_blank=True, suppress_tokens=list(get_suppressed_tokens(tokenizer, [-1])),
            max_initial_timestamp_index=int(round(1.0 / model.time_precision)),
        )
        texts = []
        for result in results:
            best = result.sequences_ids[0]
            avg_logprob = result.scores[0] * len(best) / (len(best) + 1)  # as faster-whisper recovers it
            if result.no_speech_prob > NO_SPEECH_PROB and avg_logprob < LOG_PROB_THRESHOLD:
                texts.append([])
            else:
                texts.append([tokenizer.decode(ids).strip() for ids in result.sequences_ids])
        return texts


@dataclass(frozen=True)
class _Turn:
    """A segment that passed the input guards: its samples, length and prompt (the cleaned hint)."""

    samples: Any
    audio_s: float
    prompt: str | None
