"""The reservation line: capacity checks and whole calls that book, change and cancel."""

from datetime import date, datetime, time

import pytest

from dialog import DialogSession, load_scenario
from dialog.clock import SEOUL
from dialog.reservations import Booking, MemoryBookingBook, Venue, check
from dialog.scenario import ScenarioError, parse_scenario

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SEOUL)  # Wednesday morning
FRIDAY = date(2026, 11, 27)
CALLER = "+821012345678"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("reservation")


@pytest.fixture
def book():
    return MemoryBookingBook()


def call(scenario, book, lines, phone=CALLER):
    session = DialogSession(scenario, person={"phone": phone}, now=NOW, bookings=book, seed=0)
    replies = [session.start()]
    for line in lines:
        assert not session.finished, f"call ended before {line!r}: {replies[-1].text}"
        replies.append(session.handle(line))
    return session, replies


def booked(book, **fields):
    return book.add(Booking(venue_id="default", phone=fields.pop("phone", "01099990000"), name=fields.pop("name", "손님"),
                            day=fields.pop("day", FRIDAY), time=fields.pop("time", time(19, 0)),
                            party_size=fields.pop("party_size", 4)))  # fmt: skip


# --- capacity ------------------------------------------------------------------------------------------


def test_capacity_counts_overlapping_sittings(scenario, book):
    venue, now = scenario.venue, NOW.replace(tzinfo=None)
    assert check(venue, book, FRIDAY, time(19, 0), 10, now).verdict == "available"
    booked(book, party_size=10, time=time(18, 30))  # each sits 18:30–20:00
    booked(book, party_size=10, time=time(18, 30))
    result = check(venue, book, FRIDAY, time(19, 0), 6, now)
    assert result.verdict == "full"
    assert result.alternatives and all(t >= time(20, 0) or t <= time(17, 0) for t in result.alternatives)
    assert check(venue, book, FRIDAY, time(19, 0), 4, now).verdict == "available"


def test_closed_past_too_far_and_too_many(scenario, book):
    venue, now = scenario.venue, NOW.replace(tzinfo=None)
    assert check(venue, book, date(2026, 11, 30), time(19, 0), 2, now).verdict == "closed"  # Monday
    assert check(venue, book, date(2026, 11, 25), time(9, 0), 2, now).verdict == "past"
    assert check(venue, book, date(2027, 3, 1), time(19, 0), 2, now).verdict == "too_far"
    assert check(venue, book, FRIDAY, time(19, 0), 11, now).verdict == "too_many"
    late = check(venue, book, FRIDAY, time(21, 30), 2, now)  # after the last seating (20:30 on Fridays)
    assert late.verdict == "closed" and late.alternatives[0] == time(20, 30)


def test_a_moved_booking_does_not_compete_with_itself(scenario, book):
    booked(book, party_size=10)
    booked(book, party_size=10)
    mine = booked(book, party_size=4)
    now = NOW.replace(tzinfo=None)
    assert check(scenario.venue, book, FRIDAY, time(19, 30), 4, now).verdict == "full"
    assert check(scenario.venue, book, FRIDAY, time(19, 30), 4, now, ignore_booking=mine.id).verdict == "available"


def test_venue_hours_are_validated():
    with pytest.raises(ValueError, match="not like"):
        Venue(name="x", hours={"mon": "9 to 5"}, seats=4, max_party=4)
    with pytest.raises(ValueError, match="unknown day"):
        Venue(name="x", hours={"monday": "closed"}, seats=4, max_party=4)


# --- whole calls ---------------------------------------------------------------------------------------


