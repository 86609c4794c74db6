"""Scenario loading and validation: broken files must say which file, which field and which line."""

import subprocess
import sys
from pathlib import Path

import pytest

from dialog import ScenarioError, load_scenario
from dialog.scenario import SCENARIO_DIR
from dialog.vocabulary import FLAG_RULES, STATE_ID

GOOD = (SCENARIO_DIR / "care_call.yaml").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_by_name_and_by_path():
    by_name = load_scenario("care_call")
    by_path = load_scenario(SCENARIO_DIR / "care_call.yaml")
    assert by_name.states.keys() == by_path.states.keys()
    assert by_name.start == "identity"


def test_builtin_uses_only_the_shared_vocabulary():
    sc = load_scenario("care_call")
    assert all(STATE_ID.match(s) for s in sc.states)
    assert set(sc.flags) == FLAG_RULES  # every rule has a severity and a message
    assert {sc.flags[r].severity for r in ("self_harm_risk", "emergency")} == {"critical"}
    assert sc.flags["fever"].severity == "medium" and sc.flags["breathing_trouble"].severity == "high"
    assert all(len(st.prompts) >= 1 and st.hint for sid, st in sc.states.items() if sid != "closing")
    assert all(len(sc.states[s].prompts) >= 2 for s in ("identity", "meal", "sleep", "health", "medication", "mood"))


def test_yes_no_keys_stay_strings():
    assert load_scenario("care_call").states["health.now"].branches == {"yes": "end:emergency"}


def test_unknown_builtin_name_lists_the_known_ones():
    with pytest.raises(ScenarioError, match="care_call"):
        load_scenario("no_such_scenario")


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="missing.yaml"):
        load_scenario(tmp_path / "missing.yaml")


def test_invalid_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, "name: x\nstates:\n  meal: [unclosed\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert "broken.yaml" in str(err.value) and "invalid YAML" in str(err.value) and "line" in str(err.value)


def test_not_a_mapping(tmp_path):
    with pytest.raises(ScenarioError, match="broken.yaml.*mapping"):
        load_scenario(write(tmp_path, "- just\n- a list\n"))


def test_missing_field_names_file_field_and_line(tmp_path):
    text = GOOD.replace('      - "어젯밤에는 잘 주무셨어요?"\n      - "잠은 푹 주무셨어요?"\n', "", 1).replace(
        "    prompts:\n    hint: \"네 아니요 잘 잤어요", "    hint: \"네 아니요 잘 잤어요", 1
    )
    assert text != GOOD
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, text))
    msg = str(err.value)
    assert "broken.yaml" in msg and "states.sleep.prompts" in msg and "required" in msg.lower()
    line = int(msg.split("line ")[1].split(":")[0])
    assert text.splitlines()[line - 1].strip() == "sleep:"


def test_wrong_type_names_field_and_its_line(tmp_path):
    text = GOOD.replace("max_consecutive: 3", "max_consecutive: three", 1)
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, text))
    msg = str(err.value)
    assert "silence.max_consecutive" in msg and "integer" in msg
    line = int(msg.split("line ")[1].split(":")[0])
    assert "three" in text.splitlines()[line - 1]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    next: sleep\n", "    next: sleeep\n", "states.meal.next: unknown state or ending 'sleeep'"),
        ("      skipped: not_eating\n", "      skipped: starving\n", "flag 'starving' is not defined"),
        ("  poor_sleep: {severity: low", "  bad_sleep: {severity: low", "flag 'poor_sleep' is not defined"),
        ("  poor_sleep: {severity: low", "  Poor-Sleep: {severity: low", "flag rule 'Poor-Sleep' must be lowercase"),
        ("  poor_sleep: {severity: low", "  poor_sleep: {severity: mild", "flags.poor_sleep.severity"),
        ("      eaten:\n", "      devoured:\n", "'devoured' is not an answer of type 'meal'"),
        ("  mood:\n    expect: mood", "  Mood-2:\n    expect: mood", "'Mood-2' is not a valid state id"),
        ("    slot: meal\n", "    slot: food\n", "unknown answer key 'food'"),
        ("    outcome: no_response\n", "    outcome: gave_up\n", "unknown outcome 'gave_up'"),
        ("start: identity", "start: hello", "start: unknown state 'hello'"),
        ("    prompts:\n      - \"{meal} 식사는", "    promts:\n      - \"{meal} 식사는", "states.meal.promts"),
    ],
)
def test_reference_and_vocabulary_errors(tmp_path, old, new, expected):
    assert old in GOOD
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, GOOD.replace(old, new, 1)))
    assert "broken.yaml: line " in str(err.value) and expected in str(err.value)


