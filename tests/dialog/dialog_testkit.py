"""Helpers shared by the dialog tests (a uniquely named module: tests/dialog has no __init__.py)."""

from datetime import datetime

MORNING = datetime(2025, 3, 3, 9, 30)


def talk(session, lines):
    """Start the call and play caller lines (None = silence); return every reply, greeting first."""
    replies = [session.start()]
    for line in lines:
        replies.append(session.handle_silence() if line is None else session.handle(line))
    return replies
