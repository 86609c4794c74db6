"""Phone numbers as people write them in Korea (010-1234-5678) or in E.164 (+821012345678)."""

from __future__ import annotations

import re

_E164 = re.compile(r"\+[1-9]\d{7,14}")
# Korean national numbers: mobile 01x, Seoul 02, regions 03x–06x, internet phones 070.
_KOREAN = re.compile(r"0(1[016789]\d{7,8}|2\d{7,8}|[3-6][1-5]\d{7,8}|70\d{8})")
_SEPARATORS = re.compile(r"[\s\-.()]")


class PhoneError(ValueError):
    """A number that is neither E.164 nor a Korean national number."""


def normalize_phone(raw: str) -> str:
    """``010-1234-5678`` → ``+821012345678``; an E.164 number is kept (separators removed)."""
    text = _SEPARATORS.sub("", raw or "")
    if not text:
        raise PhoneError("phone number is empty")
    if text.startswith("+"):
        if text.startswith("+820"):  # +82 010-… is a common mistake: the trunk 0 is dropped abroad
            text = "+82" + text[4:]
        if _E164.fullmatch(text):
            return text
        raise PhoneError(f"'{raw}' is not an E.164 number (+ country code, 8–15 digits)")
    if _KOREAN.fullmatch(text):
        return "+82" + text[1:]
    raise PhoneError(f"'{raw}' is not a phone number (expected +821012345678 or 010-1234-5678)")
