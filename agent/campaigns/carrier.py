"""The fast simulated carrier: the whole campaign offline, in seconds.

Per attempt the simulated network decides the result. An answered call runs the real dialog
(``dialog.DialogSession``) with the persona's replies as text — no audio, no speech models — and is
stored through ``CallStore`` like a live call (turns, answers, flags, outcome), so the dashboard and the
person's memory see it. Ringing and each turn take ``ring_s`` / ``turn_s`` of real time, so concurrency
caps and a dialer killed mid-call behave as they would with real calls.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import lru_cache

from agent.campaigns.network import SimulatedNetwork
from agent.campaigns.placers import Outcome, Progress, recover_from_record
from agent.campaigns.service import AttemptRecord, AttemptView, Claim
from agent.store import CallStore, PeopleStore
from dialog.clock import SEOUL
from dialog.vocabulary import OPTED_OUT
from telephony.simulator.personas import Persona

MAX_TURNS = 60
VOICEMAIL_MESSAGE = "안녕하세요, 안부 전화 드렸습니다. 다시 연락드리겠습니다."


@lru_cache(maxsize=16)
def _scenario(name: str):
    from dialog import load_scenario

    return load_scenario(name)


@lru_cache(maxsize=64)
def builtin_persona(name: str) -> Persona:
    """A simulated contact's persona by name, parsed once per process."""
    from telephony.simulator.personas import load_persona

    return load_persona(name)


class SimulatedCarrier:
    name = "carrier"

    def __init__(
        self,
        store: CallStore,
        network: SimulatedNetwork | None = None,
        *,
        ring_s: float = 0.05,
        turn_s: float = 0.01,
        ledger: Callable[[Claim], Awaitable[None]] | None = None,
    ):
        self.store = store
        self.people = PeopleStore(store.engine)  # a callee's "전화하지 마세요" is stored on them, as in a live call
        self.network = network or SimulatedNetwork()
        self.ring_s = ring_s
        self.turn_s = turn_s
        self.ledger = ledger  # the network's own log of every dial (tests count dials per attempt with it)

    def new_sid(self) -> str:
        return "SIM" + uuid.uuid4().hex

    async def place(self, claim: Claim, progress: Progress) -> Outcome:
        if self.ledger is not None:
            await self.ledger(claim)
        result = self.network.result(claim)
        await progress("ringing")
        await asyncio.sleep(self.ring_s)
        if result == "voicemail":
            return Outcome("voicemail", None, f"answering machine; left: {VOICEMAIL_MESSAGE}")
        if result != "answer":
            return Outcome(result, None, f"simulated network: {result}")
        await progress("in_progress")
        return await self._converse(claim)

    async def _converse(self, claim: Claim) -> Outcome:
        from dialog import DialogSession

        persona = builtin_persona(self.network.persona(claim))
        store = self.store
        call_id = await asyncio.to_thread(
            store.start_call, call_sid=claim.call_sid, direction="outbound", phone_number=claim.phone,
            person_name=claim.name, scenario=claim.scenario,
        )
        history = await asyncio.to_thread(self._history, claim.phone, call_id)
        session = DialogSession(_scenario(claim.scenario), person={"name": claim.name, "phone": claim.phone,
                                "call_id": call_id}, now=datetime.now(SEOUL), history=history,
                                organization=claim.organization, disclosure=claim.disclosure)
        turns: list[tuple[str, str, str | None]] = []
        asked: Counter[str] = Counter()
        reply = session.start()
        turns.append(("agent", reply.text, reply.state))
        outcome: str | None = None
        for _ in range(MAX_TURNS):
            if session.finished:
                break
            state = reply.state or ""
            text = None if persona.silent else persona.answer_for(state, asked[state])
            asked[state] += 1
            await asyncio.sleep(self.turn_s)
            turns.append(("caller", text or "", None))
            reply = session.handle(text) if text else session.handle_silence()
            turns.append(("agent", reply.text, reply.state))
            if persona.hang_up_after and state == persona.hang_up_after and not session.finished:
                outcome = "caller_hung_up"
                break
        await asyncio.to_thread(self._store, call_id, claim.phone, turns, session, outcome)
        return Outcome("completed", call_id, session.outcome or outcome)

    def _history(self, phone: str, call_id: str) -> list:
        return [c for c in self.store.list_calls(limit=11, phone_number=phone) if c.id != call_id][:10]

    def _store(self, call_id: str, claim_phone: str, turns, session, outcome: str | None) -> None:
        for i, (speaker, text, state) in enumerate(turns):
            ms = int(i * self.turn_s * 1000)
            self.store.add_turn(call_id, speaker, text, ms, ms, state=state)
        self.store.add_flags(call_id, session.flags)
        if session.outcome == OPTED_OUT:  # before the call is finished, as the live runner does
            self.people.opt_out_by_callee(claim_phone, said=session.opt_out_request or "", call_id=call_id)
        self.store.finish_call(
            call_id, outcome=session.outcome or outcome or "dropped", answers=dict(session.answers),
            outcome_detail=None if session.finished else "simulated caller stopped answering",
            stats={"simulated": True, "needs_human_now": bool(session.needs_human_now)},
        )

    async def recover(self, attempt: AttemptView) -> Outcome:
        why = f"dialer {attempt.dialer} stopped during the call"
        return await asyncio.to_thread(recover_from_record, self.store, attempt, why)

    async def reconcile(self, earlier: AttemptRecord, claim: Claim) -> Outcome | None:
        return None  # a simulated call is placed or not, never unknown
