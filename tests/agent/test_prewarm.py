"""Prompt audio is made before calls need it: greetings before serving, the rest behind, names per call."""
from __future__ import annotations

import threading
from datetime import datetime

import numpy as np

from agent.call.prewarm import prewarm_call, prewarm_server, scenario_prosody
from agent.settings import Settings
from dialog import DialogSession, load_scenario
from dialog.prompts import fixed_texts, opening_texts
from tts.base import Synthesizer
from tts.prosody import Prosody


class CountingSynthesizer(Synthesizer):
    """Cheap deterministic audio; remembers every clause it had to synthesise and with which prosody."""

    name = "counting"
    sample_rate = 8000
    voices = ("v",)

    def __init__(self, **kwargs):
        super().__init__("v", **kwargs)
        self.made: list[tuple[str, Prosody]] = []

    def _load(self) -> None:
        pass

    def _synthesize_clause(self, clause: str, prosody: Prosody) -> np.ndarray:
        self.made.append((clause, prosody))
        return np.ones(len(clause), np.int16)


CARE = load_scenario("care_call")
CARE_PROSODY = scenario_prosody(CARE)


def _call(name: str = "김영수") -> DialogSession:
    return DialogSession(CARE, person={"name": name}, now=datetime(2026, 12, 1, 12, 0))


def test_first_words_are_made_before_serving_and_the_rest_behind(tmp_path) -> None:
    syn = CountingSynthesizer().load()
    thread = prewarm_server(syn, [CARE], Settings(data_dir=tmp_path))
    openings = {clause for text in opening_texts(CARE) for clause in syn.clauses(text)}
    assert openings and all(syn.cache.get(syn.cache_key(clause, CARE_PROSODY)) is not None for clause in openings)
    thread.join(timeout=30)
    made = {clause for clause, _ in syn.made}
    assert {clause for text in fixed_texts(CARE) for clause in syn.clauses(text)} <= made
    assert {prosody for _, prosody in syn.made} == {CARE_PROSODY}  # the style the call's pipeline asks for


def test_a_call_after_start_up_greets_from_the_cache(tmp_path) -> None:
    syn = CountingSynthesizer().load()
    prewarm_server(syn, [CARE], Settings(data_dir=tmp_path)).join(timeout=30)
    session = _call()
    greeting = session.start().text
    first, *_ = syn.clauses(greeting)
    before = len(syn.made)
    next(syn.stream(greeting, CARE_PROSODY))  # the first audio of the call
    assert len(syn.made) == before, f"{first!r} was not prewarmed"


def test_the_disclosure_with_the_servers_organisation_is_made_at_start_up(tmp_path) -> None:
    """"저는 행복구청의 AI 상담원이고, 통화는 녹음돼요." follows the greeting: ready before the first call."""
    syn = CountingSynthesizer().load()
    prewarm_server(syn, [CARE], Settings(data_dir=tmp_path, organization="행복구청")).join(timeout=30)
    session = DialogSession(CARE, person={"name": ""}, now=datetime(2026, 12, 1, 12, 0), organization="행복구청")
    greeting = session.start().text
    told = "저는 행복구청의 AI 상담원이고, 통화는 녹음돼요."
    assert told in greeting
    assert all(syn.cache.get(syn.cache_key(clause, CARE_PROSODY)) is not None for clause in syn.clauses(told))
    prewarm_call(syn, CARE, "", organization="한빛복지관").join(timeout=30)  # a line's own organisation
    made = " ".join(clause for clause, _ in syn.made)
    assert "한빛복지관의 에이아이 상담원" in made  # (clauses are normalised for speech)


def test_the_callees_name_is_made_when_the_call_starts(tmp_path) -> None:
    syn = CountingSynthesizer().load()
    prewarm_server(syn, [CARE], Settings(data_dir=tmp_path)).join(timeout=30)
    prewarm_call(syn, CARE, "김영수").join(timeout=30)
    made_for_call = [clause for clause, _ in syn.made if "김영수" in clause]
    assert "반가워요, 김영수 님." in made_for_call
    session = _call()
    session.start()
    reply = session.handle("네 맞아요").text
    before = len(syn.made)
    next(syn.stream(reply, CARE_PROSODY))  # the first words of the reply to the first answer
    assert len(syn.made) == before


def test_nothing_personal_nothing_to_do_and_prewarm_can_be_off(tmp_path) -> None:
    syn = CountingSynthesizer().load()
    assert prewarm_call(syn, CARE, "  ") is None
    assert prewarm_server(syn, [CARE], Settings(data_dir=tmp_path, tts_prewarm=False)) is None
    assert syn.made == []


def test_a_lines_own_venue_is_made_per_call() -> None:
    reservation = load_scenario("reservation")
    syn = CountingSynthesizer().load()
    venue = reservation.venue.model_copy(update={"name": "바다식당"})
    prewarm_call(syn, reservation, "", venue).join(timeout=30)
    assert "바다식당입니다." in {clause for clause, _ in syn.made}


def test_start_up_prewarming_waits_while_a_call_is_synthesising(tmp_path) -> None:
    syn = CountingSynthesizer().load()
    call = syn.stream("통화 중인 말. 두 번째 말.", CARE_PROSODY)
    next(call)  # a call's stream is in progress
    thread = prewarm_server(syn, [CARE], Settings(data_dir=tmp_path))
    thread.join(timeout=0.3)
    assert thread.is_alive() and len({c for c, _ in syn.made} - {"통화 중인 말."}) == len(opening_texts(CARE))
    list(call)  # the call's text is done: the background work goes on
    thread.join(timeout=30)
    assert not thread.is_alive() and "잘하셨어요." in {c for c, _ in syn.made}


def test_a_calls_name_sentences_wait_while_another_call_is_synthesising() -> None:
    """Calls starting together: one call's name sentences must not queue ahead of another call's reply on the one
    model (four calls at once once held replies up by 8–9 s)."""
    syn = CountingSynthesizer().load()
    reply = syn.stream("다른 통화의 대답. 두 번째 말.", CARE_PROSODY)
    next(reply)  # another call's reply is being synthesised
    thread = prewarm_call(syn, CARE, "김영수")
    thread.join(timeout=0.3)
    assert thread.is_alive() and not any("김영수" in clause for clause, _ in syn.made)
    assert syn.streams_in_progress == 1  # background work is not counted as a call's
    list(reply)
    thread.join(timeout=30)
    assert "반가워요, 김영수 님." in {clause for clause, _ in syn.made}


def test_prewarm_stops_when_told_and_skips_what_is_cached() -> None:
    syn = CountingSynthesizer().load()
    assert syn.prewarm("첫 번째 말. 두 번째 말.") and len(syn.made) == 2
    assert syn.prewarm("첫 번째 말. 두 번째 말.") and len(syn.made) == 2  # all from the cache
    call = syn.stream("통화 중인 말.")
    next(call)
    stop = threading.Event()
    stop.set()
    assert syn.prewarm("새로운 말.", stop=stop) is False and len(syn.made) == 3  # the call's clause only
