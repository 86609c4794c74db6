"""``carecall campaign …``: outbound campaigns, and the scheduler and dialer processes that run them."""

from __future__ import annotations

import asyncio
import signal
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from agent.cli.logs import quiet_logs
from agent.settings import Settings

campaign_app = typer.Typer(help="Outbound campaigns: contacts, calling hours, retries, dialers.", no_args_is_help=True)
console = Console()

PLACER_HELP = ("auto (Twilio when configured, else the phone simulator), twilio, phone (the audio phone simulator "
               "against the agent's server), carrier (fast simulated carrier: real dialog as text, no audio)")


def _service():
    from agent.campaigns.service import CampaignService
    from agent.store import migrate

    settings = Settings()
    migrate(settings.resolved_database_url)
    return settings, CampaignService(settings.resolved_database_url)


def _fail(exc: Exception) -> None:
    console.print(f"[red]{exc}[/]", highlight=False)
    raise typer.Exit(2)


@campaign_app.command()
def create(
    name: str = typer.Argument(..., help="The campaign's name."),
    scenario: str = typer.Option("care_call", help="Dialog scenario (care_call, reservation, or a YAML path)."),
    days: str = typer.Option("mon-fri", help="Calling days: mon-fri, daily, weekend, mon,wed,fri …"),
    hours: str = typer.Option("10:00-18:00", help="Calling hours, local time of --timezone."),
    timezone: str = typer.Option("Asia/Seoul", help="Time zone of the calling hours."),
    start_date: str | None = typer.Option(None, help="First day (YYYY-MM-DD); default: the day it starts."),
    recurrence: str = typer.Option("once", help="once, or daily (a new round every calling day)."),
    retry: list[str] = typer.Option([], help="OUTCOME=RETRIESxMINUTES, e.g. no_answer=2x30 (repeatable). "
                                             "Outcomes: no_answer, busy, failed, voicemail, unknown "
                                             "(unknown: looked up before any re-dial)."),
    max_concurrent: int = typer.Option(5, help="Calls at once for this campaign, all dialers together."),
    handoff_number: str | None = typer.Option(
        None, help="On-call number a caller asking for a person is put through to (default: CARECALL_HANDOFF_NUMBER)."
    ),
    organization: str | None = typer.Option(
        None, help="On whose behalf its calls are made ({organization} in the disclosure; default: the line's, "
                   "CARECALL_ORGANIZATION, else the scenario's)."
    ),
    disclosure: list[str] = typer.Option(
        [], help="Its own disclosure line, said after the greeting in place of the scenario's (repeatable; "
                 "{organization} is filled in)."
    ),
) -> None:
    """Create a campaign (a draft: import contacts, then start it)."""
    from agent.campaigns.retry import DEFAULT_POLICY, parse_retry_option

    _, service = _service()
    try:
        start, _, end = hours.partition("-")
        policy = dict(DEFAULT_POLICY)
        for option in retry:
            outcome, rule = parse_retry_option(option)
            policy[outcome] = rule
        campaign = service.create(
            name, scenario=scenario, calling_hours={"days": days, "start": start, "end": end or "18:00"},
            timezone=timezone, start_date=date.fromisoformat(start_date) if start_date else None,
            recurrence=recurrence, retry_policy=policy, max_concurrent=max_concurrent, handoff_number=handoff_number,
            organization=organization, disclosure=disclosure,
        )
    except ValueError as exc:
        _fail(exc)
    console.print(f"Created campaign [bold]{campaign.name}[/] {campaign.id}")
    _describe(campaign)


@campaign_app.command("import")
def import_(
    campaign: str = typer.Argument(..., help="Campaign id, id prefix or name."),
    csv_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV with name,phone,notes."),
) -> None:
    """Import contacts from CSV; bad rows are listed by line number and skipped."""
    from agent.campaigns.csv_import import read_text

    _, service = _service()
    try:
        report = service.import_csv(campaign, read_text(csv_file))
    except ValueError as exc:
        _fail(exc)
    console.print(f"Imported {report.added} contact(s) from {csv_file}.")
    if report.errors:
        table = Table("line", "skipped because", title=f"{len(report.errors)} row(s) skipped")
        for error in report.errors:
            table.add_row(str(error.line), error.reason)
        console.print(table)
    raise typer.Exit(1 if report.errors else 0)


