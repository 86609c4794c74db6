"""Phone numbers, CSV rows, calling hours and the retry policy: the pure rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agent.campaigns.csv_import import CsvError, parse_contacts
from agent.campaigns.hours import CallingHours, HoursError, parse_days
from agent.campaigns.retry import PolicyError, RetryPolicy, parse_retry_option
from dialog.clock import SEOUL
from dialog.phone_numbers import PhoneNumberError, to_e164


@pytest.mark.parametrize("raw,e164", [
    ("010-1234-5678", "+821012345678"), ("01012345678", "+821012345678"), ("010 1234 5678", "+821012345678"),
    ("+82 10-1234-5678", "+821012345678"), ("+82 010-1234-5678", "+821012345678"), ("02-123-4567", "+8221234567"),
    ("+14155550100", "+14155550100"), ("011-234-5678", "+82112345678"),
])
def test_phone_numbers_become_e164(raw, e164):
    assert to_e164(raw) == e164


@pytest.mark.parametrize("raw", ["", "010-12", "12345678", "+0123456789", "010-1234-56789", "abc", "+82"])
def test_bad_phone_numbers_are_refused(raw):
    with pytest.raises(PhoneNumberError):
        to_e164(raw)


def test_csv_reports_every_bad_row_by_its_line_and_keeps_the_good_ones():
    text = (
        "\ufeff이름,전화번호,메모\n"          # 1: Korean header, BOM
        "김영수,010-1111-2222,무릎 통증\n"     # 2 ok
        "이순자,010-12,\n"                    # 3 bad phone
        ",010-3333-4444,\n"                   # 4 no name
        "\n"                                  # 5 empty
        '박민수,010-5555-6666,"여러 줄\n메모"\n'  # 6-7 ok (quoted newline)
        "최영희,010-1111-2222,\n"             # 8 duplicate of line 2
        "정미경,+821077778888,a,b,c\n"         # 9 too many cells
        "한지민,010-9999-0000\n"               # 10 ok, no notes cell
        "오세훈,010-4444-5555,\n"              # 11 already in the campaign
    )
    parsed = parse_contacts(text, known_phones={"+821044445555"})
    assert [(r.line, r.name, r.phone) for r in parsed.rows] == [
        (2, "김영수", "+821011112222"), (6, "박민수", "+821055556666"), (10, "한지민", "+821099990000")]
    assert parsed.rows[1].notes == "여러 줄\n메모"
    assert [e.line for e in parsed.errors] == [3, 4, 5, 8, 9, 11]
    reasons = {e.line: e.reason for e in parsed.errors}
    assert "010-12" in reasons[3] and "name is empty" == reasons[4] and "line 2" in reasons[8]
    assert "already in the campaign" in reasons[11]
    assert len(parsed.rows) + len(parsed.errors) == 9  # every data row accounted for


def test_csv_without_the_needed_columns_is_refused_as_a_whole():
    with pytest.raises(CsvError, match="phone"):
        parse_contacts("name,address\n김영수,서울\n")
    with pytest.raises(CsvError, match="empty"):
        parse_contacts("")


def test_calling_hours_weekdays_ten_to_six_in_seoul():
    hours = CallingHours.parse({"days": "mon-fri", "start": "10:00", "end": "18:00"})
    friday_evening = datetime(2026, 11, 27, 18, 30, tzinfo=SEOUL)
    assert not hours.is_open(friday_evening)
    assert hours.next_open(friday_evening) == datetime(2026, 11, 30, 10, 0, tzinfo=SEOUL)  # Monday
    inside = datetime(2026, 11, 25, 3, 0, tzinfo=ZoneInfo("UTC"))  # 12:00 in Seoul, Wednesday
    assert hours.is_open(inside) and hours.next_open(inside) == inside
    early = datetime(2026, 11, 25, 9, 59, tzinfo=SEOUL)
    assert hours.next_open(early) == datetime(2026, 11, 25, 10, 0, tzinfo=SEOUL)
    assert not hours.is_open(datetime(2026, 11, 25, 18, 0, tzinfo=SEOUL))  # the end is exclusive


def test_calling_hours_parsing_and_errors():
    assert parse_days("fri-mon") == {4, 5, 6, 0}
    assert parse_days(["mon", "Wednesday"]) == {0, 2}
    assert CallingHours.parse({"days": "daily", "start": "00:00", "end": "24:00"}).is_open(
        datetime(2026, 11, 29, 23, 59, tzinfo=SEOUL))
    for bad, field in [({"days": "funday"}, "days"), ({"start": "25:00"}, "start"),
                       ({"start": "18:00", "end": "10:00"}, "not after"), ({"days": []}, "days")]:
        with pytest.raises(HoursError, match=field):
            CallingHours.parse({"days": "mon", "start": "10:00", "end": "18:00", **bad})
    with pytest.raises(HoursError, match="time zone"):
        CallingHours.parse(None, "Mars/Olympus")


def test_retry_policy_gives_each_outcome_its_own_budget():
    policy = RetryPolicy.parse({"no_answer": {"max_retries": 2, "delay_minutes": 30},
                                "busy": {"max_retries": 1, "delay_minutes": 5}})
    assert policy.retry_after("no_answer", []) == timedelta(minutes=30)
    assert policy.retry_after("no_answer", ["no_answer"]) == timedelta(minutes=30)
    assert policy.retry_after("no_answer", ["no_answer", "no_answer"]) is None
    assert policy.retry_after("busy", ["no_answer", "no_answer"]) == timedelta(minutes=5)
    assert policy.retry_after("failed", []) is None  # not in the policy: no retry
    assert policy.retry_after("completed", []) is None
    assert parse_retry_option("no-answer=3x15") == ("no_answer", {"max_retries": 3, "delay_minutes": 15.0})
    with pytest.raises(PolicyError):
        parse_retry_option("no_answer=lots")
    with pytest.raises(PolicyError, match="not retryable"):
        RetryPolicy.parse({"completed": {"max_retries": 1}})