def test_new_booking_said_all_at_once(scenario, book):
    session, replies = call(scenario, book, ["금요일 저녁 일곱 시 반에 네 명 예약하려고요", "김민수요", "창가 자리 부탁해요", "네"])
    assert [r.state for r in replies[1:]] == ["name", "requests", "confirm", "closing"]
    assert "11월 27일 금요일 저녁 7시 30분에 네 분, 김민수 님" in replies[3].text
    assert session.outcome == "booked"
    (stored,) = book.bookings.values()
    assert (stored.day, stored.time, stored.party_size, stored.name, stored.phone, stored.requests) == (
        FRIDAY, time(19, 30), 4, "김민수", "01012345678", "창가 자리 부탁해요"
    )  # fmt: skip
    assert session.answers["booking_id"] == stored.id


def test_full_slot_offers_the_nearest_time(scenario, book):
    booked(book, party_size=10, time=time(19, 0))
    booked(book, party_size=10, time=time(19, 0))
    booked(book, party_size=4, time=time(19, 0))
    session, replies = call(scenario, book, ["금요일 저녁 7시에 두 명이요"])
    assert replies[-1].state == "offer"
    assert "자리가 다 찼어요" in replies[-1].text and "가능한데" in replies[-1].text
    for line in ["네 좋아요", "이영희", "없어요", "네"]:
        session.handle(line)
    assert session.outcome == "booked"
    new = [b for b in book.bookings.values() if b.name == "이영희"][0]
    assert new.time not in (time(19, 0),) and new.day == FRIDAY


def test_declined_offer_asks_for_another_time(scenario, book):
    for _ in range(3):
        booked(book, party_size=8, time=time(19, 0))
    session, replies = call(scenario, book, ["금요일 저녁 7시 두 명", "아니요", "점심 12시요"])
    assert [r.state for r in replies[-2:]] == ["time_again", "name"]
    assert session.answers["time"] == "12:00"


def test_closed_day_asks_for_another_date(scenario, book):
    session, replies = call(scenario, book, ["월요일 저녁 6시 두 명", "화요일이요"])
    assert replies[1].state == "date_again" and "그날은 예약이 어려워요" in replies[1].text
    assert replies[2].state == "name" and session.answers["date"] == "2026-12-01"


def test_correction_at_confirmation(scenario, book):
    session, replies = call(scenario, book, ["금요일 7시 세 명", "박철수", "없어요", "아니요", "8시로 해 주세요", "네"])
    assert replies[4].state == "fix"
    assert replies[5].state == "confirm" and "저녁 8시" in replies[5].text
    assert session.outcome == "booked" and session.answers["time"] == "20:00"


def test_a_changed_detail_while_confirming_is_rechecked(scenario, book):
    session, replies = call(scenario, book, ["금요일 7시 세 명", "박철수", "없어요", "아 네 명으로 해 주세요"])
    assert replies[-1].state == "confirm" and "네 분" in replies[-1].text
    assert session.answers["party_size"] == "4"


def test_change_an_existing_booking(scenario, book):
    mine = booked(book, phone="01012345678", name="김민수")
    session, replies = call(scenario, book, ["예약 시간 좀 바꾸려고요", "토요일 점심 12시로 바꿔 주세요", "네"])
    assert replies[1].state == "change_what" and "11월 27일 금요일 저녁 7시, 네 분" in replies[1].text
    assert replies[2].state == "confirm_change"
    assert session.outcome == "changed"
    assert (book.bookings[mine.id].day, book.bookings[mine.id].time) == (date(2026, 11, 28), time(12, 0))


def test_cancel_by_caller_id(scenario, book):
    mine = booked(book, phone="01012345678")
    session, replies = call(scenario, book, ["예약 취소해 주세요", "네"])
    assert replies[1].state == "cancel_confirm"
    assert session.outcome == "cancelled" and book.bookings[mine.id].status == "cancelled"


def test_cancel_kept_when_the_caller_says_no(scenario, book):
    mine = booked(book, phone="01012345678")
    session, _ = call(scenario, book, ["예약 취소하려고요", "아니요 그냥 둘게요"])
    assert session.outcome == "not_changed" and book.bookings[mine.id].status == "booked"


