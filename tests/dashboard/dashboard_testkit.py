"""Helpers of the dashboard tests: building the app on a database, logging in, seeded calls and recordings.

A module of its own (not conftest.py) so that test files import it by a name no other test folder uses.
"""

from __future__ import annotations

import re
import wave
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import sqlalchemy as sa
from fastapi.testclient import TestClient

from agent.app import create_app
from agent.dashboard.users import UserBook
from agent.settings import Settings
from agent.store import CallStore, SqlBookingBook, UserStore, migrate
from dialog import DialogSession, load_scenario
from dialog.clock import SEOUL
from telephony.simulator.personas import load_persona

PASSWORDS = {"hana": "hana-admin-pw", "minjun": "minjun-operator-pw"}


def build(settings: Settings, listener=None):
    migrate(settings.resolved_database_url)
    store = CallStore(settings.resolved_database_url)
    users = UserBook(UserStore(store.engine))
    users.add("hana", PASSWORDS["hana"], "admin")
    users.add("minjun", PASSWORDS["minjun"], "operator")
    app = create_app(settings, None, store, listener=listener)  # engines are only touched when a call comes in
    return app, store


def update_row(store: CallStore, table: str, row_id: str, **values) -> None:
    """Change stored columns directly: set-up the application has no action for (an older call, a
    recording path pointing elsewhere). Plain SQL on the table, as another program would."""
    rows = sa.Table(table, sa.MetaData(), autoload_with=store.engine)
    with store.engine.begin() as conn:
        conn.execute(rows.update().where(rows.c.id == row_id).values(**values))


def insert_row(store: CallStore, table: str, **values) -> int | str:
    """Add a row directly (state that takes a scheduler and dialers to reach); returns its primary key."""
    rows = sa.Table(table, sa.MetaData(), autoload_with=store.engine)
    with store.engine.begin() as conn:
        return conn.execute(rows.insert().values(**values)).inserted_primary_key[0]


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def login(app, username: str, password: str | None = None) -> TestClient:
    client = TestClient(app, base_url="http://testserver")
    page = client.get("/dashboard/login")
    response = client.post(
        "/dashboard/login",
        data={"username": username, "password": password or PASSWORDS[username], "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def write_wav(path: Path, seconds: float = 14.0) -> Path:
    """A stereo 8 kHz 16-bit recording like the agent's (left caller, right agent): two tones."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(8000 * seconds)) / 8000
    left, right = np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 660 * t)
    frames = (np.stack([left, right], axis=1) * 8000).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(frames.tobytes())
    return path


def seed_call(
    store: CallStore,
    settings: Settings,
    *,
    name: str = "김영수",
    phone: str = "+821012345678",
    flags: list[tuple[str, str, str, int]] = (),
    turns: list[tuple[str, str]] | None = None,
    answers: dict | None = None,
    recording: bool = True,
) -> str:
    """A finished care call; ``flags`` are (rule, severity, evidence, turn)."""
    call_id = store.start_call(phone_number=phone, person_name=name, scenario="care_call", direction="outbound")
    turns = turns or [
        ("agent", f"안녕하세요, {name} 어르신. 식사는 하셨어요?"),
        ("caller", "아니요, 입맛이 없어서 못 먹었어요."),
        ("agent", "요즘 잠은 잘 주무세요?"),
        ("caller", "어제 넘어져서 무릎이 아파요."),
        ("agent", "알겠습니다. 담당 선생님께 전해 드릴게요."),
    ]
    for i, (speaker, text) in enumerate(turns):
        store.add_turn(call_id, speaker, text, start_ms=i * 2500 + 500, end_ms=i * 2500 + 2000)
    store.add_flags(
        call_id,
        [SimpleNamespace(rule=r, severity=s, evidence=e, turn=t, message=f"{r} 확인 필요") for r, s, e, t in flags],
    )
    path = write_wav(settings.recordings_dir / f"{call_id}.wav") if recording else None
    store.finish_call(
        call_id,
        outcome="completed",
        answers=answers if answers is not None else {"meal": "skipped", "health": ["fall", "pain"]},
        recording_path=str(path) if path else None,
    )
    return call_id


def reservation_call(store: CallStore, persona_name: str) -> DialogSession:
    """A whole reservation call through the dialog, the persona answering each question it is asked."""
    persona = load_persona(persona_name)
    call_id = store.start_call(phone_number=persona.phone, person_name=persona.name, scenario="reservation",
                               direction="inbound")  # fmt: skip
    session = DialogSession(
        load_scenario("reservation"),
        person={"name": persona.name, "phone": persona.phone, "call_id": call_id},
        now=datetime.now(SEOUL),
        bookings=SqlBookingBook(store.engine),
        seed=0,
    )
    reply = session.start()
    for _ in range(20):
        if session.finished:
            break
        lines = persona.answers.get(reply.state or "", persona.answers.get("default", ["네."]))
        store.add_turn(call_id, "agent", reply.text, 0, 0, state=reply.state)
        store.add_turn(call_id, "caller", lines[0], 0, 0)
        reply = session.handle(lines[0])
    assert session.finished, f"the {persona_name} call did not finish"
    store.finish_call(call_id, outcome=session.outcome, answers=dict(session.answers))
    return session
