"""``carecall serve`` refuses to run open to anyone: a host other machines reach, or a public URL, with no Twilio
auth token to check signatures, stops before anything loads unless the operator says so by name."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agent.call.engines import Engines
from agent.cli.main import app
from telephony.security import INSECURE_FLAG, exposure_problem, is_loopback


class Loaded(Exception):
    """Raised where the server would start loading its models: the safety check let it through."""


@pytest.fixture
def serve(monkeypatch, tmp_path):
    """``carecall serve`` with a clean environment; loading the models stands for 'it would serve'."""
    for name in ("CARECALL_HOST", "CARECALL_PUBLIC_URL", "CARECALL_TWILIO_AUTH_TOKEN", "CARECALL_TWILIO_ACCOUNT_SID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("CARECALL_DATA_DIR", str(tmp_path))

    def load(*_args, **_kwargs):
        raise Loaded

    monkeypatch.setattr(Engines, "load", load)

    def run(*args: str, **env: str):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return CliRunner().invoke(app, ["serve", *args])

    return run


def test_an_open_host_without_a_token_is_refused_with_what_to_do(serve):
    result = serve(CARECALL_HOST="0.0.0.0")
    assert result.exit_code == 2
    assert "refusing to serve: CARECALL_HOST=0.0.0.0 is reachable from other machines" in result.output
    assert "CARECALL_TWILIO_AUTH_TOKEN" in result.output and INSECURE_FLAG in result.output
    assert not isinstance(result.exception, Loaded)  # stopped before any model loads


def test_a_public_url_without_a_token_is_refused_even_on_loopback(serve):
    result = serve(CARECALL_HOST="127.0.0.1", CARECALL_PUBLIC_URL="https://agent.example.org")
    assert result.exit_code == 2
    assert "a public URL is configured (CARECALL_PUBLIC_URL=https://agent.example.org)" in result.output


def test_the_named_flag_serves_open_on_purpose_with_a_warning(serve):
    result = serve(INSECURE_FLAG, CARECALL_HOST="0.0.0.0")
    assert isinstance(result.exception, Loaded)
    assert "WARNING: no Twilio signature checks" in result.output


def test_loopback_without_a_token_and_any_host_with_a_token_serve(serve):
    assert isinstance(serve().exception, Loaded)  # the default 127.0.0.1, no public URL
    assert isinstance(serve(CARECALL_HOST="0.0.0.0", CARECALL_TWILIO_AUTH_TOKEN="x" * 32).exception, Loaded)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("10.0.0.5", False), ("agent.example.org", False)],
)
def test_which_hosts_only_this_machine_reaches(host, loopback):
    assert is_loopback(host) is loopback
    assert (exposure_problem(host, None, None) is None) is loopback
    assert exposure_problem(host, "https://agent.example.org", "token") is None
