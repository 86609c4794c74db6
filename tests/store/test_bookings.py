"""The SQL booking book on SQLite and PostgreSQL, and a reservation call that books through it."""

from datetime import date, datetime, time

import pytest

from agent.store import CallStore, SqlBookingBook, migrate
from dialog import DialogSession, load_scenario
from dialog.clock import SEOUL
from dialog.reservations import Booking


@pytest.fixture
def book(database_url):
    migrate(database_url)
    store = CallStore(database_url)
    yield SqlBookingBook(store.engine), store
    store.engine.dispose()


def test_add_find_update(book):
    book, _ = book
    friday = date(2026, 11, 27)
    first = book.add(Booking("default", "01012345678", "김민수", friday, time(19, 0), 4, requests="창가"))
    book.add(Booking("default", "01012345678", "김민수", date(2026, 12, 4), time(19, 0), 2))
    book.add(Booking("other", "01012345678", "김민수", date(2026, 11, 26), time(12, 0), 2))
    assert first.id and first.requests == "창가"
    assert [b.id for b in book.on_day("default", friday)] == [first.id]
    assert book.find_by_phone("default", "01012345678", date(2026, 11, 25)).id == first.id
    moved = book.update(first.id, time=time(20, 0), party_size=5)
    assert (moved.time, moved.party_size) == (time(20, 0), 5)
    book.update(first.id, status="cancelled")
    assert book.on_day("default", friday) == []
    assert book.find_by_phone("default", "01012345678", date(2026, 11, 25)).day == date(2026, 12, 4)
    with pytest.raises(KeyError):
        book.update("nope", status="cancelled")
    with pytest.raises(ValueError, match="cannot change"):
        book.update(first.id, colour="red")


def test_reservation_calls_share_the_database(book):
    book, store = book
    scenario = load_scenario("reservation")
    now = datetime(2026, 11, 25, 10, 0, tzinfo=SEOUL)
    call_id = store.start_call(direction="inbound", phone_number="+821012345678", scenario="reservation")

    first = DialogSession(scenario, {"phone": "+821012345678", "call_id": call_id}, now=now, bookings=book, seed=0)
    first.start()
    for line in ["금요일 저녁 7시에 네 명 예약하려고요", "김민수요", "없어요", "네"]:
        first.handle(line)
    assert first.outcome == "booked"
    (stored,) = book.on_day("default", date(2026, 11, 27))
    assert stored.call_id == call_id and stored.phone == "01012345678"

    second = DialogSession(scenario, {"phone": "+821012345678"}, now=now, bookings=book, seed=0)
    second.start()
    second.handle("예약 취소해 주세요")
    second.handle("네")
    assert second.outcome == "cancelled"
    assert book.on_day("default", date(2026, 11, 27)) == []
