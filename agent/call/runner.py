"""One live call: the pipecat pipeline, its lifecycle, and its record.

``CallRunner`` is the handler the telephony router calls once a media stream has started. It builds a
pipeline per call from the process-wide engines, journals every turn, and the answers and flags after it
(with their alerts), to the store as it happens, and always finishes the record (outcome, answers, flags,
recording) however the call ends. A process killed mid-call leaves all of that but the outcome, which the
next server's start-up settles (``CallStore.recover_abandoned``).
"""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from loguru import logger
from pipecat.frames.frames import LLMContextFrame  # noqa: F401  (documented contract of DialogProcessor)
from pipecat.observers.user_bot_latency_observer import UserBotLatencyObserver
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams, FastAPIWebsocketTransport
from pipecat.workers.runner import WorkerRunner

from agent.call.dialog_processor import DialogProcessor
from agent.call.disclosure import call_disclosure
from agent.call.engines import Engines
from agent.call.events import CallEvent, CallListener
from agent.call.handoff import CallHandoff, TwilioCallUpdater, on_call_number
from agent.call.lines import load_lines
from agent.call.ownership import this_process
from agent.call.prewarm import prewarm_call, scenario_prosody
from agent.call.recording import CallRecording
from agent.settings import Settings
from agent.recordings import recording_archive
from agent.call.speech_services import SynthesizerTTSService
from agent.call.streaming_stt import make_stt_service
from agent.call.turn_taking import PauseListener, PauseReportingVAD, SmartTurnModels, user_turn_params
from agent.observability.metrics import METRICS
from agent.store import AlertRoute, CallStore, PeopleStore, SqlBookingBook, database_unreachable
from dialog import DialogSession, Flag, Reply
from dialog.clock import SEOUL
from dialog.vocabulary import OPTED_OUT
from telephony.limits import MediaSocket
from telephony.routes import StreamStart
from telephony.serializer import CallSerializer

HANG_UP_GRACE_S = 5.0  # after the caller hangs up, time allowed to transcribe their last words


