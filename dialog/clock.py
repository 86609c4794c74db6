"""Korea's time zone: the clock every call, booking, dashboard page and calling-hours check is read in.

Defined once here, in dialog/ (the lowest layer every room may import), so that "today" and "7 pm" mean the same
instant to the dialog, the call runner, the campaign carrier and the dashboard.
"""

from __future__ import annotations

from datetime import timedelta, timezone, tzinfo

KOREA_TIME_ZONE = "Asia/Seoul"


def _seoul() -> tzinfo:
    """The IANA zone; a fixed UTC+9 where the machine has no time zone database (Windows without the ``tzdata``
    package, slim containers). The two agree on every date since 1988: Korea keeps no daylight saving time."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(KOREA_TIME_ZONE)
    except Exception:  # ZoneInfoNotFoundError: no time zone database
        return timezone(timedelta(hours=9), "KST")


SEOUL: tzinfo = _seoul()