@campaign_app.command()
def start(
    campaign: str = typer.Argument(..., help="Campaign id, id prefix or name."),
    run: bool = typer.Option(False, "--run", help="Also run scheduler and dialer here until it finishes."),
    simulate: bool = typer.Option(False, "--simulate", help="--run with the audio phone simulator (needs `carecall serve`)."),
    fast: bool = typer.Option(False, "--fast", help="--run with the fast simulated carrier (no audio, no server)."),
    placer: str = typer.Option("auto", help=PLACER_HELP),
    url: str | None = typer.Option(None, help="Agent server for the phone simulator (default: CARECALL_HOST/PORT)."),
) -> None:
    """Start a draft campaign. Dialers run it (``campaign dialer``), or this command with --run."""
    settings, service = _service()
    try:
        started = service.start(campaign)
    except ValueError as exc:
        _fail(exc)
    console.print(f"Campaign [bold]{started.name}[/] is running.")
    if simulate or fast:
        run, placer = True, "phone" if simulate else "carrier"
    if run:
        _run_here(settings, service, started.id, placer, url)


@campaign_app.command()
def pause(campaign: str = typer.Argument(...)) -> None:
    """Stop placing new calls (calls in progress finish)."""
    _, service = _service()
    try:
        console.print(f"Campaign [bold]{service.pause(campaign).name}[/] paused.")
    except ValueError as exc:
        _fail(exc)


@campaign_app.command()
def resume(
    campaign: str = typer.Argument(...),
    run: bool = typer.Option(False, "--run", help="Also run scheduler and dialer here until it finishes."),
    placer: str = typer.Option("auto", help=PLACER_HELP),
    url: str | None = typer.Option(None),
) -> None:
    """Resume a paused campaign."""
    settings, service = _service()
    try:
        resumed = service.resume(campaign)
    except ValueError as exc:
        _fail(exc)
    console.print(f"Campaign [bold]{resumed.name}[/] is running again.")
    if settings.redis_url:
        asyncio.run(_wake(settings))
    if run:
        _run_here(settings, service, resumed.id, placer, url)


@campaign_app.command()
def status(
    campaign: str = typer.Argument(...),
    watch: bool = typer.Option(False, "--watch", "-w", help="Keep a live progress bar until it finishes."),
) -> None:
    """Progress of the current round: contacts done, and the latest attempt of each contact by status."""
    _, service = _service()
    try:
        current = service.status(campaign)
    except ValueError as exc:
        _fail(exc)
    _describe(current.campaign)
    if watch:
        asyncio.run(_watch(service, current.campaign.id, None))
        current = service.status(current.campaign.id)
    _print_status(current)


@campaign_app.command("list")
def list_() -> None:
    """All campaigns."""
    _, service = _service()
    table = Table("id", "name", "status", "scenario", "recurrence", "contacts done")
    for c in service.list():
        s = service.status(c.id)
        table.add_row(c.id[:8], c.name, c.status, c.scenario, c.recurrence, f"{s.done}/{s.contacts}")
    console.print(table)


@campaign_app.command()
def scheduler(idle_s: float = typer.Option(30.0, help="Longest sleep between passes.")) -> None:
    """The scheduler process (one is enough; a second one waits on the lock). Needs CARECALL_REDIS_URL."""
    from agent.campaigns.runtime import backend, run_scheduler

    settings, service = _service()
    if not settings.redis_url:
        _fail(ValueError("the scheduler process needs CARECALL_REDIS_URL (without Redis use `campaign start --run`)"))

    async def main() -> None:
        back = backend(settings)
        stop = _stop_on_signals()
        console.print(f"Scheduler on {settings.redis_url} (prefix {settings.campaign_prefix}).")
        try:
            await run_scheduler(settings, service, back, stop, idle_s=idle_s)
        finally:
            await back.close()

    asyncio.run(main())


