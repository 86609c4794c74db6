"""Runtime configuration, read from the environment (prefix ``CARECALL_``) or a ``.env`` file."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dialog.flags import SEVERITIES


class Settings(BaseSettings):
    """Everything an operator may change without touching code."""

    model_config = SettingsConfigDict(env_prefix="CARECALL_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Where the database, recordings and caches live.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite under data_dir.")
    cache_dir: Path | None = Field(
        None, description="Derived files kept across restarts (CARECALL_CACHE_DIR; the nemo-onnx export reads it "
        "too); the synthesised clause audio goes to its tts-cache folder. Default: data_dir."
    )

    models_dir: Path | None = Field(
        None, description="Where the speech models are assembled from their wheels (Whisper base, Kokoro); "
        "default ~/.cache/carecall/models. The images build them into /opt/carecall/models."
    )

    host: str = "127.0.0.1"
    port: int = 8765
    public_url: str | None = Field(
        None, description="Public https base URL Twilio reaches (e.g. https://agent.example.org)."
    )

    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_api_url: str | None = Field(
        None, description="Base URL of Twilio's REST API for live calls (hang-up, transfer); default https://api.twilio.com."
    )
    handoff_number: str | None = Field(
        None, description="On-call number (E.164 or Korean format) a caller is put through to when they ask for a "
        "person or the scenario's handoff flags are raised; a line's or a campaign's own number replaces it. "
        "Unset: a person is promised to call back (critical flag)."
    )

    @field_validator("handoff_number")
    @classmethod
    def _dialable(cls, value: str | None) -> str | None:
        """A number Twilio cannot dial would only fail mid-call: refuse it at start-up."""
        if not value:
            return None
        from dialog.phone_numbers import PhoneNumberError, to_e164

        try:
            return to_e164(value)
        except PhoneNumberError as exc:
            raise ValueError(str(exc)) from exc

    asr_engine: str = "whisper"
    asr_model_dir: Path | None = None
    asr_beam_size: int = 5
    asr_window_margin_s: float = Field(
        10.0, ge=0, description="Whisper: encode each turn plus this much padding, not a 30 s window (0: the full window)."
    )
    asr_nemo_model: Path | None = Field(
        None, description="A .nemo checkpoint for the nemo engines (restore_from); default: the committed small model."
    )
    asr_device: str = Field("cpu", description="Where the recogniser runs (nemo engines, whisper): cpu or cuda[:N].")
    asr_chunk_ms: int | None = Field(None, description="Streaming chunk of a multi-lookahead NeMo model (ms).")
    asr_decoder: str | None = Field(None, description="Head of a hybrid RNNT/CTC NeMo model: rnnt or ctc.")
    asr_batch: bool = Field(
        False, description="whisper: recognise concurrent calls' turns in one batch (GPU node; asr/batching.py)."
    )

    tts_engine: str = Field("kokoro", description="kokoro | hdts | espeak")
    tts_voice: str | None = Field(
        None, description="Default per engine: kokoro jm_kumo (the most intelligible offline voice over the phone, "
        "docs/BENCHMARKS.md), hdts ko_kumo (or an acoustic checkpoint path), espeak ko."
    )
    tts_vocoder: Path | None = Field(None, description="hdts: a vocoder checkpoint; default HiFi-GAN universal.")
    tts_speed: float = 1.0
    tts_device: str = Field("cpu", description="hdts: where its models run, cpu or cuda[:N] (the GPU node).")
    tts_threads: int | None = Field(
        None, description="CPU threads of one synthesiser (kokoro: ONNX intra-op, default min(2, cores); hdts: torch)."
    )
    tts_batch: bool = Field(False, description="hdts: batch the vocoder across concurrent calls (GPU node).")
    tts_pitch: float = Field(1.0, description="F0 factor (hdts, espeak); a scenario's `voice:` block overrides it.")
    tts_energy: float = Field(1.0, description="Loudness factor; a scenario's `voice:` block overrides it.")
    tts_cache_mb: int = Field(256, description="Bound of the on-disk clause audio cache (0 = no disk cache).")
    tts_prewarm: bool = Field(
        True, description="At start-up, synthesise every fixed prompt of the scenario (greetings before serving, the "
        "rest in the background), and each callee's personal lines when their call starts."
    )

    scenario: str = "care_call"
    organization: str | None = Field(
        None, description="On whose behalf calls are made, said in every scenario's disclosure ({organization}: "
        "'저는 OO의 AI 상담원이고, 통화는 녹음돼요.'); a line's `organization` replaces it; none: the scenario's default."
    )
    lines_file: Path | None = Field(
        None, description="YAML mapping inbound numbers to a scenario and a venue (agent/call/lines.py); none: the default scenario answers."
    )

    llm_url: str | None = Field(
        None, description="OpenAI-compatible chat endpoint (e.g. http://gpu-node:8000/v1) to word replies; off when unset."
    )
    llm_model: str = Field("default", description="Model name sent to the chat endpoint.")
    llm_api_key: str | None = None
    llm_timeout_s: float = Field(2.5, description="Longest wait for the language model before the script is used.")
    silence_timeout_s: float = Field(6.0, description="Caller silence before the agent re-prompts.")
    max_call_s: float = Field(600.0, description="Hard cap on one call's length.")
    drain_timeout_s: float | None = Field(
        None, description="On SIGTERM the server takes no new calls and lets those in progress end for at most this "
        "long, then stops (a call still live is recorded server_stopped); default max_call_s. A second SIGTERM "
        "or Ctrl+C stops at once."
    )
    # --- what one media stream may send (telephony/limits.py); all audio of a call: max_call_s + stream_burst_s ---
    stream_max_message_bytes: int = Field(
        16384, description="A websocket message over this closes the stream (Twilio's are < 1 KB)."
    )
    stream_burst_s: float = Field(
        5.0, description="Audio a stream may send ahead of real time; the excess is dropped (and counts towards "
        "the call's total, which closes the stream at max_call_s + this)."
    )
    # --- turn-taking (agent/call/turn_taking.py; measured in docs/BENCHMARKS.md) ---
    vad_stop_s: float = Field(
        0.2, description="Silence that ends a speech segment; Smart Turn then judges whether the caller has "
        "finished (0.2 s: the silence Smart Turn v3 is trained and benchmarked with)."
    )
    turn_fallback_s: float = Field(
        1.3, description="When Smart Turn says the caller has not finished, this much more silence (after "
        "vad_stop_s) ends the turn anyway: 1.5 s in all, longer than an elderly caller's pause inside an answer "
        "(~0.5-1.2 s), short enough not to leave dead air when Smart Turn misjudges a short phone answer."
    )
    turn_merge_window_s: float = Field(
        1.5, description="A caller who goes on talking before the agent's reply has played this long was still "
        "answering: the reply stops and both parts are heard as one turn (the dialog advances once)."
    )
    asr_speculative: bool = Field(
        True, description="Whisper: start recognising at the first silent frame of a pause, so the transcript "
        "is ready when the turn ends; discarded if the caller goes on."
    )

    # --- operator dashboard (agent/dashboard) ---
    dashboard_secret_key: str | None = Field(
        None, description="Signs session cookies; default: a random key kept in data_dir/dashboard.key."
    )
    dashboard_https_only: bool = Field(False, description="Send the session cookie over https only.")
    redis_url: str | None = Field(None, description="Redis for live call events across processes; in-process when unset.")
    webhook_url: str | None = Field(None, description="POST target for flag alerts (JSON, HMAC-signed).")
    webhook_secret: str | None = Field(None, description="Key of the webhook-signature HMAC (a whsec_ secret is base64).")
    webhook_min_severity: str = Field("high", description="low | medium | high | critical")
    smtp_host: str | None = Field(None, description="Mail server for flag alerts; e-mail off when unset.")
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_from: str = "carecall@localhost"
    smtp_to: str | None = Field(None, description="Comma-separated recipients of flag alerts.")
    email_min_severity: str = Field("high", description="low | medium | high | critical")

    @field_validator("webhook_min_severity", "email_min_severity")
    @classmethod
    def _known_severity(cls, value: str) -> str:
        """A misspelt minimum would otherwise let every alert through (or none): refuse it at start-up."""
        if value not in SEVERITIES:
            raise ValueError(f"'{value}' is not a severity; expected one of {', '.join(SEVERITIES)}")
        return value

    # --- outbound campaigns (agent/campaigns); redis_url set = scheduler and dialers share Redis ---
    campaign_prefix: str = Field("carecall:campaigns", description="Redis key prefix of the job stream and caps.")
    dialer_node: str | None = Field(None, description="This machine's name for the per-node cap; default: hostname.")
    dialer_node_max_concurrent: int = Field(4, description="Calls at once on this node, all its dialers together.")
    campaign_global_max_concurrent: int = Field(0, description="Calls at once over all campaigns and nodes (0 = none).")
    dialer_lease_s: float = Field(30.0, description="A dialer silent this long has its jobs taken over.")
    twilio_from_number: str | None = Field(None, description="Caller ID of outbound campaign calls (E.164).")

    # --- recording storage (agent/recordings); calls always record into data_dir/recordings while live ---
    recording_storage: str | None = Field(
        None, description="Where a call's recording is kept once the call ends: unset, the recordings folder under "
        "data_dir; s3://bucket/prefix, S3 or an S3-compatible store (objects prefix/<call id>.wav), so a dashboard "
        "on any server plays any server's calls."
    )
    s3_endpoint_url: str | None = Field(
        None, description="S3-compatible endpoint (MinIO, Ceph RGW, e.g. http://minio:9000); unset: AWS S3."
    )
    s3_region: str | None = Field(None, description="Region of the bucket; unset: boto3's default.")
    s3_access_key_id: str | None = Field(
        None, description="Access key of the recording bucket; unset: boto3's own chain (instance role, profile)."
    )
    s3_secret_access_key: str | None = None
    recording_retry_s: float = Field(
        300.0, description="How often recordings whose upload failed are tried again (they wait in the recordings folder)."
    )

    @field_validator("recording_storage")
    @classmethod
    def _storage_url(cls, value: str | None) -> str | None:
        """A storage the server cannot use would only show when the first call ends: refuse it at start-up."""
        if not value:
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"'{value}' is not an s3://bucket/prefix URL (leave it unset for the local folder)")
        return value

    # --- observability (agent/observability) ---
    log_format: Literal["text", "json"] = Field(
        "text", description="`carecall serve` logs: text for a terminal, json (one object a line, with the call id) "
        "for a log collector; --log-format overrides it."
    )
    metrics_token: str | None = Field(
        None, description="Bearer token /metrics asks of its scraper; unset: /metrics is open (counts and timings only)."
    )
    otel_endpoint: str | None = Field(
        None, description="OTLP/HTTP traces endpoint (e.g. http://collector:4318/v1/traces): each call is traced "
        "through pipecat's tracing, its conversation id the call id; needs the `tracing` extra. Off when unset."
    )

    # --- reports and retention (agent/dashboard/reports.py, agent/retention.py) ---
    report_chromium: Path | None = Field(
        Path("/usr/bin/chromium"), description="Chromium that prints weekly reports to PDF (through Playwright); "
        "empty: Playwright's own Chromium build."
    )
    recording_retention_days: int | None = Field(
        None, ge=0, description="Recordings older than this many days are deleted (0 or unset: kept for ever); "
        "calls with flags not handled yet keep theirs until handled."
    )
    transcript_retention_days: int | None = Field(
        None, ge=0, description="Transcripts (the turns' texts) older than this many days are deleted (0 or unset: "
        "kept for ever); the answers, flags and outcome stay. Calls with unhandled flags keep theirs."
    )
    retention_interval_s: float = Field(
        3600.0, gt=0, description="How often `carecall serve` applies the retention periods (when one is set)."
    )

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'carecall.db').resolve()}"

    def asr_options(self) -> dict:
        """Keyword arguments of ``asr.make_recognizer`` for the configured engine."""
        if self.asr_engine.startswith("nemo"):
            options = {"model_path": self.asr_nemo_model or self.asr_model_dir, "device": self.asr_device,
                       "chunk_ms": self.asr_chunk_ms, "decoder": self.asr_decoder,
                       "onnx_cache_dir": (self.cache_dir or self.data_dir) / "nemo-onnx"}
        else:
            options = {"model_dir": self.asr_model_dir, "beam_size": self.asr_beam_size, "models_dir": self.models_dir}
        if self.asr_engine == "whisper":
            options["device"] = self.asr_device
            options["window_margin_s"] = self.asr_window_margin_s or None
        if self.asr_batch:  # an engine that cannot batch refuses it at start-up (asr.make_recognizer)
            options["batch"] = True
        return options

    def tts_options(self) -> dict:
        """Keyword arguments of ``tts.make_synthesizer`` for the configured engine."""
        voice = self.tts_voice or {"kokoro": "jm_kumo"}.get(self.tts_engine)
        options = {"voice": voice, "speed": self.tts_speed, "pitch": self.tts_pitch, "energy": self.tts_energy}
        if self.tts_cache_mb > 0:
            options.update(cache_dir=self.tts_cache_dir, cache_max_bytes=self.tts_cache_mb << 20)
        if self.tts_engine == "hdts" and self.tts_vocoder:
            options["vocoder"] = self.tts_vocoder
        if self.tts_engine == "hdts":
            options.update(device=self.tts_device, batch=self.tts_batch)
        if self.tts_engine in ("kokoro", "hdts") and self.tts_threads:
            options["threads"] = self.tts_threads
        if self.tts_engine == "kokoro":
            options["models_dir"] = self.models_dir
        return options

    @property
    def tts_cache_dir(self) -> Path:
        """Where synthesised clause audio is kept between runs (``tts.disk_cache``)."""
        return (self.cache_dir or self.data_dir) / "tts-cache"

    @property
    def recordings_dir(self) -> Path:
        return self.data_dir / "recordings"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)