def test_cancel_asks_the_number_when_caller_id_finds_nothing(scenario, book):
    mine = booked(book, phone="01077778888")
    session, replies = call(scenario, book, ["예약 취소할게요", "공일공 칠칠칠칠 팔팔팔팔", "네"])
    assert replies[1].state == "lookup_phone" and replies[2].state == "cancel_confirm"
    assert session.outcome == "cancelled" and book.bookings[mine.id].status == "cancelled"


def test_no_booking_found(scenario, book):
    session, replies = call(scenario, book, ["예약 바꾸려고요", "공일공 일일일일 이이이이"])
    assert session.outcome == "no_booking"


def test_a_new_date_said_while_the_number_is_looked_up_does_not_skip_the_lookup(scenario, book):
    """A caller with no booking on file who gives another date with the number used to reach the change
    action without a booking (KeyError: 'booking_id'): the number is looked up first."""
    session, replies = call(scenario, book, ["금요일 저녁 7시 두 명 예약을 바꾸려고요", "공일공 일일일일 이이이이요, 토요일로요"])
    assert replies[1].state == "lookup_phone"
    assert session.outcome == "no_booking" and replies[-1].end
    assert session.answers["phone"] == "01011112222" and not book.bookings


def test_a_change_without_a_booking_found_never_reaches_the_change_action(scenario, book):
    session, replies = call(scenario, book, ["예약 바꾸려고요"])
    session.handle("공일공 일일일일 이이이이요")
    assert session.outcome == "no_booking"
    from dialog.booking_flow import BookingFlow

    flow = BookingFlow(scenario.venue, book, now=NOW.replace(tzinfo=None))
    assert flow.run("route_by_intent", {"intent": "change"}) == "no_booking"
    assert flow.run("route_by_intent", {"intent": "cancel", "booking_id": 3}) == "cancel"


def test_a_garbled_request_is_asked_once_more_then_taken_as_none(scenario, book):
    session, replies = call(scenario, book, ["금요일 7시 두 명", "박철수", "소요", "소요"])
    assert [r.state for r in replies[-2:]] == ["requests", "confirm"]
    assert session.answers["requests"] == "nothing"
    session.handle("네")
    (stored,) = book.bookings.values()
    assert stored.requests == ""


def test_unclear_name_gives_up_kindly(scenario, book):
    session, replies = call(scenario, book, ["금요일 7시 두 명", "음", "글쎄요", "잘 모르겠어요"])
    assert session.outcome == "not_booked" and replies[-1].end
    assert [f.rule for f in session.flags] == ["confusion"]
    assert not book.bookings


def test_emergency_on_a_reservation_line(scenario, book):
    session, replies = call(scenario, book, ["도와주세요 사람이 쓰러졌어요"])
    assert session.outcome == "emergency" and "119" in replies[-1].text
    assert session.flags[0].severity == "critical"


# --- scenario validation of actions ---------------------------------------------------------------------


def _reservation_text():
    from dialog.scenario import SCENARIO_DIR

    return (SCENARIO_DIR / "reservation.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    action: cancel_booking\n", "    action: delete_booking\n", "unknown action 'delete_booking'"),
        ("      not_found: \"end:no_booking\"\n", "", "no branch for the result 'not_found'"),
        ("      taken: after_check\n", "      taken: after_chek\n", "unknown state or ending 'after_chek'"),
        ("    give_up: \"end:gave_up\"\n    next: time\n", "    give_up: \"end:gaveup\"\n    next: time\n", "states.date.give_up"),
    ],
)  # fmt: skip
def test_action_errors_name_the_field(old, new, expected):
    text = _reservation_text()
    assert old in text
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text.replace(old, new, 1), source="reservation.yaml")
    assert "reservation.yaml: line " in str(err.value) and expected in str(err.value)


def test_actions_need_a_venue():
    text = _reservation_text()
    start, end = text.index("venue:\n"), text.index("greetings:")
    with pytest.raises(ScenarioError, match="needs a venue"):
        parse_scenario(text[:start] + text[end:], source="reservation.yaml")
