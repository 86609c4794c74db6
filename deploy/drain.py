"""Before a call server is stopped: wait until its calls have ended, so the stop cuts none.

A Kubernetes preStop hook (`python /opt/carecall/drain.py`): the pod has already left the Service's endpoints,
so no new call arrives; this waits a few seconds for the load balancer to notice, then until no TCP connection
to the server's port is open (a call is one media websocket; idle HTTP keep-alives close within uvicorn's 5 s),
at most --max-wait seconds (default: CARECALL_MAX_CALL_S + 30). Then the kubelet sends SIGTERM, and any call
still open is recorded ``server_stopped``. Reads /proc/net/tcp{,6}: Linux only, no dependencies.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

ESTABLISHED = "01"


def open_connections(port: int, tables: tuple[Path, ...] = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))) -> int:
    """Established TCP connections whose local end is ``port`` (clients connected to the server)."""
    count = 0
    for table in tables:
        try:
            lines = table.read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state == ESTABLISHED and int(local.rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("CARECALL_PORT", "8765")))
    parser.add_argument("--lb-delay", type=float, default=10.0, help="seconds for the load balancer to stop routing")
    parser.add_argument("--max-wait", type=float, default=float(os.environ.get("CARECALL_MAX_CALL_S", "600")) + 30)
    parser.add_argument("--poll", type=float, default=2.0)
    args = parser.parse_args(argv)
    time.sleep(args.lb_delay)
    deadline = time.monotonic() + args.max_wait
    while (left := open_connections(args.port)) and time.monotonic() < deadline:
        print(f"drain: {left} connection(s) open on :{args.port}", flush=True)
        time.sleep(args.poll)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
