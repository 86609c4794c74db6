"""Calls sharing one NeMo model never change each other's words.

NeMo's streaming step rewrites the shared ``encoder.streaming_cfg.drop_extra_pre_encoded`` while it runs (0 on a
stream's first chunk). Here a fresh call is held inside its first step (a forward pre-hook on the encoder's
pre-encode layer, which runs inside that window) every time the call under test cuts its chunks, so any chunking
that reads the model's live config would see the other call's value. The call under test must still give
exactly what it gives alone; so must many calls streamed at once in threads.
"""
from __future__ import annotations

import threading

import pytest

from nemo_testkit import make_held_out, require_nemo, stream_mulaw

require_nemo()

from asr import make_recognizer  # noqa: E402

PACKET = 800  # 100 ms of µ-law: most pushes complete a chunk, so most plans are made inside another's step
WAIT_S = 60.0


@pytest.fixture(scope="module")
def rec():
    r = make_recognizer("nemo")
    r.load()
    return r


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return make_held_out(6, tmp_path_factory.mktemp("held_out"))


def solo(rec, payload: bytes, packet: int = 160) -> str:
    session = rec.session(8000)
    stream_mulaw(session, payload, packet)
    return session.finish()


def test_a_call_cutting_chunks_while_another_call_steps_keeps_its_own_words(rec, clips):
    subject, other = clips[0], clips[1]
    alone = solo(rec, subject.mulaw_8k, PACKET)
    other_opening = other.mulaw_8k[:8000]  # 1 s: enough for the other call's first chunk
    other_alone = solo(rec, other_opening)

    go, inside, release = threading.Event(), threading.Event(), threading.Event()
    done = threading.Event()
    hold = {"armed": False}
    other_results: list[str] = []
    errors: list[BaseException] = []

    def hook(_module, _args):
        if hold["armed"] and threading.current_thread() is other_thread:
            hold["armed"] = False
            inside.set()  # the other call is now inside NeMo's step, its temporary config in place
            release.wait(WAIT_S)

    def other_calls() -> None:
        try:
            while go.wait(WAIT_S) and not done.is_set():
                go.clear()
                session = rec.session(8000)
                hold["armed"] = True
                stream_mulaw(session, other_opening)
                other_results.append(session.finish())
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
            inside.set()

    other_thread = threading.Thread(target=other_calls, daemon=True)
    handle = rec.model.encoder.pre_encode.register_forward_pre_hook(hook)
    other_thread.start()
    try:
        session = rec.session(8000)
        plan = session.planner.chunks

        def plan_inside_the_other_step(final: bool = False):
            inside.clear()
            release.clear()
            go.set()
            assert inside.wait(WAIT_S), "the other call never reached its first step"
            try:
                return plan(final=final)
            finally:
                release.set()

        session.planner.chunks = plan_inside_the_other_step
        stream_mulaw(session, subject.mulaw_8k, PACKET)
        session.planner.chunks = plan  # the final flush alone
        interleaved = session.finish()
    finally:
        done.set()
        go.set()
        release.set()
        other_thread.join(WAIT_S)
        handle.remove()
    assert not errors, errors
    assert len(other_results) >= 10  # every plan of the call under test was made inside another call's step
    assert interleaved == alone
    assert set(other_results) == {other_alone}


def test_many_calls_streamed_at_once_in_threads_each_give_their_solo_words(rec, clips):
    expected = {k: solo(rec, clip.mulaw_8k) for k, clip in enumerate(clips)}
    results: dict[tuple[int, int], str] = {}
    start = threading.Barrier(2 * len(clips))

    def call(k: int, copy: int) -> None:
        start.wait(WAIT_S)
        results[(k, copy)] = solo(rec, clips[k].mulaw_8k)

    threads = [threading.Thread(target=call, args=(k, c)) for k in range(len(clips)) for c in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(4 * WAIT_S)
    assert {key: text for key, text in results.items()} == {(k, c): expected[k] for k in expected for c in range(2)}
