"""`carecall chat --scenario <name>` runs any built-in scenario, the medication reminder included."""

from __future__ import annotations

from typer.testing import CliRunner

from agent.cli.main import app


def test_chat_replays_the_medication_reminder(tmp_path):
    replies = tmp_path / "replies.txt"
    replies.write_text("네 맞아요\n아직이요\n밥 먹고 먹을게\n괜찮아요\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["chat", "--scenario", "medication_reminder", "--replay", str(replies)])
    assert result.exit_code == 0, result.output
    assert "결과: completed" in result.output and "take_when: after_meal" in result.output
    assert "flag missed_medication (medium)" in result.output


def test_chat_names_the_built_ins_for_an_unknown_scenario():
    result = CliRunner().invoke(app, ["chat", "--scenario", "no_such_call"])
    assert result.exit_code == 2 and "medication_reminder" in result.output
