"""Logins, sessions, roles, CSRF and the users command."""

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from agent.dashboard.users import UserBook, UserError
from agent.dashboard.web import RedisLoginThrottle
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
    first.state.dashboard.throttle.succeeded("minjun")  # an admin reset (or the window passing) unlocks it
    assert two.post("/dashboard/login", data=good, follow_redirects=False).status_code == 303


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
