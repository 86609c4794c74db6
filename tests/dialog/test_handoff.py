"""Handing the caller to a person: asked for in words or with key 0 in any state, on a critical flag, and the
call-back promised (with its critical flag) where no on-call number is set. Keys 1 / 2 answer yes/no questions."""

import pytest
from dialog_testkit import MORNING, talk

from dialog import DialogSession, ScenarioError, load_scenario, parse_scenario
from dialog.session import Transfer

ON_CALL = "+821012345678"
ASKS = ["사람이랑 통화하고 싶어요", "상담원 바꿔 주세요", "직원 연결해 주세요", "담당 선생님이랑 얘기하고 싶어요"]


@pytest.fixture(scope="module")
def care():
    return load_scenario("care_call")


def call(scenario, **options):
    return DialogSession(scenario, {"name": "김영수"}, now=MORNING, seed=0, **options)


def rules(session):
    return {f.rule for f in session.flags}


@pytest.mark.parametrize("words", ASKS)
@pytest.mark.parametrize("before", [[], ["네 맞아요"], ["네 맞아요", "네 먹었어요", "잘 잤어요"]])
def test_asking_for_a_person_in_any_state_transfers_after_the_told_first_line(care, words, before):
    s = call(care, on_call_number=ON_CALL)
    *_, reply = talk(s, [*before, words])
    assert reply.end and reply.state == "closing"
    assert reply.text == "담당 선생님께 바로 연결해 드릴게요. 잠시만 기다려 주세요."
    assert reply.transfer == Transfer(ON_CALL, "연결 중입니다. 잠시만 기다려 주세요.")
    assert s.finished and s.outcome == "transferred" and s.taken_over_by == ON_CALL
    assert "person_callback" not in rules(s)
    assert s.handle("네") == s.handle("네")  # nothing more happens after the handoff
    assert s.handle("네").transfer is None


def test_without_an_on_call_number_a_person_calls_back_and_a_critical_flag_is_raised(care):
    s = call(care)
    *_, reply = talk(s, ["네 맞아요", "상담원 바꿔 주세요"])
    assert reply.end and reply.transfer is None
    assert "담당 선생님이 곧 전화드릴 거예요" in reply.text
    assert s.outcome == "callback_requested" and s.taken_over_by is None
    (flag,) = [f for f in s.flags if f.rule == "person_callback"]
    assert flag.severity == "critical" and flag.evidence == "상담원 바꿔 주세요" and flag.turn == 1
    assert s.needs_human_now


def test_declining_a_person_or_naming_staff_in_passing_is_not_a_request(care):
    s = call(care, on_call_number=ON_CALL)
    *_, reply = talk(s, ["네 맞아요", "상담원 연결은 안 해도 돼요. 밥은 먹었어요"])
    assert not s.finished and reply.state == "sleep" and s.answers["meal"] == "eaten"


def test_a_critical_flag_named_by_the_handoff_transfers_at_once(care):
    s = call(care, on_call_number=ON_CALL)
    *_, reply = talk(s, ["네 맞아요", "요즘은 그냥 죽고 싶어요"])
    assert reply.transfer == Transfer(ON_CALL, "연결 중입니다. 잠시만 기다려 주세요.")
    assert reply.text.startswith("담당 선생님께 바로 연결해 드릴게요")
    assert s.outcome == "transferred" and "self_harm_risk" in rules(s)


def test_a_critical_flag_without_a_number_keeps_the_safety_ending(care):
    s = call(care)
    *_, reply = talk(s, ["네 맞아요", "숨을 못 쉬겠어요 119 불러 주세요"])
    assert "119" in reply.text and reply.transfer is None and reply.end
    assert s.outcome == "emergency" and "emergency" in rules(s) and "person_callback" not in rules(s)
    assert s.needs_human_now  # the emergency flag itself (critical) asks a person to follow up at once


def test_the_transfer_failing_falls_back_to_a_call_back(care):
    s = call(care, on_call_number=ON_CALL)
    talk(s, ["사람 좀 바꿔 줘요"])
    reply = s.handoff_failed("Twilio refused the update: 404")
    assert reply.end and reply.transfer is None and "곧 전화드릴 거예요" in reply.text
    assert s.outcome == "callback_requested" and s.taken_over_by is None
    assert "person_callback" in rules(s)
    with pytest.raises(RuntimeError):
        call(care).handoff_failed("no transfer")


def test_key_0_asks_for_a_person_in_any_state(care):
    s = call(care, on_call_number=ON_CALL)
    talk(s, ["네 맞아요"])
    reply = s.press("0")
    assert reply.transfer.number == ON_CALL and s.outcome == "transferred"
    assert s.press("0") is None  # the call is over


def test_keys_1_and_2_answer_yes_no_questions(care):
    s = call(care, on_call_number=ON_CALL)
    *_, reply = talk(s, ["네 맞아요", "네 먹었어요", "잘 잤어요", "숨이 좀 차요"])
    assert reply.state == "health.now"
    assert s.press("5") is None and s.state == "health.now"  # a key that means nothing here
    reply = s.press("2")  # no: not now
    assert "지금은 괜찮으시다니 다행이에요" in reply.text and reply.state == "medication"
    assert s.press("1") is None  # the medication question is not a yes/no one: keys are ignored

    s = call(care)  # yes: still short of breath → the emergency ending
    talk(s, ["네 맞아요", "네 먹었어요", "잘 잤어요", "숨이 좀 차요"])
    reply = s.press("1")
    assert reply.end and s.outcome == "emergency" and "emergency" in rules(s)


def test_keys_answer_an_operator_scenarios_own_yes_no_question():
    from test_authoring import WINTER_CHECK

    s = DialogSession(parse_scenario(WINTER_CHECK, source="winter_check.yaml"), seed=0)
    talk(s, ["너무 따뜻해요"])
    assert s.state == "walked"
    assert s.press("0") is None  # no `handoff` in this scenario: key 0 means nothing
    reply = s.press("1")
    assert reply.end and s.answers["walked_today"] == "yes"


def test_reservation_line_puts_the_caller_through_to_staff():
    s = DialogSession(load_scenario("reservation"), {"phone": "+821055501234"}, now=MORNING, seed=0,
                      on_call_number="+8225550100")  # fmt: skip
    *_, reply = talk(s, ["직원 연결해 주세요"])
    assert reply.text.startswith("직원에게 바로 연결해 드릴게요") and s.outcome == "transferred"


HANDOFF = """
handoff:
  on_flags: [{on_flag}]
  lines: ["연결해 드릴게요."]
  callback_lines: ["곧 전화드릴게요."]
  callback_flag: {callback_flag}
"""


@pytest.mark.parametrize(
    ("on_flag", "callback_flag", "problem"),
    [
        ("fever", "emergency", "handoff.on_flags.0: flag 'fever' is not defined under flags"),
        ("emergency", "person_callback", "handoff.callback_flag: flag 'person_callback' is not defined"),
        ("emergency", "cold_home", "the flag's severity must be critical"),
    ],
)
def test_the_loader_checks_the_handoff_block(on_flag, callback_flag, problem):
    from test_authoring import WINTER_CHECK

    text = WINTER_CHECK + HANDOFF.format(on_flag=on_flag, callback_flag=callback_flag)
    with pytest.raises(ScenarioError, match="handoff") as err:
        parse_scenario(text, source="winter_check.yaml")
    assert problem in str(err.value)
