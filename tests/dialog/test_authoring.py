"""An operator writes a new campaign's questions in YAML alone and runs it in the text simulator."""

import pytest

from dialog import ScenarioError, parse_scenario
from dialog.chat import run_chat

WINTER_CHECK = """
name: winter_check
start: heating
greetings: ["안녕하세요. 겨울철 안부 전화예요."]
silence: {max_consecutive: 2, prompts: ["여보세요?"]}
unclear:
  prompts: ["죄송해요, 다시 여쭤볼게요."]
  empty_prompts: ["잘 안 들렸어요."]
  give_up: ["네, 알겠습니다."]
flags:
  cold_home: {severity: high, message: "집이 춥다고 함 — 난방 확인 필요"}
  emergency: {severity: critical, message: "응급"}
  self_harm_risk: {severity: critical, message: "자해 위험"}
  callback_later: {severity: low, message: "다시 전화"}
  no_answer: {severity: medium, message: "응답 없음"}
endings:
  no_response: {outcome: no_response, flag: no_answer, lines: ["다음에 다시 전화드릴게요."]}
  emergency: {outcome: emergency, flag: emergency, lines: ["바로 119에 연락하세요."]}
  self_harm: {outcome: emergency, flag: self_harm_risk, lines: ["109에 전화하세요."]}
  callback: {outcome: callback_requested, flag: callback_later, lines: ["네, 다시 전화드릴게요."]}
states:
  heating:
    expect: choice
    slot: heating
    choices:
      warm: ["따뜻", "보일러 잘", "괜찮"]
      cold: ["추워", "춥", "보일러가 고장", "난방이 안"]
    prompts: ["요즘 집은 따뜻하세요?", "보일러는 잘 돌아가요?"]
    flags: {cold: cold_home}
    acks: {cold: ["아이고, 추우시겠어요. 담당 선생님께 바로 알릴게요."]}
    next: walked
  walked:
    expect: yes_no
    slot: walked_today
    prompts: ["오늘 산책은 하셨어요?"]
    next: closing
  closing:
    end: true
    prompts: ["통화 고마웠어요. 따뜻하게 지내세요."]
"""


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
        ("    expect: yes_no\n    slot: walked_today\n", "    expect: yes_no\n    choices: {a: [b]}\n    slot: walked_today\n",
         "`choices` go with `expect: choice`"),
    ],
)  # fmt: skip
def test_authoring_mistakes_are_named(old, new, expected):
    assert old in WINTER_CHECK
    with pytest.raises(ScenarioError) as err:
        parse_scenario(WINTER_CHECK.replace(old, new, 1), source="winter_check.yaml")
    assert "winter_check.yaml: line " in str(err.value) and expected in str(err.value)
