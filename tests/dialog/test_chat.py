"""The text chat used by `carecall chat` (typed or replayed replies; empty line = silence)."""

from dialog_testkit import MORNING

from dialog.chat import run_chat


def test_replay_a_whole_call(scenario):
    out: list[str] = []
    lines = ["네 맞아요", "네 아침 잘 먹었어요", "잘 잤어요", "열이 나요", "조금요", "네", "좋아요", "없어요"]
    session = run_chat(scenario, lines, out.append, person={"name": "김영수"}, now=MORNING, seed=1)
    assert session.outcome == "completed"
    assert out[0].startswith("상담원 (identity): ") and "김영수 님" in out[0]
    assert "어르신: 네 맞아요" in out
    assert "결과: completed" in out and any("flag fever (medium)" in line for line in out)
    assert not any("[" in line for line in out)  # rich would read brackets as markup


def test_empty_line_is_silence(scenario):
    out: list[str] = []
    session = run_chat(scenario, ["", "", ""], out.append, now=MORNING, seed=1)
    assert session.outcome == "no_response"
    assert out.count("어르신: (침묵)") == 3


def test_replay_running_out_stops_cleanly(scenario):
    out: list[str] = []
    session = run_chat(scenario, ["네"], out.append, now=MORNING, seed=1)
    assert not session.finished and "결과: unfinished" in out
    assert any("답변이 더 없습니다" in line for line in out)


def test_typed_mode_reads_stdin(scenario, monkeypatch):
    typed = iter(["잘못 거셨어요"])

    def fake_input(prompt=""):
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("builtins.input", fake_input)
    out: list[str] = []
    session = run_chat(scenario, None, out.append, now=MORNING, seed=1)
    assert session.outcome == "wrong_person"
    assert any(line.startswith("  flag wrong_person (low), turn 0") for line in out)
