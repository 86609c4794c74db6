"""Phone numbers as people write them in Korea (010-1234-5678) or in E.164 (+821012345678), in both directions.

One parser, two views of its result:

- ``to_e164(text)`` — the form the campaign contacts, the line directory and Twilio use; a number that cannot
  be read raises ``PhoneNumberError`` saying what to fix (a CSV row or a lines file is wrong, a person must act).
- ``national_digits(text)`` — the digits a Korean caller says and a booking stores (01012345678), or None when
  the text is not a Korean number (caller ID that is missing, foreign or garbled is simply not used).

It lives in dialog/ because dialog is the lowest layer every other room may import; it is pure Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

E164 = re.compile(r"\+[1-9]\d{7,14}")
# Korean national numbers: mobile 01x, Seoul 02, regions 03x–06x, internet phones 070.
KOREAN_NATIONAL = re.compile(r"0(1[016789]\d{7,8}|2\d{7,8}|[3-6][1-5]\d{7,8}|70\d{8})")
SEPARATORS = re.compile(r"[\s\-.()]")
KOREA = "+82"


class PhoneNumberError(ValueError):
    """A number that is neither E.164 nor a Korean national number; the message says what is expected."""


@dataclass(frozen=True)
class PhoneNumber:
    """A checked number, kept in E.164."""

    e164: str

    @property
    def national(self) -> str | None:
        """Korean national digits with the trunk 0 (+821012345678 → 01012345678); None for a foreign number."""
        return "0" + self.e164[len(KOREA):] if self.e164.startswith(KOREA) else None


def parse(text: str) -> PhoneNumber:
    """Read a number: separators (spaces, ``-``, ``.``, brackets) are ignored; ``+82 010-…`` (the trunk 0 kept
    after the country code, a common mistake) is accepted as ``+82 10-…``."""
    compact = SEPARATORS.sub("", text or "")
    if not compact:
        raise PhoneNumberError("phone number is empty")
    if compact.startswith("+"):
        if compact.startswith(KOREA + "0"):  # the trunk 0 is dropped after the country code
            compact = KOREA + compact[len(KOREA) + 1:]
        if E164.fullmatch(compact):
            return PhoneNumber(compact)
        raise PhoneNumberError(f"'{text}' is not an E.164 number (+ country code, 8–15 digits)")
    if KOREAN_NATIONAL.fullmatch(compact):
        return PhoneNumber(KOREA + compact[1:])
    raise PhoneNumberError(f"'{text}' is not a phone number (expected +821012345678 or 010-1234-5678)")


def to_e164(text: str) -> str:
    """``010-1234-5678`` → ``+821012345678``; an E.164 number is kept (separators removed).
    Raises ``PhoneNumberError`` with what to fix."""
    return parse(text).e164


def national_digits(text: str) -> str | None:
    """``+82 10-5555-6666`` or ``010-5555-6666`` → ``01055556666``; None if it is not a Korean number."""
    try:
        return parse(text).national
    except PhoneNumberError:
        return None
