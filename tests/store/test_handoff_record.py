"""The record of a call handed to a person: outcome ``transferred`` and the number that took over, on SQLite and
PostgreSQL (revision 0006)."""

from __future__ import annotations

from agent.store import CallStore, migrate


def test_the_record_keeps_who_took_the_call_over(database_url):
    migrate(database_url)
    store = CallStore(database_url)
    handed = store.start_call(call_sid="CA1", phone_number="+821056781234", scenario="care_call")
    store.finish_call(handed, outcome="transferred", taken_over_by="+821099990000")
    kept = store.start_call(call_sid="CA2", phone_number="+821056781234", scenario="care_call")
    store.finish_call(kept, outcome="completed")
    store.finish_call(handed, outcome="transferred")  # a later finish does not forget who took over
    assert store.get_call(handed).taken_over_by == "+821099990000"
    assert store.get_call(kept).taken_over_by is None
    assert {c.id: c.taken_over_by for c in store.list_calls()} == {handed: "+821099990000", kept: None}
