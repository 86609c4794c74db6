"""``carecall campaign`` end to end on SQLite in one process (the embedded mode, no Redis)."""

from __future__ import annotations

from typer.testing import CliRunner

from agent.cli.main import app


def said(result) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_create_import_start_fast_status(tmp_path, monkeypatch):
    monkeypatch.setenv("CARECALL_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("CARECALL_DATABASE_URL", raising=False)
    monkeypatch.delenv("CARECALL_REDIS_URL", raising=False)
    csv = tmp_path / "contacts.csv"
    csv.write_text('name,phone,notes\n김영수,010-1234-0001,sim=answer\n이순자,010-12,\n최영희,+821012340004,"sim=busy,answer"\n',
                   encoding="utf-8")
    cli = CliRunner()

    made = cli.invoke(app, ["campaign", "create", "안부", "--days", "daily", "--hours", "00:00-24:00",
                            "--retry", "busy=1x0.001", "--max-concurrent", "2"])
    assert made.exit_code == 0, made.output
    assert "busy 1×0.001min" in said(made)

    imported = cli.invoke(app, ["campaign", "import", "안부", str(csv)])
    assert imported.exit_code == 1  # some rows were skipped: said, and in the exit status
    assert "Imported 2 contact(s)" in said(imported) and "010-12" in said(imported) and "│ 3 │" in said(imported)

    bad = cli.invoke(app, ["campaign", "create", "x", "--hours", "18:00-10:00"])
    assert bad.exit_code == 2 and "not after" in said(bad)

    ran = cli.invoke(app, ["campaign", "start", "안부", "--fast"])
    assert ran.exit_code == 0, ran.output
    assert "2/2 done" in said(ran) and "completed" in said(ran)

    status = cli.invoke(app, ["campaign", "status", "안부"])
    assert "(finished)" in said(status) and "attempts this round" in said(status)
    again = cli.invoke(app, ["campaign", "start", "안부"])
    assert again.exit_code == 2 and "only a draft" in said(again)
