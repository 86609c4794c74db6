"""Logins, sessions, roles, CSRF, the login throttle, security headers and the users command."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from agent.dashboard.users import UserBook, UserError
from agent.dashboard.web import (
    FAILURE_WINDOW_S,
    MAX_ADDRESS_FAILURES,
    MAX_FAILURES,
    LoginThrottle,
    RedisLoginThrottle,
)
from agent.store import UserStore
from dashboard_testkit import csrf_of, login


def test_pages_need_a_login_and_send_you_back_after_it(env):
    client = TestClient(env.app)
    response = client.get("/dashboard/queue", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login?next=/dashboard/queue"
    for path in ("/dashboard/bookings", "/dashboard/live/events", "/dashboard/calls/x/audio", "/dashboard/campaigns"):
        assert client.get(path, follow_redirects=False).status_code == 303, path

    page = client.get(response.headers["location"])
    form = {"username": "minjun", "password": "minjun-operator-pw", "csrf": csrf_of(page.text), "next": "/dashboard/bookings"}
    done = client.post("/dashboard/login", data=form, follow_redirects=False)
    assert done.headers["location"] == "/dashboard/bookings"
    assert client.get("/dashboard/bookings").status_code == 200
    # an off-site "next" is not followed
    form["next"], form["csrf"] = "https://evil.example/", csrf_of(client.get("/dashboard/login").text)  # rotated
    assert client.post("/dashboard/login", data=form, follow_redirects=False).headers["location"] == "/dashboard/queue"


def test_wrong_password_is_refused_audited_and_throttled(env):
    client = TestClient(env.app)
    csrf = csrf_of(client.get("/dashboard/login").text)
    bad = {"username": "minjun", "password": "wrong-password", "csrf": csrf}
    response = client.post("/dashboard/login", data=bad)
    assert response.status_code == 401 and "맞지 않습니다" in response.text
    assert client.get("/dashboard/queue", follow_redirects=False).status_code == 303
    for _ in range(4):
        client.post("/dashboard/login", data=bad)
    good = {**bad, "password": "minjun-operator-pw"}
    assert client.post("/dashboard/login", data=good).status_code == 429  # locked for a while, even when right
    failed = env.dash.audit.recent(action="login.failed")
    assert len(failed) == 5 and failed[0].target_id == "minjun"


def test_with_redis_the_lockout_holds_across_server_processes(settings):
    """Two servers behind one load balancer: failures on one lock the account on the other too."""
    import uuid

    import redis

    from agent.app import create_app
    from agent.store import CallStore
    from dashboard_testkit import build

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {url}: {exc}")
    shared = settings.model_copy(update={"redis_url": url})
    first, store = build(shared)
    second_app = create_app(shared, None, CallStore(shared.resolved_database_url))  # same database and Redis
    prefix = f"carecall-test:{uuid.uuid4().hex}:"  # a key space of this test's own
    for app in (first, second_app):
        assert isinstance(app.state.dashboard.throttle, RedisLoginThrottle)
        app.state.dashboard.throttle.prefix = prefix

    one, two = TestClient(first), TestClient(second_app)
    for client in (one, two, one, two, one):
        bad = {"username": "minjun", "password": "wrong-password", "csrf": csrf_of(client.get("/dashboard/login").text)}
        assert client.post("/dashboard/login", data=bad).status_code == 401
    good = {"username": "minjun", "password": "minjun-operator-pw", "csrf": csrf_of(two.get("/dashboard/login").text)}
    assert two.post("/dashboard/login", data=good).status_code == 429
    # the lock is this address's: minjun at another desk logs in, on either process
    elsewhere = TestClient(second_app, client=("10.1.2.3", 50000))
    good["csrf"] = csrf_of(elsewhere.get("/dashboard/login").text)
    assert elsewhere.post("/dashboard/login", data=good, follow_redirects=False).status_code == 303


def test_post_without_the_session_csrf_token_is_refused(env):
    client = TestClient(env.app)
    client.get("/dashboard/login")
    response = client.post("/dashboard/login", data={"username": "hana", "password": "hana-admin-pw", "csrf": "forged"})
    assert response.status_code == 403
    client = login(env.app, "hana")
    assert client.post("/dashboard/users", data={"username": "x", "password": "long-enough-1"}).status_code == 403


def test_passwords_are_stored_as_argon2_hashes(env):
    stored = UserStore(env.store.engine).get("hana").password_hash
    assert stored.startswith("$argon2id$") and "hana-admin-pw" not in stored
    book = UserBook(UserStore(env.store.engine))
    assert book.authenticate("hana", "hana-admin-pw").role == "admin"
    assert book.authenticate("hana", "hana-admin-pw ") is None
    assert book.authenticate("nobody", "hana-admin-pw") is None
    with pytest.raises(UserError):
        book.add("hana", "another-password", "operator")
    with pytest.raises(UserError):
        book.add("short", "1234567", "operator")
    with pytest.raises(UserError):
        book.add("boss", "long-enough-1", "superuser")


def test_only_admins_manage_users_and_disabling_ends_a_session(env):
    operator = login(env.app, "minjun")
    assert operator.get("/dashboard/users").status_code == 403
    assert operator.get("/dashboard/audit").status_code == 403
    assert "/dashboard/users" not in operator.get("/dashboard/queue").text

    admin = login(env.app, "hana")
    page = admin.get("/dashboard/users")
    assert page.status_code == 200 and "minjun" in page.text
    csrf = csrf_of(page.text)
    added = admin.post("/dashboard/users", data={"username": "jiwoo", "password": "jiwoo-pw-123", "role": "operator", "csrf": csrf})
    assert added.status_code == 200 and "jiwoo" in added.text
    assert operator.post("/dashboard/users/jiwoo/disable", data={"csrf": csrf_of(operator.get("/dashboard/queue").text)}).status_code == 403

    assert admin.post("/dashboard/users/minjun/disable", data={"csrf": csrf}).status_code == 200
    assert operator.get("/dashboard/queue", follow_redirects=False).status_code == 303  # logged out at once
    assert admin.post("/dashboard/users/hana/disable", data={"csrf": csrf}).status_code == 409
    actions = [e.action for e in env.dash.audit.recent()]
    assert {"user.add", "user.disable", "login"} <= set(actions)


def test_logout_ends_the_session(env):
    client = login(env.app, "minjun")
    csrf = csrf_of(client.get("/dashboard/queue").text)
    assert client.post("/dashboard/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert client.get("/dashboard/queue", follow_redirects=False).status_code == 303


def test_users_command_adds_an_admin_who_can_log_in(tmp_path, monkeypatch):
    from agent.cli.main import app as cli
    from agent.store import CallStore

    monkeypatch.setenv("CARECALL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CARECALL_USER_PASSWORD", "seoyeon-pw-1")
    runner = CliRunner()
    result = runner.invoke(cli, ["user", "add", "seoyeon", "--role", "admin"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(cli, ["user", "add", "seoyeon", "--role", "admin"])
    assert again.exit_code == 1 and "이미" in again.output
    monkeypatch.delenv("CARECALL_USER_PASSWORD")
    prompted = runner.invoke(cli, ["user", "add", "dohyun"], input="dohyun-pw-1\ndohyun-pw-1\n")
    assert prompted.exit_code == 0, prompted.output
    assert runner.invoke(cli, ["user", "disable", "dohyun"]).exit_code == 0

    book = UserBook(UserStore(CallStore(f"sqlite:///{(tmp_path / 'carecall.db').resolve()}").engine))
    assert book.authenticate("seoyeon", "seoyeon-pw-1").is_admin
    assert book.get("dohyun").role == "operator" and book.authenticate("dohyun", "dohyun-pw-1") is None


# --- one name, one count per address, counted before the password is checked ----------------------------


def _try(client: TestClient, username: str, password: str) -> int:
    form = {"username": username, "password": password, "csrf": csrf_of(client.get("/dashboard/login").text)}
    return client.post("/dashboard/login", data=form, follow_redirects=False).status_code


def test_a_username_has_one_form_for_the_lockout_and_the_login(env):
    client = TestClient(env.app)
    for _ in range(5):
        assert _try(client, "minjun", "wrong-password") == 401
    for variant in ("minjun ", " MinJun", "ｍｉｎｊｕｎ", "MINJUN\t"):  # spaces, case, full-width letters
        assert _try(client, variant, "minjun-operator-pw") == 429, variant
    other = TestClient(env.app, client=("10.0.0.9", 50000))
    assert _try(other, " ＭＩＮＪＵＮ ", "minjun-operator-pw") == 303
    assert other.get("/dashboard/queue").status_code == 200
    assert {e.target_id for e in env.dash.audit.recent(action="login.failed")} == {"minjun"}

    book = env.dash.users
    assert book.add(" Seo-Yeon ", "seoyeon-pw-1").username == "seo-yeon"
    with pytest.raises(UserError, match="이미"):
        book.add("ＳＥＯ-ＹＥＯＮ", "seoyeon-pw-2")
    assert book.authenticate("SEO-YEON", "seoyeon-pw-1").username == "seo-yeon"


def test_parallel_wrong_passwords_cannot_all_slip_under_the_limit(env):
    clients = [TestClient(env.app) for _ in range(8)]
    forms = [{"username": "minjun", "password": f"wrong-{i}", "csrf": csrf_of(c.get("/dashboard/login").text)}
             for i, c in enumerate(clients)]  # fmt: skip
    start = threading.Barrier(len(clients))

    def attempt(i: int) -> int:
        start.wait(timeout=30)
        return clients[i].post("/dashboard/login", data=forms[i]).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        codes = sorted(pool.map(attempt, range(len(clients))))
    assert codes == [401] * 5 + [429] * 3
    assert len(env.dash.audit.recent(action="login.failed")) == 5  # only five passwords were tried


def _redis_throttle(**limits) -> RedisLoginThrottle:
    import uuid

    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {url}: {exc}")
    return RedisLoginThrottle(url, prefix=f"carecall-test:{uuid.uuid4().hex}:", **limits)


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_the_throttle_counts_a_try_before_saying_yes(kind):
    throttle = LoginThrottle() if kind == "memory" else _redis_throttle()
    start = threading.Barrier(16)

    def attempt(_: int):
        start.wait(timeout=30)
        return throttle.attempt("hana", "10.0.0.66")

    with ThreadPoolExecutor(16) as pool:
        granted = [a for a in pool.map(attempt, range(16)) if a is not None]
    assert len(granted) == MAX_FAILURES
    assert throttle.attempt("hana", "10.0.0.1") is not None  # the admin's own desk is not locked
    # a right password forgets the failures of that name from that address
    throttle.succeeded(throttle.attempt("minjun", "10.0.0.66"))
    assert throttle.attempt("minjun", "10.0.0.66") is not None


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_one_address_spraying_many_names_is_stopped_and_others_are_not(kind):
    throttle = LoginThrottle() if kind == "memory" else _redis_throttle()
    for i in range(MAX_ADDRESS_FAILURES):
        assert throttle.attempt(f"user{i}", "10.0.0.66") is not None
    assert throttle.attempt("someone-new", "10.0.0.66") is None
    assert throttle.attempt("someone-new", "10.0.0.7") is not None


def test_the_window_passing_unlocks_an_address():
    now = [1000.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    for _ in range(MAX_FAILURES):
        throttle.attempt("hana", "10.0.0.66")
    assert throttle.attempt("hana", "10.0.0.66") is None
    now[0] += FAILURE_WINDOW_S + 1
    assert throttle.attempt("hana", "10.0.0.66") is not None


def test_an_attacker_cannot_lock_the_admin_out(env):
    attacker = TestClient(env.app, client=("203.0.113.66", 40000))
    for _ in range(5):
        assert _try(attacker, "hana", "guess") == 401
    assert _try(attacker, "hana", "guess") == 429
    assert _try(attacker, "hana", "hana-admin-pw") == 429  # the attacker's address stays locked, even when right
    admin = TestClient(env.app, client=("10.0.0.1", 50000))
    assert _try(admin, "hana", "hana-admin-pw") == 303  # what the admin sees: a normal login
    failed = env.dash.audit.recent(action="login.failed")
    assert len(failed) == 5 and {e.detail["address"] for e in failed} == {"203.0.113.66"}  # who tried, on record


# --- sessions live on the server: logging out or a new password ends them ---------------------------------


def test_a_copied_cookie_opens_nothing_after_logout(env):
    client = login(env.app, "minjun")
    copied = client.cookies.get("carecall_session")
    thief = TestClient(env.app, cookies={"carecall_session": copied})
    assert thief.get("/dashboard/queue", follow_redirects=False).status_code == 200
    csrf = csrf_of(client.get("/dashboard/queue").text)
    assert client.post("/dashboard/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert thief.get("/dashboard/queue", follow_redirects=False).status_code == 303
    assert thief.get("/dashboard/live/events", follow_redirects=False).status_code == 303


def test_a_password_change_ends_every_session_of_that_account_only(env):
    desk, phone = login(env.app, "minjun"), login(env.app, "minjun")
    admin = login(env.app, "hana")
    env.dash.users.set_password("MinJun", "a-brand-new-pw")
    for client in (desk, phone):
        assert client.get("/dashboard/queue", follow_redirects=False).status_code == 303
    assert admin.get("/dashboard/queue", follow_redirects=False).status_code == 200
    assert _try(TestClient(env.app), "minjun", "minjun-operator-pw") == 401
    assert _try(TestClient(env.app), "minjun", "a-brand-new-pw") == 303


def test_a_session_ends_when_it_expires_even_with_a_valid_cookie(env):
    from datetime import timedelta

    from agent.store import utcnow

    client = login(env.app, "minjun")
    store = UserStore(env.store.engine)
    (session_id,) = [row.id for row in _sessions(env)]
    assert store.session_user(session_id).username == "minjun"
    assert store.session_user(session_id, now=utcnow() + timedelta(hours=13)) is None
    assert client.get("/dashboard/queue", follow_redirects=False).status_code == 200
    assert store.drop_ended_sessions(now=utcnow() + timedelta(hours=13)) == 1
    assert client.get("/dashboard/queue", follow_redirects=False).status_code == 303


def _sessions(env):
    import sqlalchemy as sa

    table = sa.Table("dashboard_sessions", sa.MetaData(), autoload_with=env.store.engine)
    with env.store.engine.connect() as conn:
        return conn.execute(sa.select(table)).all()


def test_the_cookie_carries_a_token_and_the_database_only_its_hash(env):
    import base64
    import hashlib
    import json

    client = login(env.app, "minjun")
    payload = client.cookies.get("carecall_session").split(".")[0]
    data = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(data) == {"sid", "csrf", "since"} and "minjun" not in json.dumps(data)
    (row,) = _sessions(env)
    assert row.id == hashlib.sha256(data["sid"].encode()).hexdigest() and row.revoked_at is None


# --- headers and files ---------------------------------------------------------------------------------


def test_every_dashboard_response_carries_the_security_headers(env):
    client = login(env.app, "minjun")
    responses = [
        TestClient(env.app).get("/dashboard/login"),
        TestClient(env.app).get("/dashboard/queue", follow_redirects=False),  # the redirect to the login
        client.get("/dashboard/queue"),
        client.get("/dashboard/calls/nope"),  # an error page
        client.get("/dashboard/static/app.css"),
        client.get("/dashboard/static/live.js"),
    ]
    for response in responses:
        headers = response.headers
        assert headers["x-frame-options"] == "DENY", response.url
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert "content-security-policy" not in TestClient(env.app).get("/health").headers  # not the dashboard's


def test_templates_have_no_inline_script_or_style_the_policy_would_block():
    import re
    from pathlib import Path

    import agent.dashboard

    for page in (Path(agent.dashboard.__file__).parent / "templates").glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page.name
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=|javascript:", html), page.name


def test_the_generated_secret_key_is_owner_only(tmp_path):
    from agent.dashboard.web import secret_key

    data = tmp_path / "data"
    key = secret_key(None, data)
    assert (data / "dashboard.key").stat().st_mode & 0o777 == 0o600
    assert data.stat().st_mode & 0o777 == 0o700
    assert secret_key(None, data) == key


def test_the_migration_brings_existing_usernames_to_their_one_form(tmp_path):
    import sqlalchemy as sa

    from agent.store import make_engine, migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "0004")
    engine = make_engine(url)
    users = sa.Table("users", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        for name in ("Oper2", "ＫＩＭ", "Lee", "lee", "park"):
            conn.execute(users.insert().values(username=name, password_hash="x", role="operator", disabled=False,
                                               created_at=sa.func.now()))  # fmt: skip
    migrate(url)
    with engine.connect() as conn:
        names = sorted(conn.execute(sa.select(users.c.username)).scalars())
    engine.dispose()
    assert names == ["Lee", "kim", "lee", "oper2", "park"]  # "Lee" would collide with "lee": left, with a warning
