"""The recogniser contracts every engine meets: segment at a time (``Recognizer``) and streaming
(``StreamingRecognizer`` with one ``StreamSession`` per call). The engines import this module, so it imports
none of them: the factory lives in ``asr.factory``."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np


class ModelError(RuntimeError):
    """A speech model cannot be found, assembled or loaded; the message says what and where."""


@dataclass(frozen=True)
class Transcript:
    """One recognised caller turn.

    ``text`` is final (cleaned of hallucinations, inverse-normalised); ``raw`` is what the engine produced,
    for logs. ``dropped`` names the guard that emptied or changed the text, if any. ``alternatives`` are the
    engine's next-best hypotheses for the same audio, most likely first, cleaned and normalised the same way
    and each different from ``text`` (empty when the engine gives none, or when ``text`` was judged noise):
    the dialog may take one its question understands (``dialog.hearing.choose``).
    """

    text: str
    audio_s: float
    compute_s: float
    raw: str = ""
    dropped: str | None = None
    alternatives: tuple[str, ...] = ()

    @property
    def hypotheses(self) -> tuple[str, ...]:
        """``text`` and then its ``alternatives``: what a chooser picks an index from."""
        return (self.text, *self.alternatives)


@runtime_checkable
class Recognizer(Protocol):
    """What the agent needs from a speech recogniser."""

    name: str
    sample_rate: int

    def load(self) -> None:
        """Load the model (heavy, idempotent, thread-safe)."""

    def transcribe(self, audio: "np.ndarray", hint: str | None = None) -> Transcript:
        """Recognise one VAD-delimited turn (float32 mono in [-1, 1] at ``sample_rate``). Blocking."""


class StreamSession(Protocol):
    """One call's stream through a ``StreamingRecognizer``: its own model state, audio in, text out."""

    @property
    def audio_s(self) -> float:
        """Seconds of audio pushed since the last ``reset``."""

    def reset(self) -> None:
        """Forget the turn: fresh state for the next one."""

    def push(self, audio: "np.ndarray") -> str | None:
        """Feed float32 mono samples at the session's input rate; the partial text when it changed, else None."""

    def finish(self) -> str:
        """End of the turn: flush what is buffered and return the raw final text."""


@runtime_checkable
class StreamingRecognizer(Recognizer, Protocol):
    """A recogniser that also transcribes while the caller speaks; it still meets ``Recognizer`` (a segment is
    streamed through a session), so it can stand in wherever a segmented one does."""

    def session(self, input_rate: int | None = None) -> StreamSession:
        """A new stream with its own state; ``input_rate`` is the rate of the audio pushed (default: the model's)."""

    def finalize(self, session: StreamSession) -> str:
        """Flush ``session`` and return the final text as the dialog reads it (ITN applied)."""


def default_threads() -> int:
    """CPU threads for one model: all cores up to 8 (turns are serialised per model anyway)."""
    return max(1, min(8, os.cpu_count() or 1))
