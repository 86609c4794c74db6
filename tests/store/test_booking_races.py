"""Callers booking the last seats at the same moment, on SQLite and PostgreSQL: one gets them, the others
are told the time is full, and the venue is never over-booked."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time

import pytest

from agent.store import CallStore, SqlBookingBook, migrate
from dialog.booking_flow import BookingFlow
from dialog.clock import SEOUL
from dialog.reservations import WEEKDAY_KEYS, Booking, NoRoom, Venue

THREADS = 8
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SEOUL)  # a Wednesday; the bookings are for Friday
FRIDAY = date(2026, 11, 27)
SMALL = Venue(id="small", name="작은 식당", hours={d: "11:00-22:00" for d in WEEKDAY_KEYS}, seats=4, max_party=4)


@pytest.fixture
def book(database_url):
    migrate(database_url)
    store = CallStore(database_url)
    yield SqlBookingBook(store.engine)
    store.engine.dispose()


def _all_at_once(work, count: int = THREADS) -> list:
    """``work(i)`` in ``count`` threads released together; each one's result or the exception it raised."""
    start = threading.Barrier(count)

    def run(i: int):
        start.wait(timeout=30)
        try:
            return work(i)
        except Exception as exc:  # noqa: BLE001 - the exception is the result under test
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def _seated(book: SqlBookingBook) -> int:
    return sum(b.party_size for b in book.on_day(SMALL.id, FRIDAY))


def test_eight_callers_four_people_four_seats_one_booking(book):
    def call(i: int) -> str:
        flow = BookingFlow(SMALL, book, now=NOW, caller_number=f"0101234{i:04d}")
        answers = {"date": FRIDAY.isoformat(), "time": "19:00", "party_size": "4", "name": f"손님{i}",
                   "phone": f"0101234{i:04d}"}  # fmt: skip
        return flow.run("book", answers)

    results = _all_at_once(call)
    assert sorted(results) == ["booked"] + ["full"] * (THREADS - 1), results
    assert _seated(book) == 4


def test_the_book_itself_refuses_the_second_party_whoever_asks_first(book):
    results = _all_at_once(
        lambda i: book.add(Booking(SMALL.id, f"0109999{i:04d}", f"손님{i}", FRIDAY, time(19, 0), 4), venue=SMALL)
    )
    stored = [r for r in results if isinstance(r, Booking)]
    refused = [r for r in results if isinstance(r, NoRoom)]
    assert len(stored) == 1 and len(refused) == THREADS - 1, results
    assert [b.id for b in book.on_day(SMALL.id, FRIDAY)] == [stored[0].id]


def test_moving_bookings_into_the_last_free_seats_at_once_moves_one(book):
    book.add(Booking(SMALL.id, "01000000000", "먼저 온 손님", FRIDAY, time(19, 0), 2), venue=SMALL)
    lunches = [
        book.add(Booking(SMALL.id, f"0105555{i:04d}", f"손님{i}", date(2026, 11, 28 + i % 2), time(12, 0), 2))
        for i in range(THREADS)
    ]

    def move(i: int) -> str:
        flow = BookingFlow(SMALL, book, now=NOW)
        answers = {"booking_id": lunches[i].id, "date": FRIDAY.isoformat(), "time": "19:00", "party_size": "2"}
        return flow.run("change_booking", answers)

    results = _all_at_once(move)
    assert sorted(results) == ["changed"] + ["full"] * (THREADS - 1), results
    assert _seated(book) == 4


def test_a_change_into_a_full_slot_is_refused_and_the_booking_keeps_its_time(book):
    book.add(Booking(SMALL.id, "01000000000", "저녁 손님", FRIDAY, time(19, 0), 4), venue=SMALL)
    lunch = book.add(Booking(SMALL.id, "01011112222", "점심 손님", FRIDAY, time(12, 0), 3), venue=SMALL)
    with pytest.raises(NoRoom):
        book.update(lunch.id, venue=SMALL, time=time(19, 30))
    assert book.find_by_phone(SMALL.id, "01011112222", FRIDAY).time == time(12, 0)
    # a booking does not compete with itself: 3 → 4 people at its own time fits
    assert book.update(lunch.id, venue=SMALL, party_size=4).party_size == 4
    # and cancelling never needs seats
    assert book.update(lunch.id, venue=SMALL, status="cancelled").status == "cancelled"