@campaign_app.command()
def dialer(
    placer: str = typer.Option("auto", help=PLACER_HELP),
    name: str | None = typer.Option(None, help="Unique dialer name (default: node-pid)."),
    url: str | None = typer.Option(None, help="Agent server for the phone simulator."),
    seed: int = typer.Option(0, help="Simulated network: seed of who answers."),
    ring_s: float = typer.Option(0.05, help="Simulated carrier: seconds of ringing."),
    turn_s: float = typer.Option(0.01, help="Simulated carrier: seconds per dialog turn."),
) -> None:
    """A dialer process: run as many as you like, on any machines sharing CARECALL_REDIS_URL."""
    from agent.campaigns.runtime import backend, dialer_config, make_placer, run_dialer
    from agent.store import CallStore

    settings, service = _service()
    if not settings.redis_url:
        _fail(ValueError("dialer processes need CARECALL_REDIS_URL (without Redis use `campaign start --run`)"))

    async def main() -> None:
        back = backend(settings)
        chosen = make_placer(placer, settings, CallStore(settings.resolved_database_url), back, seed=seed,
                             ring_s=ring_s, turn_s=turn_s, base_url=url)
        config = dialer_config(settings, name)
        stop = _stop_on_signals()
        console.print(f"Dialer {config.name} ({chosen.name}) on node {config.node}, up to {config.node_cap} calls.")
        try:
            done = await run_dialer(service, back, chosen, config, stop)
            console.print(f"Dialer {config.name} stopped: {done.placed} placed, {done.recovered} recovered.")
        finally:
            await back.close()

    asyncio.run(main())


def _run_here(settings: Settings, service, campaign_id: str, placer: str, url: str | None) -> None:
    from agent.campaigns.runtime import backend, make_placer, run_embedded
    from agent.store import CallStore

    quiet_logs(False)  # the progress bar says it; warnings still show

    async def main() -> None:
        back = backend(settings)
        chosen = make_placer(placer, settings, CallStore(settings.resolved_database_url), back, base_url=url)
        stop = _stop_on_signals()
        runner = asyncio.create_task(run_embedded(settings, service, back, chosen, stop, idle_s=1.0))
        try:
            await _watch(service, campaign_id, stop)
        finally:
            stop.set()
            await runner
            await back.close()

    asyncio.run(main())
    _print_status(service.status(campaign_id))


async def _watch(service, campaign_id: str, stop: asyncio.Event | None) -> None:
    """A progress bar of contacts done until the campaign finishes, pauses, or Ctrl-C."""
    stop = stop or _stop_on_signals()
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[detail]}"), TimeElapsedColumn()]
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("calls", total=None, detail="")
        while not stop.is_set():
            s = await asyncio.to_thread(service.status, campaign_id)
            detail = " ".join(f"{k}:{v}" for k, v in sorted(s.by_status.items()))
            bar.update(task, total=s.contacts, completed=s.done, description=s.campaign.name, detail=detail)
            if s.campaign.status in ("finished", "paused", "draft"):
                break
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except TimeoutError:
                pass


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _wake(settings: Settings) -> None:
    from agent.campaigns.runtime import backend

    back = backend(settings)
    try:
        await back.queue.wake()
    finally:
        await back.close()


def _describe(campaign) -> None:
    h = campaign.calling_hours
    policy = ", ".join(f"{k} {v['max_retries']}×{v['delay_minutes']:g}min" for k, v in campaign.retry_policy.items())
    console.print(
        f"  {campaign.name} ({campaign.status}) scenario {campaign.scenario}, {campaign.recurrence} from "
        f"{campaign.start_date or 'start'}; {','.join(h['days'])} {h['start']}–{h['end']} {campaign.timezone}; "
        f"up to {campaign.max_concurrent} at once; retries: {policy}"
        + (f"; a person: {campaign.handoff_number}" if campaign.handoff_number else "")
        + (f"; on behalf of {campaign.organization}" if campaign.organization else "")
        + (f"; disclosure: {' / '.join(campaign.disclosure)}" if campaign.disclosure else ""), highlight=False,
    )


def _print_status(s) -> None:
    table = Table("status (latest attempt)", "contacts", title=f"{s.campaign.name}: {s.done}/{s.contacts} done"
                  + (f", round {s.round_date}" if s.round_date else ""))
    for key, value in sorted(s.by_status.items()):
        table.add_row(key, str(value))
    table.add_row("attempts this round", str(s.attempts))
    console.print(table)