class CallJournal:
    """Writes one call's turns, answers and flags to the store as they happen, in order, off the event loop.

    Writes go through one queue drained by one task, so turns keep their order; a store error is logged
    and never reaches the pipeline. Flags are stored with the alerts ``alerts`` asks for in the same
    transaction; ``on_new_flags`` hears the rules of flags stored for the first time.

    While the database is unreachable (a restart), a write is tried again and the writes behind it wait, so
    nothing is lost and the order holds; once the call is over (``flush``) they keep trying for
    ``retry_after_end_s``, and so does the closing write made through ``safe``.
    """

    def __init__(
        self,
        store: CallStore,
        call_id: str,
        alerts: Sequence[AlertRoute] = (),
        on_new_flags: Callable[[list[str]], Awaitable[None]] | None = None,
        retry_after_end_s: float = 60.0,
    ):
        self.store = store
        self.call_id = call_id
        self.alerts = tuple(alerts)
        self.on_new_flags = on_new_flags
        self.retry_after_end_s = retry_after_end_s
        self._give_up_at: float | None = None  # set by flush; until then a write waits for the database
        self.t0 = time.monotonic()
        self._queue: asyncio.Queue[tuple[Callable[..., Any], tuple, dict] | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._drain())

    def ms(self, at: float | None = None) -> int:
        return int(((at if at is not None else time.monotonic()) - self.t0) * 1000)

    def add_turn(self, speaker: str, text: str, start_ms: int, end_ms: int | None = None, **extra: Any) -> None:
        args = (self.call_id, speaker, text, start_ms, end_ms or start_ms)
        self._queue.put_nowait((self.store.add_turn, args, extra))

    def reply_latency(self, seconds: float) -> None:
        """The newest agent turn's voice-to-voice latency (its audio has just started)."""
        self._queue.put_nowait((self.store.set_reply_latency, (self.call_id, int(seconds * 1000)), {}))

    def progress(self, answers: dict[str, Any], flags: Sequence[Flag]) -> None:
        """The dialog's answers and flags as they stand now (a copy is queued: the dialog goes on in its own
        thread meanwhile; storing them is idempotent)."""
        kwargs = {"answers": copy.deepcopy(answers), "flags": list(flags), "alerts": self.alerts}
        self._queue.put_nowait((self.store.journal, (self.call_id,), kwargs))

    async def flush(self) -> None:
        """Wait until every queued write is done; the journal takes no more writes afterwards."""
        self._give_up_at = time.monotonic() + self.retry_after_end_s
        self._queue.put_nowait(None)
        await self._writer

    async def _drain(self) -> None:
        while (item := await self._queue.get()) is not None:
            fn, args, kwargs = item
            result = await self._write(fn, *args, **kwargs)
            if fn == self.store.journal and result and self.on_new_flags is not None:
                try:
                    await self.on_new_flags(list(result))
                except Exception:
                    logger.exception(f"new-flag listener failed for call {self.call_id}")

    async def safe(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One store call now; after ``flush``, tried again while the database is unreachable."""
        if self._give_up_at is None:
            try:
                return await asyncio.to_thread(fn, *args, **kwargs)
            except Exception:
                logger.exception(f"store write failed for call {self.call_id}")
                return None
        return await self._write(fn, *args, **kwargs)

    async def _write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        pause = 0.1
        while True:
            try:
                return await asyncio.to_thread(fn, *args, **kwargs)
            except Exception as exc:
                if not database_unreachable(exc) or (self._give_up_at is not None
                                                     and time.monotonic() + pause > self._give_up_at):
                    logger.exception(f"store write failed for call {self.call_id}")
                    return None
                logger.warning(f"store unreachable for call {self.call_id} ({type(exc).__name__}); trying again")
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)


def _inbound(params: dict[str, str]) -> bool:
    return params.get("direction", "").startswith("inbound")


class CallRunner:
    """The telephony stream handler: runs one call to its end and records it."""

    def __init__(
        self,
        engines: Engines,
        store: CallStore,
        settings: Settings,
        listener: CallListener | None = None,
        alerts: Sequence[AlertRoute] = (),
    ):
        """``alerts``: the alert channels and their minimum severities; a flag at or above one is put in the
        outbox (``agent.store.outbox``) the moment it is journaled."""
        self.engines = engines
        self.store = store
        self.settings = settings
        self.listener = listener
        self.alerts = tuple(alerts)
        self.stopping = False  # the server is shutting down (SIGTERM): calls cut now end ``server_stopped``
        self.bookings = SqlBookingBook(store.engine)
        self.people = PeopleStore(store.engine)  # a callee's confirmed "전화하지 마세요" is stored on them
        self.lines = load_lines(settings.lines_file)  # a broken file stops the server here, not mid-call
        self.smart_turn = SmartTurnModels(settings.turn_fallback_s)
        self.recordings = recording_archive(settings, store)  # where a finished call's recording is kept
        if engines is not None:  # a server that takes calls: the first one should not wait for the model
            self.smart_turn.warm()

    async def __call__(self, websocket, start: StreamStart) -> None:
        call_id = str(uuid.uuid4())
        # Everything logged during the call, in every task it starts, carries its ids (JSON logs: fields).
        with logger.contextualize(call_id=call_id, call_sid=start.call_sid or ""):
            await self._run_call(websocket, start, call_id)

    async def _run_call(self, websocket, start: StreamStart, call_id: str) -> None:
        params = start.custom_parameters or {}
        phone = params.get("phone") or start.from_number or ""
        person = {"name": params.get("name") or params.get("person_name") or "", "phone": phone}
        # An inbound call to a configured line runs that line's scenario for its venue.
        line = self.lines.find(start.to_number or params.get("to_number")) if _inbound(params) else None
        scenario_name = (line.scenario if line else None) or params.get("scenario") or self.settings.scenario
        told = call_disclosure(params, line, self.settings.organization)  # campaign, line, server: who calls
        recording = CallRecording(self.settings.recordings_dir / f"{call_id}.wav")
        await asyncio.to_thread(
            self.store.start_call,
            call_id=call_id,
            call_sid=start.call_sid,
            stream_sid=start.stream_sid,
            direction=params.get("direction", "outbound"),
            phone_number=phone,
            person_name=person["name"],
            scenario=scenario_name,
            recording_path=str(recording.path),
            owner=this_process(),
        )
        METRICS.call_started()

        async def flagged(rules: list[str]) -> None:
            await self._emit(CallEvent("flagged", call_id, data={"rules": rules}))

        journal = CallJournal(self.store, call_id, self.alerts, on_new_flags=flagged)
        outcome, detail = "error", None
        session: DialogSession | None = None
        latencies: list[float] = []
        serializer: CallSerializer | None = None
        try:
            history = await journal.safe(self._history, phone, call_id) or []
            session = DialogSession(
                self.engines.scenario(scenario_name),
                person={**person, "call_id": call_id},
                now=datetime.now(SEOUL),
                history=history,
                bookings=self.bookings,
                venue=line.venue if line else None,
                responder=self.engines.responder,
                on_call_number=on_call_number(self.settings, start, line and line.handoff_number),
                organization=told.organization,
                disclosure=told.lines,
            )
            if self.settings.tts_prewarm:  # the callee's name in the reply to their first answer, made meanwhile
                prewarm_call(self.engines.synthesizer, session.scenario, person["name"], line.venue if line else None,
                             told.organization)
            await self._emit(
                CallEvent("started", call_id, data={"person": person, "scenario": scenario_name, "line": line and line.name})
            )
            serializer = CallSerializer(
                stream_sid=start.stream_sid,
                call_sid=start.call_sid,
                account_sid=self.settings.twilio_account_sid,
                auth_token=self.settings.twilio_auth_token,
                hang_up=self.settings.twilio_configured and bool(start.call_sid),
                base_url=self.settings.twilio_api_url,
            )
            outcome, detail = await self._run_pipeline(
                websocket, start, session, serializer, journal, recording, latencies
            )
        except Exception as exc:
            logger.exception(f"call {call_id} failed")
            outcome, detail = "error", f"{type(exc).__name__}: {exc}"
        finally:
            if session is not None:  # the last words and the flags of the call's end, alerts with them
                journal.progress(session.answers, session.flags)
            await journal.flush()
            path = recording.close()
            answers = dict(session.answers) if session else {}
            flags = list(session.flags) if session else []
            stats = {
                "latency_s": latencies,
                "recording_s": round(recording.seconds, 2),
                "protocol_errors": serializer.errors if serializer else 0,
                "needs_human_now": bool(session and session.needs_human_now),
            }
            if path is None:  # nothing was recorded: the path linked at the start leads nowhere
                await journal.safe(self.store.link_recording, call_id, None)
            if session is not None and session.outcome == OPTED_OUT and phone:  # before the call is finished:
                await journal.safe(  # a dialer that hears of its end must already see the person opted out
                    self.people.opt_out_by_callee, phone, said=session.opt_out_request or "", call_id=call_id
                )
            await journal.safe(
                self.store.finish_call,
                call_id,
                outcome=outcome,
                answers=answers,
                recording_path=str(path) if path else None,
                outcome_detail=detail,
                taken_over_by=session.taken_over_by if session else None,
                stats=stats,
            )
            METRICS.call_ended(outcome)
            logger.info(f"call {call_id} ended: {outcome} {detail or ''}")
            await self._emit(
                CallEvent(
                    "ended",
                    call_id,
                    data={
                        "outcome": outcome,
                        "scenario": scenario_name,  # whose labels name the outcome on the live page
                        "detail": detail,
                        "answers": answers,
                        "flags": flags,
                        "recording": str(path) if path else None,
                        "latency_s": latencies,
                    },
                )
            )
            if path is not None:  # into the recording storage (S3); a failed upload keeps the spool file for a retry
                await asyncio.to_thread(self.recordings.keep, call_id, path)

    def _history(self, phone: str, call_id: str) -> list:
        """This person's earlier calls (newest 10), for memory and history-aware flags."""
        if not phone:
            return []
        return [c for c in self.store.list_calls(limit=11, phone_number=phone) if c.id != call_id][:10]

    async def _run_pipeline(
        self,
        websocket,
        start: StreamStart,
        session: DialogSession,
        serializer: CallSerializer,
        journal: CallJournal,
        recording: CallRecording,
        latencies: list[float],
    ) -> tuple[str, str | None]:
        settings = self.settings
        transport = FastAPIWebsocketTransport(
            websocket=websocket,
            params=FastAPIWebsocketParams(
                audio_in_enabled=True,
                audio_out_enabled=True,
                add_wav_header=False,
                serializer=serializer,
                session_timeout=int(settings.max_call_s),
            ),
        )
        stt = make_stt_service(self.engines.recognizer, speculative=settings.asr_speculative)
        stt.choose = session.choose  # the dialog hears the recogniser's hypothesis its question understands
        context = LLMContext()
        # The VAD tells the recogniser where the caller pauses, so it can start before the turn is decided.
        vad = PauseReportingVAD(stop_secs=settings.vad_stop_s, listener=stt if isinstance(stt, PauseListener) else None)

        async def on_reply(reply: Reply, caller_text: str | None) -> None:
            now_ms = journal.ms()
            if caller_text is not None:
                journal.add_turn("caller", caller_text, caller_turn["start_ms"] or now_ms, now_ms)
                await self._emit(CallEvent("caller", journal.call_id, caller_text))
            journal.add_turn("agent", reply.text, now_ms, state=reply.state)
            journal.progress(session.answers, session.flags)
            await self._emit(CallEvent("agent", journal.call_id, reply.text, state=reply.state))

        def set_hint(hint: str | None) -> None:
            stt.hint = hint

        dialog = DialogProcessor(
            session, stream_sid=start.stream_sid, set_hint=set_hint, on_reply=on_reply,
            merge_window_s=settings.turn_merge_window_s,
            transfer=self._handoff(start, serializer),
        )
        serializer.on_mark = dialog.mark_played  # a handoff waits for its told-first line to have played
        smart_turn = await self.smart_turn.acquire()
        user_params = user_turn_params(vad, smart_turn, silence_timeout_s=settings.silence_timeout_s, dialog=dialog)
        user_agg, assistant_agg = LLMContextAggregatorPair(context, user_params=user_params)
        tts = SynthesizerTTSService(self.engines.synthesizer, prosody=scenario_prosody(session.scenario))
        pipeline = Pipeline(
            [transport.input(), stt, user_agg, dialog, tts, transport.output(), recording.processor, assistant_agg]
        )
        latency_observer = UserBotLatencyObserver()
        worker = PipelineWorker(
            pipeline,
            params=PipelineParams(
                audio_in_sample_rate=16000,
                audio_out_sample_rate=8000,
                enable_metrics=True,
            ),
            enable_rtvi=False,
            idle_timeout_secs=max(60, int(settings.silence_timeout_s * 10)),
            observers=[latency_observer],
            enable_tracing=settings.otel_endpoint is not None,  # agent.observability.tracing
            conversation_id=journal.call_id,
        )
        caller_turn: dict[str, int | None] = {"start_ms": None}
        ended_by: dict[str, str | None] = {"why": None}

        @user_agg.event_handler("on_user_turn_started")
        async def _turn_started(_agg, *args):
            caller_turn["start_ms"] = journal.ms()

        @user_agg.event_handler("on_user_turn_idle")
        async def _idle(_agg):
            await dialog.on_silence()

        @latency_observer.event_handler("on_latency_measured")
        async def _latency(_obs, seconds: float):
            latencies.append(round(seconds, 3))
            METRICS.reply_latency(seconds)
            journal.reply_latency(seconds)

        @latency_observer.event_handler("on_latency_breakdown")
        async def _breakdown(_obs, breakdown):
            METRICS.turn_stages(breakdown.contributions)
            logger.info("latency breakdown: " + " / ".join(breakdown.turn_contribution_lines()))

        @transport.event_handler("on_client_connected")
        async def _connected(_t, _ws):
            await recording.start()

        @transport.event_handler("on_client_disconnected")
        async def _disconnected(_t, _ws):
            if session.finished:
                await worker.cancel()
                return
            if isinstance(websocket, MediaSocket) and websocket.refusal:
                ended_by["why"] = "input_refused"  # the agent closed a stream that broke the input caps
                await worker.cancel()
                return
            ended_by["why"] = "server_stopped" if self.stopping else "caller_hung_up"
            # Let what the caller said before hanging up be transcribed (a graceful stop finishes
            # queued segments), but never wait long on a dead line.
            await worker.stop_when_done()
            loop = asyncio.get_running_loop()
            loop.call_later(HANG_UP_GRACE_S, lambda: asyncio.ensure_future(worker.cancel()))

        @transport.event_handler("on_session_timeout")
        async def _timeout(_t, _ws):
            ended_by["why"] = "max_duration"
            await worker.cancel()

        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(worker)
        try:
            await runner.run()
        finally:
            self.smart_turn.release(smart_turn)
        # Words heard after the last reply (the caller hung up meanwhile) still count.
        for text in dialog.absorb_unanswered(context):
            now_ms = journal.ms()
            journal.add_turn("caller", text, caller_turn["start_ms"] or now_ms, now_ms)
            await self._emit(CallEvent("caller", journal.call_id, text))

        if session.finished:
            return session.outcome, None
        if self.stopping or ended_by["why"] == "server_stopped":
            return "server_stopped", f"the server was stopped during '{_current_state(session)}'"
        if ended_by["why"] == "input_refused" and isinstance(websocket, MediaSocket):
            return "input_refused", f"the agent closed the stream: {websocket.refusal}"
        if ended_by["why"] == "caller_hung_up":
            return "caller_hung_up", f"caller hung up during '{_current_state(session)}'"
        if ended_by["why"] == "max_duration":
            return "max_duration", f"call exceeded {settings.max_call_s:.0f}s"
        return "dropped", "the media stream ended before the dialog finished"

    def _handoff(self, start: StreamStart, serializer: CallSerializer) -> Callable[[str, str], None] | None:
        """How this call is handed to a person: a Twilio REST update of the live call (none without Twilio)."""
        if not (self.settings.twilio_configured and start.call_sid):
            return None
        updater = TwilioCallUpdater(
            self.settings.twilio_account_sid or "", self.settings.twilio_auth_token or "",
            api_url=self.settings.twilio_api_url,
        )
        return CallHandoff(updater, start.call_sid, serializer).transfer

    def server_stopping(self) -> None:
        """The server is shutting down: calls it cuts are ``server_stopped``, not hung up by the caller."""
        self.stopping = True

    async def _emit(self, event: CallEvent) -> None:
        if self.listener is None:
            return
        try:
            await self.listener(event)
        except Exception:
            logger.exception("call listener failed")


def _current_state(session: DialogSession) -> str:
    return session.state or "unknown"
