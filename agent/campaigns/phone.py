"""The audio phone simulator as a placer: an answered call is a real call into the agent's server.

The simulated network decides whether the contact answers; an answered call fetches ``/twiml`` from a
running agent server (``carecall serve``) exactly as Twilio would and streams synthesised Korean speech
over the Media Streams websocket, the persona playing the contact. The agent's ``CallRunner`` stores the
call record; this placer finds it by the call SID. About a minute per answered call, with the speech
models loaded: for small campaigns and end-to-end checks, not for load.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from agent.campaigns.carrier import VOICEMAIL_MESSAGE, builtin_persona
from agent.campaigns.network import SimulatedNetwork
from agent.campaigns.placers import Outcome, Progress, campaign_parameters, recover_from_record
from agent.campaigns.service import AttemptRecord, AttemptView, Claim
from telephony.simulator.voice import CallerVoice

AGENT_NUMBER = "+8215881234"


class PhoneSimulatorPlacer:
    name = "phone"

    def __init__(self, base_url: str, store, network: SimulatedNetwork | None = None, *,
                 auth_token: str | None = None, record_wait_s: float = 30.0, models_dir: Path | None = None):
        self.base_url = base_url.rstrip("/")
        self.store = store
        self.network = network or SimulatedNetwork(odds={"answer": 1.0})
        self.auth_token = auth_token
        self.record_wait_s = record_wait_s
        self._voices: dict[str, CallerVoice] = {}
        self._voice_loading = asyncio.Lock()  # two first calls at once load a voice once, not twice
        self.models_dir = models_dir  # where the callers' Kokoro voice is assembled (the models_dir setting)

    def new_sid(self) -> str:
        return "CA" + uuid.uuid4().hex

    async def place(self, claim: Claim, progress: Progress) -> Outcome:
        from telephony.simulator.phone import PhoneSimulator, dial

        result = self.network.result(claim)
        await progress("ringing")
        if result == "voicemail":
            return Outcome("voicemail", None, f"answering machine; left: {VOICEMAIL_MESSAGE}")
        if result != "answer":
            return Outcome(result, None, f"simulated network: {result}")
        persona = builtin_persona(self.network.persona(claim)).model_copy(update={"name": claim.name, "phone": claim.phone})
        voice = await self._voice(persona)
        ws_url, parameters = await dial(
            self.base_url, call_sid=claim.call_sid, from_number=AGENT_NUMBER, to_number=claim.phone,
            extra_query={"scenario": claim.scenario, "name": claim.name, "phone": claim.phone,
                         "campaign_id": claim.campaign_id, "person_id": str(claim.contact_id),
                         "direction": "outbound",
                         **campaign_parameters(claim)},
            auth_token=self.auth_token,
        )
        await progress("in_progress")
        await PhoneSimulator(ws_url, persona, voice, stream_parameters=parameters, call_sid=claim.call_sid).run()
        for _ in range(int(self.record_wait_s * 10)):  # the agent closes its record just after hanging up
            record = await asyncio.to_thread(self.store.call_by_sid, claim.call_sid)
            if record is not None and record.status == "ended":
                return Outcome("completed", record.id, record.outcome)
            await asyncio.sleep(0.1)
        return Outcome("failed", None, "the agent kept no call record for the simulated call")

    async def _voice(self, persona):
        from tts import make_synthesizer

        async with self._voice_loading:
            if persona.voice not in self._voices:
                voice = CallerVoice(make_synthesizer("kokoro", voice=persona.voice, speed=persona.speed,
                                                     models_dir=self.models_dir))
                await asyncio.to_thread(voice.load)
                self._voices[persona.voice] = voice
        voice = self._voices[persona.voice]
        await asyncio.to_thread(voice.prepare, persona.lines())
        return voice

    async def recover(self, attempt: AttemptView) -> Outcome:
        why = f"dialer {attempt.dialer} stopped during the call"
        return await asyncio.to_thread(recover_from_record, self.store, attempt, why)

    async def reconcile(self, earlier: AttemptRecord, claim: Claim) -> Outcome | None:
        return None  # a simulated call is placed or not, never unknown
