"""Process-wide models and scenarios, loaded once and shared by every call."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loguru import logger

from agent.settings import Settings
from asr import Recognizer, StreamingRecognizer
from dialog import Scenario, load_scenario
from dialog.responder import Responder
from tts import Synthesizer

Progress = Callable[[str, float], None]  # (step description, seconds it took)


@dataclass
class Engines:
    recognizer: Recognizer | StreamingRecognizer
    synthesizer: Synthesizer
    responder: Responder | None = None  # agent.call.language_model.ChatResponder, when a model is configured
    loaded_scenarios: dict[str, Scenario] = field(default_factory=dict, init=False, repr=False)
    prewarming: threading.Thread | None = field(default=None, init=False, repr=False)  # the prompts' synthesis

    @property
    def warming(self) -> bool:
        """The scenario's fixed prompts are still being synthesised: a call taken now shares the CPU with it."""
        return self.prewarming is not None and self.prewarming.is_alive()

    def scenario(self, name: str) -> Scenario:
        """A loaded scenario by built-in name or path (cached: scenarios are immutable data)."""
        if name not in self.loaded_scenarios:
            self.loaded_scenarios[name] = load_scenario(name)
        return self.loaded_scenarios[name]

    @classmethod
    def load(cls, settings: Settings, progress: Progress | None = None) -> Engines:
        """Load the recogniser and the synthesiser, warming both so the first call is not slow."""
        from asr import make_recognizer
        from tts import make_synthesizer

        def step(what: str, fn: Callable[[], Any]) -> Any:
            started = time.perf_counter()
            result = fn()
            took = time.perf_counter() - started
            logger.info(f"{what}: {took:.1f}s")
            if progress:
                progress(what, took)
            return result

        recognizer = make_recognizer(settings.asr_engine, **settings.asr_options())
        step(f"speech recogniser ({settings.asr_engine})", recognizer.load)
        synthesizer = make_synthesizer(settings.tts_engine, **settings.tts_options())
        step(f"speech synthesiser ({settings.tts_engine}, {synthesizer.voice})", synthesizer.load)
        engines = cls(recognizer, synthesizer, responder=make_responder(settings))
        step(f"scenario ({settings.scenario})", lambda: engines.scenario(settings.scenario))
        step("warm-up", lambda: _warm_up(recognizer, synthesizer))
        from agent.call.prewarm import prewarm_server  # first words now, the other prompts in the background
        engines.prewarming = step(
            "greetings' first words", lambda: prewarm_server(synthesizer, [engines.scenario(settings.scenario)], settings)
        )
        return engines


def make_responder(settings: Settings) -> Responder | None:
    """The optional language-model responder, or None when no endpoint is configured."""
    if not settings.llm_url:
        return None
    from agent.call.language_model import ChatResponder

    logger.info(f"language model for replies: {settings.llm_model} at {settings.llm_url}")
    return ChatResponder(
        settings.llm_url, settings.llm_model, api_key=settings.llm_api_key, timeout_s=settings.llm_timeout_s
    )


def _warm_up(recognizer: Recognizer, synthesizer: Synthesizer) -> None:
    """First inference of each model is slower (allocations, kernel choice): pay it before any call."""
    import numpy as np

    pcm = synthesizer.synthesize("안녕하세요.")
    audio = pcm.astype(np.float32) / 32768.0
    if synthesizer.sample_rate != recognizer.sample_rate:
        import soxr

        audio = soxr.resample(audio, synthesizer.sample_rate, recognizer.sample_rate)
    recognizer.transcribe(audio)
