"""Which process runs a call: a token stamped on the call record when it starts, so the server that starts
after a crash can tell a call whose process is gone from one another live server is still running."""

from __future__ import annotations

import os
import socket
from functools import cache
from pathlib import Path


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), which a reused pid does not share."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


@cache
def this_process() -> str:
    """``host:pid:start``: this process, unlike any other one before or after it on this host."""
    return f"{socket.gethostname()}:{os.getpid()}:{_start_ticks(os.getpid()) or '-'}"


def owner_alive(owner: str) -> bool:
    """Whether the process named by ``owner`` may still be running. A process on another host cannot be
    checked from here (True: the age limit of ``CallStore.recover_abandoned`` settles those)."""
    host, _, rest = owner.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    if owner == this_process():
        return True
    pid = int(pid_text)
    ticks = _start_ticks(pid)
    if ticks is not None:
        return ticks == started
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return started == "-"
