"""``carecall retention run``: delete the recordings and transcripts older than their retention period."""

from __future__ import annotations

import typer
from rich.console import Console

from agent.settings import Settings

retention_app = typer.Typer(help="Retention of recordings and transcripts.", no_args_is_help=True)
console = Console()


@retention_app.command()
def run(
    recording_days: int | None = typer.Option(
        None, min=0, help="Override CARECALL_RECORDING_RETENTION_DAYS (0: keep recordings for ever)."
    ),
    transcript_days: int | None = typer.Option(
        None, min=0, help="Override CARECALL_TRANSCRIPT_RETENTION_DAYS (0: keep transcripts for ever)."
    ),
) -> None:
    """Delete recordings and transcripts past their period once (calls with unhandled flags keep theirs);
    each deletion is audited. `carecall serve` does the same every CARECALL_RETENTION_INTERVAL_S."""
    from agent.recordings import recording_shelf
    from agent.retention import RetentionPolicy, apply_retention
    from agent.store import make_engine, migrate, utcnow
    from agent.store.retention import RetentionStore

    settings = Settings()
    policy = RetentionPolicy.from_settings(settings)
    policy = RetentionPolicy(
        policy.recording_days if recording_days is None else recording_days or None,
        policy.transcript_days if transcript_days is None else transcript_days or None,
    )
    if not policy.active:
        console.print("No retention period is set: everything is kept (CARECALL_RECORDING_RETENTION_DAYS, "
                      "CARECALL_TRANSCRIPT_RETENTION_DAYS).", highlight=False)  # fmt: skip
        return
    migrate(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    try:
        result = apply_retention(RetentionStore(engine), policy, utcnow(),
                                 recording_shelf(settings).delete)  # fmt: skip
    finally:
        engine.dispose()
    console.print(f"Deleted {len(result.recordings)} recording(s) and {len(result.transcripts)} transcript(s).",
                  highlight=False)  # fmt: skip
    if result.failed:
        console.print(f"[yellow]{len(result.failed)} recording(s) could not be deleted and are kept: "
                      f"{', '.join(result.failed[:20])}[/]", highlight=False)  # fmt: skip
        raise typer.Exit(1)
