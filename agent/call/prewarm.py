"""Prompt audio made before a call needs it, so the agent answers from the clause cache instead of the model.

At start-up (``prewarm_server``) the first sentence of each greeting of the served scenario is synthesised
before the server takes calls (a second or less), so even the first call's greeting starts at once; the rest of
the greetings, then every other fixed prompt, acknowledgement and re-prompt (``dialog.prompts``) follow in a
background thread while the server already serves. When a call starts (``prewarm_call``) the sentences with the
callee's name are synthesised while the greeting plays, so the reply to the first answer ("반가워요, 김영수 님.")
is ready too. Background work starts a clause only while no call is synthesising (``Synthesizer.prewarm``): with
four calls starting at once, their name sentences queued ahead of the replies held answers up by 8–9 s. Both use
the scenario's per-call prosody: audio is cached
per prosody, so it must be the very style the call's pipeline asks for. With the disk cache (``tts.disk_cache``)
a restarted server reads all of this back instead of synthesising it.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Iterable
from typing import Protocol

import numpy as np
from loguru import logger

from agent.settings import Settings
from dialog import Scenario
from dialog.prompts import fixed_texts, opening_texts, personal_texts
from dialog.reservations import Venue
from tts.prosody import Prosody

Job = tuple[str, Prosody | None]


class PromptSynthesizer(Protocol):
    def synthesize(self, text: str, prosody: Prosody | None = None) -> np.ndarray: ...

    def prewarm(self, text: str, prosody: Prosody | None = None, stop: threading.Event | None = None) -> bool: ...


def scenario_prosody(scenario: Scenario) -> Prosody | None:
    """The scenario's ``voice:`` block as the synthesiser's per-call prosody (None: the server's settings)."""
    voice = scenario.voice
    return Prosody(voice.speed, voice.pitch, voice.energy) if voice else None


def prewarm_server(synthesizer: PromptSynthesizer, scenarios: Iterable[Scenario],
                   settings: Settings) -> threading.Thread | None:
    """Synthesise the scenarios' opening sentences now and start a background thread for all their other fixed
    sentences, greetings first (returned; None when ``settings.tts_prewarm`` is off)."""
    if not settings.tts_prewarm:
        return None
    openings: list[Job] = []
    rest: list[Job] = []
    for scenario in scenarios:
        prosody, known = scenario_prosody(scenario), _known(scenario, None, settings.organization)
        openings += [(text, prosody) for text in opening_texts(scenario, known)]
        rest += [(text, prosody) for text in fixed_texts(scenario, known)]
    _synthesize(synthesizer, openings, "openings")
    return _in_background(synthesizer, rest, "prompts", behind_calls=True)


def prewarm_call(synthesizer: PromptSynthesizer, scenario: Scenario, name: str,
                 venue: Venue | None = None, organization: str | None = None) -> threading.Thread | None:
    """Start synthesising, in the background, the sentences this call makes known (the callee's name, the
    line's own venue and organisation) that start-up did not make; None when there are none."""
    variables = {**_known(scenario, venue, organization), **({"name": name.strip()} if name.strip() else {})}
    made_at_start = set(fixed_texts(scenario, _known(scenario, None)))
    prosody = scenario_prosody(scenario)
    jobs = [(text, prosody) for text in personal_texts(scenario, variables) if text not in made_at_start]
    return _in_background(synthesizer, jobs, "personal lines", behind_calls=True) if jobs else None


def _known(scenario: Scenario, venue: Venue | None, organization: str | None = None) -> dict[str, str]:
    """Variables known before the call: the venue's name on a reservation line, and on whose behalf the call is
    made (the disclosure's {organization}: the line's or the server's, else the scenario's default)."""
    venue = venue or scenario.venue
    known = {"venue": venue.name} if venue is not None else {}
    told = scenario.disclosure
    if org := (organization or "").strip() or (told.organization if told else None):
        known["organization"] = org
    return known


def _synthesize(synthesizer: PromptSynthesizer, jobs: list[Job], what: str, behind_calls: bool = False) -> None:
    """``behind_calls``: yield the model to the calls clause by clause (``Synthesizer.prewarm``); without it the
    texts are made at once (the openings, before the server takes calls)."""
    started = time.perf_counter()
    done = 0
    for text, prosody in jobs:
        if _stopping.is_set():
            break
        try:
            if behind_calls:
                done += synthesizer.prewarm(text, prosody, stop=_stopping)
            else:
                synthesizer.synthesize(text, prosody)
                done += 1
        except Exception:  # a prompt that cannot be made now is made (or fails visibly) in the call
            logger.exception(f"prewarming {text!r} failed")
    logger.info(f"prewarmed {done} {what} in {time.perf_counter() - started:.1f}s")


def _in_background(synthesizer: PromptSynthesizer, jobs: list[Job], what: str,
                   behind_calls: bool = False) -> threading.Thread:
    thread = threading.Thread(target=_synthesize, args=(synthesizer, jobs, what, behind_calls),
                              name=f"prewarm {what}", daemon=True)
    with _threads_lock:
        _threads[:] = [t for t in _threads if t.is_alive()] + [thread]
    thread.start()
    return thread


_stopping = threading.Event()
_threads: list[threading.Thread] = []
_threads_lock = threading.Lock()


@atexit.register
def _stop_at_exit() -> None:
    """Let a prewarm thread finish its current sentence rather than die inside the model at exit."""
    _stopping.set()
    with _threads_lock:
        threads = list(_threads)
    for thread in threads:
        thread.join(timeout=5)
