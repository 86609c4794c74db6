"""The only room that touches the database (SQLite by default, PostgreSQL the same way; schema by Alembic).

Repositories, each over one shared engine, hand out frozen dataclasses and never ORM rows (the tables in
``_models`` are private to this package):

- ``CallStore`` (calls.py): call records, written by the live call, read by the dashboard and campaigns
- ``SqlBookingBook`` (bookings.py): the reservation lines' bookings
- ``CampaignLedger`` (campaigns.py): campaigns, contacts and dial attempts
- ``UserStore`` (users.py): dashboard accounts
- ``AuditLog`` (audit.py): who did what, and when
- ``AlertOutbox`` (outbox.py): alerts about flags, kept until a channel has taken them
- ``PeopleStore`` (people.py): the people called: care worker, guardian, consent, opt-out
"""

from agent.store.audit import AuditEntry, AuditLog
from agent.store.bookings import SqlBookingBook
from agent.store.calls import CallRecord, CallStore, FlagAlreadyResolved, FlagRecord, TurnRecord
from agent.store.campaigns import CampaignLedger, CampaignRecord
from agent.store.clock import as_aware, utcnow
from agent.store.engine import Engine, database_unreachable, make_engine
from agent.store.migrate import migrate, schema_differences
from agent.store.outbox import AlertOutbox, AlertRoute, OutboxEntry
from agent.store.people import PeopleStore, Person
from agent.store.users import DuplicateUsername, UserRecord, UserStore

__all__ = [
    "AlertOutbox", "AlertRoute", "AuditEntry", "AuditLog", "CallRecord", "CallStore", "CampaignLedger", "CampaignRecord", "DuplicateUsername",
    "Engine", "FlagAlreadyResolved", "FlagRecord", "OutboxEntry", "PeopleStore", "Person", "SqlBookingBook", "TurnRecord", "UserRecord", "UserStore",
    "as_aware", "database_unreachable", "make_engine", "migrate", "schema_differences", "utcnow",
]  # fmt: skip
