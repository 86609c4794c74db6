"""An operator writes a new campaign's questions in YAML alone and runs it in the text simulator."""

from pathlib import Path

import pytest

from dialog import ScenarioError, parse_scenario
from dialog.chat import run_chat

# An operator's own scenario, written without Python (the dashboard's tests show its names too).
WINTER_CHECK_FILE = Path(__file__).parent / "winter_check.yaml"
WINTER_CHECK = WINTER_CHECK_FILE.read_text(encoding="utf-8")


def test_new_questions_without_python():
    scenario = parse_scenario(WINTER_CHECK, source="winter_check.yaml")
    said = []
    session = run_chat(scenario, ["보일러가 고장 나서 너무 추워요", "아니요 못 나갔어요"], said.append, seed=0)
    assert session.outcome == "completed"
    assert session.answers == {"heating": "cold", "walked_today": "no"}
    (flag,) = session.flags
    assert (flag.rule, flag.severity) == ("cold_home", "high") and "고장" in flag.evidence
    assert any("추우시겠어요" in line for line in said)


def test_negated_choice_words_do_not_count():
    scenario = parse_scenario(WINTER_CHECK, source="winter_check.yaml")
    session = run_chat(scenario, ["하나도 안 추워요 따뜻해요", "네"], lambda _: None, seed=0)
    assert session.answers["heating"] == "warm" and not session.flags


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    flags: {cold: cold_home}\n", "    flags: {freezing: cold_home}\n", "'freezing' is not an answer"),
        ("    expect: choice\n    slot: heating\n", "    expect: meal\n    slot: heating\n", "unknown answer key 'heating'"),
        ("    slot: walked_today\n", "    slot: Walked-Today\n", "must be lowercase"),
        # Everything the scenario records has a Korean name for the pages: its own rules, keys and values.
        ('label: "난방 문제", ', "", "line 11: flags.cold_home: flag rule 'cold_home' needs a Korean `label:`"),
        ('    walked_today: {label: "오늘 산책"}\n', "", "answer key 'walked_today' needs a Korean name"),
        ('warm: "따뜻함", ', "", "the value 'warm' of 'heating' needs a Korean name: labels.answers.heating.values.warm"),
        ('completed: "안부 확인 완료"', 'complete: "완료"', "labels.outcomes.complete: unknown outcome 'complete'"),
        ("    expect: yes_no\n    slot: walked_today\n", "    expect: yes_no\n    choices: {a: [b]}\n    slot: walked_today\n",
         "`choices` go with `expect: choice`"),
    ],
)  # fmt: skip
def test_authoring_mistakes_are_named(old, new, expected):
    assert old in WINTER_CHECK
    with pytest.raises(ScenarioError) as err:
        parse_scenario(WINTER_CHECK.replace(old, new, 1), source="winter_check.yaml")
    assert "winter_check.yaml: line " in str(err.value) and expected in str(err.value)
