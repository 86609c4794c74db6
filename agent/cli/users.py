"""``carecall user …``: dashboard accounts from the command line."""

from __future__ import annotations

import typer
from rich.console import Console

from agent.settings import Settings

users_app = typer.Typer(help="Dashboard users (admin and operator accounts).", no_args_is_help=True)
console = Console()
PASSWORD_ENV = "CARECALL_USER_PASSWORD"


def _book():
    from agent.dashboard.users import UserBook
    from agent.store import UserStore, make_engine, migrate

    settings = Settings()
    migrate(settings.resolved_database_url)
    return UserBook(UserStore(make_engine(settings.resolved_database_url)))


# A one-off secret of the command, not a server setting: Typer (click) reads it from $CARECALL_USER_PASSWORD,
# so scripts never put it on a command line that other users of the machine could see.
PASSWORD = typer.Option(
    None, "--password", envvar=PASSWORD_ENV, hidden=True,
    help="Read from $CARECALL_USER_PASSWORD (for scripts); prompted twice without echo when unset.",
)


def _password(given: str | None) -> str:
    """The password from $CARECALL_USER_PASSWORD, else asked twice without echo."""
    return given or typer.prompt("비밀번호", hide_input=True, confirmation_prompt=True)


def _run(action) -> None:
    from agent.dashboard.users import UserError

    try:
        action()
    except UserError as exc:
        console.print(str(exc), style="red", markup=False)
        raise typer.Exit(1) from exc


@users_app.command("add")
def add(
    username: str,
    role: str = typer.Option("operator", help="admin or operator."),
    password: str | None = PASSWORD,
) -> None:
    """Create a user (password prompted, or read from $CARECALL_USER_PASSWORD)."""
    book = _book()
    _run(lambda: book.add(username, _password(password), role))
    console.print(f"사용자 {username} ({role})를 만들었습니다.", markup=False)


@users_app.command("passwd")
def passwd(username: str, password: str | None = PASSWORD) -> None:
    """Set a new password (prompted, or read from $CARECALL_USER_PASSWORD)."""
    book = _book()
    _run(lambda: book.set_password(username, _password(password)))
    console.print(f"{username}의 비밀번호를 바꿨습니다.", markup=False)


@users_app.command("disable")
def disable(username: str) -> None:
    """Stop a user from logging in (their open sessions end at the next request)."""
    book = _book()
    _run(lambda: book.set_disabled(username, True))
    console.print(f"{username}을(를) 비활성화했습니다.", markup=False)


@users_app.command("enable")
def enable(username: str) -> None:
    book = _book()
    _run(lambda: book.set_disabled(username, False))
    console.print(f"{username}을(를) 활성화했습니다.", markup=False)


@users_app.command("list")
def list_users() -> None:
    from rich.table import Table

    table = Table("username", "role", "disabled")
    for account in _book().all():
        table.add_row(account.username, account.role, "yes" if account.disabled else "")
    console.print(table)
