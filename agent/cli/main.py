"""The ``carecall`` command line."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import typer
from rich.console import Console

from agent.cli.logs import quiet_logs
from agent.settings import Settings

app = typer.Typer(help="Korean AI care-call and reservation voice agent.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
from agent.cli.users import users_app  # noqa: E402
app.add_typer(users_app, name="user")
from agent.cli.campaign import campaign_app  # noqa: E402
app.add_typer(campaign_app, name="campaign")
from agent.cli.report import report_app  # noqa: E402
app.add_typer(report_app, name="report")
from agent.cli.retention import retention_app  # noqa: E402
app.add_typer(retention_app, name="retention")
from asr.recipes.cli import asr_app  # noqa: E402
app.add_typer(asr_app, name="asr")
from tts.recipes.cli import tts_app  # noqa: E402
app.add_typer(tts_app, name="tts")
console = Console()


@app.command()
def demo(
    persona: str = typer.Option("well", help="Caller persona: well, fever_cough, fall_low_mood, ... or a YAML path."),
    port: int = typer.Option(0, help="Port for the agent's server (0 = any free port)."),
    data_dir: Path | None = typer.Option(None, help="Where records and recordings go (default ./var)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show the pipeline's logs."),
) -> None:
    """Run a simulated Korean care call end to end: server, phone simulator, live transcript, summary."""
    quiet_logs(verbose)
    from agent.cli.demo import run_demo

    settings = Settings()
    overrides: dict = {"port": port}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    settings = settings.model_copy(update=overrides)
    result = asyncio.run(run_demo(settings, persona, console))
    raise typer.Exit(0 if result.record is not None else 1)


@app.command()
def serve(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Every library's debug lines as well."),
    log_format: str | None = typer.Option(
        None, "--log-format", help="text or json (one object a line, with the call id); default CARECALL_LOG_FORMAT."
    ),
    insecure_no_twilio_signature: bool = typer.Option(
        False, "--insecure-no-twilio-signature",
        help="Serve on a non-loopback host or a public URL without a Twilio auth token: anyone who reaches "
        "the server can start media streams and post campaign callbacks. For closed labs only.",
    ),
) -> None:
    """Run the agent's server (Twilio webhook ``/twiml``, media stream ``/ws``, ``/dashboard``, ``/metrics``)."""
    from agent.cli.logs import LOG_FORMATS, server_logs

    settings = Settings()
    if log_format is not None and log_format not in LOG_FORMATS:
        raise typer.BadParameter(f"expected one of {', '.join(LOG_FORMATS)}", param_hint="--log-format")
    server_logs(log_format or settings.log_format, verbose)
    check_exposure(settings, insecure_no_twilio_signature)
    os.umask(0o077)  # all the server writes (database, recordings, keys, caches) is for its owner only
    from agent.app import create_app, run_server
    from agent.call.engines import Engines
    from agent.store import CallStore, migrate

    migrate(settings.resolved_database_url)
    if settings.otel_endpoint:
        from agent.observability.tracing import start_tracing

        start_tracing(settings.otel_endpoint)
    with console.status("Loading speech models…"):
        engines = Engines.load(settings, progress=lambda what, s: console.log(f"{what}: {s:.1f}s"))
    store = CallStore(settings.resolved_database_url)
    console.print(f"Listening on http://{settings.host}:{settings.port} (TwiML: {settings.base_url}/twiml)")
    # Start-up (the app's lifespan) closes calls a killed server left open and starts the alert delivery.
    run_server(create_app(settings, engines, store), settings)


def check_exposure(settings: Settings, insecure: bool) -> None:
    """Stop before anything loads when the server would be open to anyone (``telephony.security``)."""
    from telephony.security import exposure_problem

    problem = exposure_problem(settings.host, settings.public_url, settings.twilio_auth_token)
    if problem is None:
        return
    if not insecure:
        console.print(problem, style="red", markup=False, soft_wrap=True)
        raise typer.Exit(2)
    console.print(
        "WARNING: no Twilio signature checks (--insecure-no-twilio-signature): anyone who reaches "
        f"{settings.base_url} can start media streams and post campaign callbacks.", style="bold red", markup=False,
        soft_wrap=True,
    )


@app.command()
def call(
    url: str = typer.Option("http://127.0.0.1:8765", help="The agent server's base URL."),
    persona: str = typer.Option("well", help="Caller persona name or YAML path."),
) -> None:
    """Dial a running agent server with the phone simulator (as Twilio would) and print the call."""
    quiet_logs(False)
    from agent.cli.demo import simulate_call

    result = asyncio.run(simulate_call(url, persona, console))
    raise typer.Exit(0 if result.completed else 1)


@app.command()
def chat(
    scenario: str = typer.Option(
        "care", help="A built-in scenario (care, reservation, medication_reminder: dialog/scenarios/) or a YAML path."
    ),
    name: str = typer.Option("김영수", help="The person's name."),
    phone: str = typer.Option("+821012345678", help="The caller's number (caller ID, for reservations)."),
    replay: Path | None = typer.Option(None, help="A file of replies, one per line (empty line = silence)."),
) -> None:
    """Talk to a scenario by typing (empty line = silence), or replay a file of replies."""
    from dialog import ScenarioError, load_scenario
    from dialog.chat import run_chat

    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:
        console.print(str(exc), markup=False, style="red")
        raise typer.Exit(2) from exc
    lines = replay.read_text(encoding="utf-8").splitlines() if replay else None
    run_chat(loaded, lines, console.print, person={"name": name, "phone": phone})


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest revision."""
    from agent.store import migrate

    settings = Settings()
    migrate(settings.resolved_database_url)
    console.print(f"Database at {settings.resolved_database_url} is up to date.")


@app.command()
def calls(limit: int = typer.Option(20, help="How many recent calls.")) -> None:
    """List recent call records."""
    from rich.table import Table

    from agent.store import CallStore, migrate

    settings = Settings()
    migrate(settings.resolved_database_url)
    table = Table("call", "started", "phone", "scenario", "outcome", "flags")
    for rec in CallStore(settings.resolved_database_url).list_calls(limit=limit):
        table.add_row(
            rec.id[:8],
            f"{rec.started_at:%Y-%m-%d %H:%M}",
            rec.phone_number or "",
            rec.scenario or "",
            rec.outcome or rec.status,
            ", ".join(f.rule for f in rec.flags),
        )
    console.print(table)


if __name__ == "__main__":
    app()
