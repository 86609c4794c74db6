"""Dashboard accounts: admin and operator roles, argon2 password hashes, logged-in sessions (kept by
``agent.store.UserStore``). A username has one form everywhere: ``normalize_username``."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from agent.store import DuplicateUsername, UserRecord, UserStore, utcnow

ROLES = ("admin", "operator")
MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class UserError(ValueError):
    """A user could not be created or changed (duplicate name, bad role, short password)."""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    disabled: bool

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def normalize_username(username: str) -> str:
    """The one form a username is stored, looked up and throttled under: NFKC (full-width letters become
    plain ones), trimmed, case-folded. "Oper2 ", "ｏｐｅｒ２" and "oper2" are the same account."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class UserBook:
    def __init__(self, users: UserStore):
        self._users = users

    def add(self, username: str, password: str, role: str = "operator") -> Account:
        username = normalize_username(username)
        _check(username, password, role)
        try:
            return _account(self._users.add(username, hash_password(password), role))
        except DuplicateUsername as exc:
            raise UserError(f"사용자 '{username}'이(가) 이미 있습니다.") from exc

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account if the password matches and the account is enabled; rehashes outdated hashes."""
        user = self._users.get(normalize_username(username))
        if user is None:
            verify_password(_DUMMY_HASH, password)
            return None
        if not verify_password(user.password_hash, password) or user.disabled:
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            self._users.update(user.username, password_hash=hash_password(password))
        return _account(user)

    def get(self, username: str) -> Account | None:
        user = self._users.get(normalize_username(username))
        return _account(user) if user else None

    def all(self) -> list[Account]:
        return [_account(u) for u in self._users.all()]

    def set_password(self, username: str, password: str) -> None:
        """A new password; every session of the account ends (whoever knew the old one is logged out)."""
        username = normalize_username(username)
        _check(username, password, "operator")
        self._change(username, password_hash=hash_password(password), end_sessions=True)

    def set_disabled(self, username: str, disabled: bool) -> None:
        self._change(normalize_username(username), disabled=disabled)

    def set_role(self, username: str, role: str) -> None:
        if role not in ROLES:
            raise UserError(f"역할은 {', '.join(ROLES)} 중 하나여야 합니다.")
        self._change(normalize_username(username), role=role)

    def _change(self, username: str, **values) -> None:
        if not self._users.update(username, **values):
            raise UserError(f"사용자 '{username}'이(가) 없습니다.")

    # --- sessions: the cookie carries a random token, the database the token's hash -----------------------

    def start_session(self, account: Account, lifetime: timedelta) -> str:
        """A new session of ``account``; returns the token for the cookie."""
        self._users.drop_ended_sessions()
        token = secrets.token_urlsafe(32)
        self._users.open_session(account.id, _session_id(token), utcnow() + lifetime)
        return token

    def session_account(self, token: str) -> Account | None:
        """The account a session token belongs to, if the session is still live and the account enabled."""
        user = self._users.session_user(_session_id(token))
        return _account(user) if user else None

    def end_session(self, token: str) -> None:
        self._users.revoke_session(_session_id(token))


def _session_id(token: str) -> str:
    """What the database keeps of a token: its hash, so a copy of the database opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check(username: str, password: str, role: str) -> None:
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise UserError("사용자 이름은 공백 없이 1–100자여야 합니다.")
    if role not in ROLES:
        raise UserError(f"역할은 {', '.join(ROLES)} 중 하나여야 합니다.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"비밀번호는 {MIN_PASSWORD_LENGTH}자 이상이어야 합니다.")


def _account(user: UserRecord) -> Account:
    return Account(id=user.id, username=user.username, role=user.role, disabled=user.disabled)
