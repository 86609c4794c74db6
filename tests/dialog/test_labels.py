"""Korean names of what a call records, declared in the scenario beside its rules, looked up per call."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from dialog import ScenarioError, labels_for, load_scenario, parse_scenario
from dialog.expectations import ANSWER_TYPES, GIVEN
from dialog.labels import DEFAULT
from dialog.scenario import answer_values

HANGUL = re.compile(r"[가-힣]")
BUILT_IN = ["care_call", "medication_reminder", "reservation"]
AGENT_OUTCOMES = ["caller_hung_up", "dropped", "error", "max_duration", "interrupted", "server_stopped", "input_refused"]


@pytest.mark.parametrize("name", BUILT_IN)
def test_everything_a_built_in_call_records_has_a_korean_name(name):
    scenario = load_scenario(name)
    names = scenario.names
    for rule in scenario.flags:
        assert HANGUL.search(names.flag(rule)), rule
        assert scenario.flags[rule].label, f"{rule}: declared beside the rule in the file"
    for sid, state in scenario.states.items():
        if not state.slot:
            continue
        assert HANGUL.search(names.answer(state.slot)), state.slot
        for value in answer_values(state) - {GIVEN, ANSWER_TYPES[state.expect].words_value}:
            assert HANGUL.search(names.value(state.slot, value)), (sid, value)
    for ending in scenario.endings.values():
        assert HANGUL.search(names.outcome(ending.outcome)), ending.outcome
    for outcome in AGENT_OUTCOMES:
        assert HANGUL.search(names.outcome(outcome)), outcome


def test_one_lookup_for_every_kind():
    care = load_scenario("care_call")
    assert care.label_for("flag", "fall") == "낙상"
    assert care.label_for("answer", "meal") == "식사"
    assert care.label_for("value", "meal", "skipped") == "거르심"
    assert care.label_for("value", "health", "unwell") == "불편하심"
    assert care.label_for("outcome", "completed") == "완료"
    assert care.label_for("outcome", "opted_out") == "수신 거부"
    assert care.label_for("outcome", None) == "-"  # a call still going
    with pytest.raises(ValueError):
        care.label_for("colour", "x")


def test_values_are_written_as_words():
    names = load_scenario("care_call").names
    assert names.value("symptoms", ["fever", "cough"]) == "열, 기침"
    assert names.value("body_parts", {"pain": "무릎"}) == "통증: 무릎"
    assert names.value("meal", "unknown") == "확인 못 함"
    assert names.value("note", "딸이 다음 주에 와요") == "딸이 다음 주에 와요"  # free words as said
    assert names.value("meal", None) == ""
    assert names.flag("a_rule_nobody_named") == "a_rule_nobody_named"  # never hidden


def test_labels_for_a_call_record(tmp_path):
    assert labels_for("care_call").flag("fall") == "낙상"
    assert labels_for("care").answer("meal") == "식사"  # an alias, as the CLI takes it
    assert labels_for("medication_reminder").value("take_when", "ran_out") == "약이 떨어짐"
    assert labels_for(None) is DEFAULT and labels_for("") is DEFAULT
    assert labels_for(tmp_path / "gone.yaml") is DEFAULT  # a scenario file since removed: the defaults
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [", encoding="utf-8")
    assert labels_for(str(broken)) is DEFAULT
    assert DEFAULT.value("meal", "skipped") == "거르심" and DEFAULT.outcome("caller_hung_up") == "중간에 끊음"


def test_an_operators_scenario_names_its_own_and_a_changed_file_is_read_again(tmp_path):
    from test_authoring import WINTER_CHECK

    path = tmp_path / "winter_check.yaml"
    path.write_text(WINTER_CHECK, encoding="utf-8")
    names = labels_for(str(path))
    assert names.flag("cold_home") == "난방 문제" and names.flag("fall") == "낙상"  # its own, then the shared
    assert (names.answer("heating"), names.value("heating", "cold")) == ("난방", "추움")
    assert names.value("walked_today", "no") == "아니요"
    assert names.outcome("completed") == "안부 확인 완료" and names.outcome("no_response") == "응답 없음"
    path.write_text(WINTER_CHECK.replace('"난방 문제"', '"집이 추움"'), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert labels_for(str(path)).flag("cold_home") == "집이 추움"


def test_a_shared_rule_may_be_renamed_and_an_own_one_must_be_named():
    from test_authoring import WINTER_CHECK

    renamed = parse_scenario(WINTER_CHECK.replace('emergency: {severity: critical, message: "응급"}',
                                                  'emergency: {severity: critical, label: "위급", message: "응급"}'))  # fmt: skip
    assert renamed.label_for("flag", "emergency") == "위급"
    with pytest.raises(ScenarioError, match="needs a Korean `label:`"):
        parse_scenario(WINTER_CHECK.replace('label: "난방 문제", ', ""))


def test_an_opt_out_must_end_with_the_opted_out_outcome():
    care = Path(load_scenario("care_call").source).read_text(encoding="utf-8")
    with pytest.raises(ScenarioError, match="opt_out.ending: the ending's outcome must be 'opted_out'"):
        parse_scenario(care.replace("    outcome: opted_out\n", "    outcome: completed\n", 1), source="care.yaml")
    with pytest.raises(ScenarioError, match="opt_out.ending: unknown ending 'bye'"):
        parse_scenario(care.replace("  ending: opted_out\n", "  ending: bye\n", 1), source="care.yaml")
    with pytest.raises(ScenarioError, match=r"disclosure.lines.0: \{organization\} needs a default"):
        parse_scenario(care.replace('  organization: "돌봄센터"\n', "", 1), source="care.yaml")
