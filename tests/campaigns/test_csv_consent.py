"""The CSV import's consent column: English or Korean values into the people registry, an empty cell leaving
what the registry has, an unknown value reported by line and the row skipped."""

from __future__ import annotations

from agent.campaigns.csv_import import parse_contacts
from agent.campaigns.service import CampaignService

HOURS = {"days": "daily", "start": "09:00", "end": "18:00"}


def test_consent_cells_are_read_in_english_or_korean_and_bad_ones_reported_by_line():
    parsed = parse_contacts("이름,전화번호,동의 여부\n가,010-1000-0001,동의\n나,010-1000-0002,refused\n"
                            "다,010-1000-0003,\n라,010-1000-0004,아마도\n")  # fmt: skip
    assert [(r.name, r.consent) for r in parsed.rows] == [("가", "given"), ("나", "refused"), ("다", "")]
    [error] = parsed.errors
    assert error.line == 5 and "consent '아마도'" in error.reason


def test_the_import_stores_consent_and_an_empty_cell_keeps_the_registrys(sqlite_url):
    service = CampaignService(sqlite_url)
    first = service.create("1차", calling_hours=HOURS)
    assert service.import_csv(first.id, "name,phone,consent\n김영수,010-2000-0001,given\n").added == 1
    second = service.create("2차", calling_hours=HOURS)
    assert service.import_csv(second.id, "name,phone,consent\n김영수,010-2000-0001,\n").added == 1
    assert service.people.by_phone("+821020000001").consent == "given"
    third = service.create("3차", calling_hours=HOURS)
    assert service.import_csv(third.id, "name,phone,consent\n김영수,010-2000-0001,미동의\n").added == 1
    assert service.people.by_phone("+821020000001").consent == "refused"
