"""A finished call's live event carries its outcome's Korean name (the call's scenario's own), so the live
page (static/live.js) shows no raw outcome code."""

from __future__ import annotations

from agent.call.events import CallEvent
from agent.dashboard.live import event_payload
from dialog.scenario import SCENARIO_DIR


def test_an_ended_event_names_its_outcome_in_korean():
    payload = event_payload(CallEvent("ended", "c", data={"outcome": "opted_out", "scenario": "care_call"}))
    assert payload["data"]["outcome"] == "opted_out" and payload["data"]["outcome_label"] == "수신 거부"
    unknown = event_payload(CallEvent("ended", "c", data={"outcome": "completed"}))  # no scenario: the defaults
    assert unknown["data"]["outcome_label"] and unknown["data"]["outcome_label"] != "completed"
    assert "outcome_label" not in event_payload(CallEvent("turn", "c", text="네"))["data"]


def test_the_scenarios_own_outcome_name_is_used(tmp_path):
    text = (SCENARIO_DIR / "care_call.yaml").read_text(encoding="utf-8")
    assert text.count("\nlabels:\n") == 1
    path = tmp_path / "own_words.yaml"  # the care call, naming one outcome its own way
    path.write_text(text.replace("\nlabels:\n", '\nlabels:\n  outcomes: {opted_out: "더는 전화 원치 않음"}\n'),
                    encoding="utf-8")
    payload = event_payload(CallEvent("ended", "c", data={"outcome": "opted_out", "scenario": str(path)}))
    assert payload["data"]["outcome_label"] == "더는 전화 원치 않음"


def test_the_live_page_shows_the_label_the_server_sends():
    script = (SCENARIO_DIR.parents[1] / "agent" / "dashboard" / "static" / "live.js").read_text(encoding="utf-8")
    assert "outcome_label" in script
