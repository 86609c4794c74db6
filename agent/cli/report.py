"""``carecall report …``: the dashboard's weekly reports as PDF files (or the printable HTML page)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console

from agent.settings import Settings

report_app = typer.Typer(help="Weekly reports per campaign or care worker.", no_args_is_help=True)
console = Console()


@report_app.command()
def weekly(
    campaign: str | None = typer.Option(None, help="Campaign id, id prefix or name."),
    worker: str | None = typer.Option(None, help="A care worker's dashboard username (the people assigned to them)."),
    week: str | None = typer.Option(None, help="Any day of the week (YYYY-MM-DD, Asia/Seoul); default: last week."),
    out: Path = typer.Option(..., help="Where to write it: .pdf (printed by Chromium) or .html (the printable page)."),
) -> None:
    """Write one week's report: calls placed and reached, flags by severity, time to handle them, people
    not reached, with charts."""
    from agent.campaigns.service import CampaignError, CampaignService
    from agent.dashboard import filters
    from agent.dashboard.reports import (ReportError, Week, campaign_report, chromium, render_page, render_pdf,
                                         report_context, worker_report)
    from agent.store import make_engine, migrate, utcnow
    from agent.store.reports import ReportQueries
    from jinja2 import Environment, FileSystemLoader

    if (campaign is None) == (worker is None):
        _fail("give --campaign or --worker (one of them)")
    if out.suffix.lower() not in (".pdf", ".html"):
        _fail(f"{out}: the report is written as .pdf or .html")
    settings = Settings()
    migrate(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    queries, now = ReportQueries(engine), utcnow()
    try:
        chosen = Week.parse(week, now)
        if campaign is not None:
            found = CampaignService(engine=engine).get(campaign)
            report = campaign_report(queries, found.id, found.name, chosen, now)
        else:
            if worker not in queries.care_workers():
                _fail(f"no one in the people registry is assigned to '{worker}'")
            report = worker_report(queries, worker, chosen, now)
        env = Environment(loader=FileSystemLoader(Path(filters.__file__).parent / "templates"), autoescape=True)
        filters.install(env)
        html = render_page(env, report, **report_context(report, ""))
        data = asyncio.run(render_pdf(html, chromium(settings.report_chromium))) if out.suffix.lower() == ".pdf" \
            else html.encode("utf-8")
    except (CampaignError, ReportError) as exc:
        _fail(str(exc))
    finally:
        engine.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    console.print(f"{report.title}, {report.week.label}: {report.placed} placed, {report.reached} reached, "
                  f"{len(report.flags)} flag(s), {len(report.unreached)} not reached → {out}", highlight=False, soft_wrap=True)


def _fail(message: str) -> None:
    console.print(f"[red]{message}[/]", highlight=False)
    raise typer.Exit(2)