def test_required_ending_missing(tmp_path):
    text = GOOD.replace("  no_response:\n    outcome", "  no_reply:\n    outcome", 1)
    with pytest.raises(ScenarioError, match="missing ending 'no_response'"):
        load_scenario(write(tmp_path, text))


def test_scenario_is_immutable():
    sc = load_scenario("care_call")
    with pytest.raises(Exception):
        sc.start = "meal"


def test_dialog_imports_no_heavy_or_web_code():
    code = (
        "import sys, dialog, dialog.chat; "
        "bad = [m for m in ('numpy', 'torch', 'fastapi', 'sqlalchemy', 'pipecat', 'starlette', 'httpx') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("old", "new", "expected", "on_line"),
    [
        ("listen_for: [meal, sleep, medication, mood]", "listen_for: [meal, nap]",
         "listen_for.1: unknown state 'nap'", "listen_for:"),
        ("listen_for: [meal, sleep, medication, mood]", "listen_for: [meal, health]",
         "listen_for.1: answers of type 'health' cannot be taken in passing", "listen_for:"),
        ("listen_for: [meal, sleep, medication, mood]", "listen_for: [identity]",
         "listen_for.0: state 'identity' fills no answer key", "listen_for:"),
        ("symptoms_answer: {slot: health, value: unwell}", "symptoms_answer: {slot: wellbeing, value: unwell}",
         "symptoms_answer.slot: no state fills the answer key 'wellbeing'", "symptoms_answer:"),
        ("symptoms_answer: {slot: health, value: unwell}", "symptoms_answer: {slot: health, value: sick}",
         "symptoms_answer.value: 'sick' is not an answer to 'health'", "symptoms_answer:"),
        ("symptoms_answer: {slot: health, value: unwell}\n", "",
         "unspecified_follow_up: it follows up the `symptoms_answer` value", "unspecified_follow_up:"),
        ("mood_trend: mood", "mood_trend: meal",
         "mood_trend: no state fills the answer key 'meal' with a mood", "mood_trend:"),
        ("  meal: {4: 아침, 10: 점심, 16: 저녁}", "  meal: {4: 아침, 25: 점심}",
         "time_of_day.meal.25: hour 25 is not 0-23", "meal: {4: 아침, 25: 점심}"),
        ("    severe_flag: severe_pain\n    acks:\n      - \"아이고, 넘어지셨군요",
         "    severe_flag: very_bad\n    acks:\n      - \"아이고, 넘어지셨군요",
         "symptoms.fall.severe_flag: flag 'very_bad' is not defined", "severe_flag: very_bad"),
        ("  meal:\n    expect: meal", "  meal:\n    expect: food",
         "states.meal.expect: unknown answer type 'food'", "expect: food"),
        ("  sleep:\n    expect: sleep", "  sleep:\n    expect: date",
         "states.sleep.expect: answers of type 'date' are booking details: the scenario needs a venue", "expect: date"),
        ("  closing:\n    expect: none", "  closing:\n    listen_for: [nap]\n    expect: none",
         "states.closing.listen_for.0: unknown state 'nap'", "listen_for: [nap]"),
    ],
)  # fmt: skip
def test_declared_call_knowledge_is_checked(tmp_path, old, new, expected, on_line):
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, text))
    msg = str(err.value)
    assert "broken.yaml: line " in msg and expected in msg, msg
    line = int(msg.split("line ")[1].split(":")[0])
    assert on_line in text.splitlines()[line - 1]


def test_every_builtin_loads_and_is_listed():
    with pytest.raises(ScenarioError) as err:
        load_scenario("no_such_scenario")
    for name in ("care_call", "reservation", "medication_reminder"):
        assert name in str(err.value)
        assert load_scenario(name).name == name
