"""Inbound lines: a dialled number picks a scenario and a venue; a broken file is refused with its place named."""

import pytest

from agent.call.lines import LinesError, load_lines

GOOD = """
lines:
  - number: "02-555-0100"
    name: 한빛식당 예약
    scenario: reservation
    handoff_number: "02-555-0199"
    organization: 한빛식당
    disclosure: ["한빛식당 자동 응답입니다. 통화는 녹음됩니다."]
    venue: {id: hanbit, name: 한빛식당, hours: {mon: closed, tue: "11:30-21:30"}, seats: 12, max_party: 6}
  - number: "+82 31 555 0200"
    scenario: care_call
"""


def write(tmp_path, text: str):
    path = tmp_path / "lines.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_dialled_number_finds_its_line_in_any_format(tmp_path):
    lines = load_lines(write(tmp_path, GOOD))
    assert len(lines) == 2
    for dialled in ("+8225550100", "02-555-0100", "025550100", "+82 2 555 0100"):
        line = lines.find(dialled)
        assert line is not None and line.scenario == "reservation", dialled
        assert line.venue.id == "hanbit" and line.venue.seats == 12 and line.name == "한빛식당 예약"
    care = lines.find("031-555-0200")
    assert care.scenario == "care_call" and care.venue is None and care.name == "+82315550200"
    assert lines.find("02-555-0100").handoff_number == "+8225550199"  # the line's on-call person
    assert care.handoff_number is None  # the server's default applies
    hanbit = lines.find("02-555-0100")  # who the agent says it calls for, and in which words
    assert (hanbit.organization, hanbit.disclosure) == ("한빛식당", ("한빛식당 자동 응답입니다. 통화는 녹음됩니다.",))
    assert (care.organization, care.disclosure) == (None, ())  # the server's organisation, the scenario's words


def test_unknown_or_unreadable_numbers_have_no_line(tmp_path):
    lines = load_lines(write(tmp_path, GOOD))
    assert lines.find("+8225559999") is None
    assert lines.find("anonymous") is None and lines.find("") is None and lines.find(None) is None
    assert len(load_lines(None)) == 0


@pytest.mark.parametrize(
    "text, names",
    [
        ("lines:\n  - {number: '12345', scenario: reservation}\n", ["lines.0.number", "not a phone number"]),
        ("lines:\n  - {number: '02-555-0100', scenario: no_such_scenario}\n", ["lines.0.scenario", "no_such_scenario"]),
        (
            "lines:\n  - number: '02-555-0100'\n    scenario: reservation\n"
            "    venue: {name: x, hours: {mon: '9-5'}, seats: 4, max_party: 2}\n",
            ["lines.0.venue.hours", "'9-5'"],
        ),
        ("lines:\n  - {number: '02-555-0100', scenario: care_call}\n  - {number: '+8225550100', scenario: care_call}\n",
         ["two lines", "+8225550100"]),  # fmt: skip
        ("lines: [\n", ["invalid YAML"]),
        ("lines:\n  - {number: '02-555-0100', scenario: care_call, colour: red}\n", ["lines.0.colour"]),
        ("lines:\n  - {number: '02-555-0100', scenario: care_call, handoff_number: '119'}\n",
         ["lines.0.handoff_number", "not a phone number"]),  # fmt: skip
    ],
)
def test_a_broken_lines_file_names_the_file_and_the_entry(tmp_path, text, names):
    path = write(tmp_path, text)
    with pytest.raises(LinesError) as error:
        load_lines(path)
    message = str(error.value)
    assert str(path) in message
    for name in names:
        assert name in message, message


def test_a_missing_lines_file_is_a_clear_error(tmp_path):
    with pytest.raises(LinesError, match="cannot read lines file"):
        load_lines(tmp_path / "nope.yaml")


def test_the_server_refuses_to_start_on_a_broken_lines_file(tmp_path):
    from agent.app import create_app
    from agent.settings import Settings
    from agent.store import CallStore, migrate

    settings = Settings(_env_file=None, data_dir=tmp_path, lines_file=write(tmp_path, "lines: 7\n"))
    migrate(settings.resolved_database_url)
    with pytest.raises(LinesError, match="lines.yaml"):
        create_app(settings, None, CallStore(settings.resolved_database_url))
