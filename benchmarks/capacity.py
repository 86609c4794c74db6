"""Capacity of one call server: how many simultaneous calls it carries with voice-to-voice p95 <= 1.5 s.

One ``carecall serve`` process (``call_latency.serve``: its own data and cache folders; ``CARECALL_*`` variables
pass through, e.g. the GPU node's ``CARECALL_ASR_DEVICE=cuda CARECALL_ASR_BATCH=true``) answers, after a
one-call warm-up round, one round of N simultaneous simulated calls for each N of the sweep (``--rounds`` for
more). Per N it reports voice-to-voice p50 / p95 / max (end of the caller's speech → first agent audio on the
wire), the CPU use of the server's process tree (average and peak, % of all cores, sampled every 0.5 s with
psutil), its peak resident memory, and the GPU's utilisation and memory (``nvidia-smi``; "—" without a GPU).
The last line names the largest N whose calls all completed with p95 <= the target.

    .venv/bin/python benchmarks/capacity.py                    # N = 1 2 4 8 16 (CPU)
    .venv/bin/python benchmarks/capacity.py --ns 1 8 32 64 100 # the GPU node (scripts/gpu_benchmark.sh)

Each round places N calls at once (personas taken in turn); the simulated callers run in this process, so on
a small box they compete with the server for the CPU: the load average is printed with every row.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from call_latency import caller_voices, concurrent_calls, serve  # noqa: E402

TARGET_P95_S = 1.5
SAMPLE_S = 0.5
NONE = "—"


@dataclass
class Usage:
    """What the server used during one round: CPU in % of all cores, memory in MiB, GPU figures or None."""

    cpu_avg: float
    cpu_peak: float
    rss_peak_mib: float
    gpu_util_avg: float | None = None
    gpu_util_peak: float | None = None
    gpu_mem_peak_mib: float | None = None


class ProcessTreeSampler(threading.Thread):
    """CPU time and resident memory of a process and all its descendants, every ``SAMPLE_S``."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.cpus = psutil.cpu_count() or 1
        self.cpu: list[float] = []  # % of all cores over each interval
        self.rss_mib: list[float] = []
        self.stop = threading.Event()

    def _tree(self) -> list[psutil.Process]:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def _cpu_s_and_rss(self) -> tuple[float, float]:
        cpu = rss = 0.0
        for proc in self._tree():
            try:
                times = proc.cpu_times()
                cpu += times.user + times.system
                rss += proc.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return cpu, rss / 2**20

    def run(self) -> None:
        last_cpu, _ = self._cpu_s_and_rss()
        last = time.monotonic()
        while not self.stop.wait(SAMPLE_S):
            cpu, rss = self._cpu_s_and_rss()
            now = time.monotonic()
            if now > last:
                self.cpu.append(100.0 * max(0.0, cpu - last_cpu) / ((now - last) * self.cpus))
            self.rss_mib.append(rss)
            last_cpu, last = cpu, now


class GpuSampler(threading.Thread):
    """``nvidia-smi`` utilisation and memory of every GPU (summed over GPUs for memory), every ``SAMPLE_S``."""

    def __init__(self):
        super().__init__(daemon=True)
        self.util: list[float] = []
        self.mem_mib: list[float] = []
        self.proc = subprocess.Popen(
            ["nvidia-smi", "--query-gpu=utilization.gpu,memory.used", "--format=csv,noheader,nounits",
             f"-lms={int(SAMPLE_S * 1000)}"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    @staticmethod
    def available() -> bool:
        if not shutil.which("nvidia-smi"):
            return False
        return subprocess.run(["nvidia-smi", "-L"], capture_output=True).returncode == 0

    def run(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                util, mem = (float(x) for x in line.split(","))
            except ValueError:
                continue
            self.util.append(util)
            self.mem_mib.append(mem)  # one line per GPU per sample: fine for a one-GPU node

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=5)


@dataclass
class Result:
    n: int
    calls: int
    completed: int
    latencies_s: list[float]
    usage: Usage
    load: tuple[float, float]
    wall_s: float
    failures: list[str] = field(default_factory=list)

    @property
    def p95(self) -> float | None:
        return float(np.percentile(self.latencies_s, 95)) if self.latencies_s else None

    def within(self, target_s: float) -> bool:
        return self.completed == self.calls and self.p95 is not None and self.p95 <= target_s


def _measure(pid: int, run_round) -> tuple[object, Usage]:
    """Run ``run_round()`` while sampling the server's process tree and the GPU."""
    tree = ProcessTreeSampler(pid)
    gpu = GpuSampler() if GpuSampler.available() else None
    tree.start()
    if gpu:
        gpu.start()
    try:
        outcome = run_round()
    finally:
        tree.stop.set()
        tree.join()
        if gpu:
            gpu.close()
            gpu.join(timeout=5)
    usage = Usage(
        cpu_avg=float(np.mean(tree.cpu)) if tree.cpu else 0.0, cpu_peak=max(tree.cpu, default=0.0),
        rss_peak_mib=max(tree.rss_mib, default=0.0),
    )
    if gpu and gpu.util:
        usage.gpu_util_avg, usage.gpu_util_peak = float(np.mean(gpu.util)), max(gpu.util)
        usage.gpu_mem_peak_mib = max(gpu.mem_mib)
    return outcome, usage


def sweep(ns: list[int], personas: list[str], rounds: int = 1, warm_up: bool = True,
          on_result=None) -> tuple[list[Result], float]:
    """One server; a warm-up call, then ``rounds`` rounds of N simultaneous calls per N. Returns the results and
    the server's start-up time."""
    voices = caller_voices(personas)
    results = []
    with tempfile.TemporaryDirectory() as data_dir, serve(data_dir) as server:
        pid = server.memory.pid
        if warm_up:  # the first call pays for its personal lines' synthesis and the first decodes
            asyncio.run(concurrent_calls(server.url, personas[:1], voices, 1))
        for n in ns:
            chosen = [personas[i % len(personas)] for i in range(n)]
            calls, latencies, completed, failures = 0, [], 0, []
            load_before, started = os.getloadavg()[0], time.perf_counter()
            usages = []
            for _ in range(rounds):
                done, usage = _measure(pid, lambda: asyncio.run(concurrent_calls(server.url, chosen, voices, n)))
                usages.append(usage)
                for call in done:
                    calls += 1
                    completed += bool(call.completed)
                    latencies += [x for x in call.latencies_s if x is not None]
                    if not call.completed:
                        failures.append(f"{call.call_sid}: timed_out={call.timed_out} close={call.close_code}")
            result = Result(n, calls, completed, latencies, _merge(usages), (load_before, os.getloadavg()[0]),
                            time.perf_counter() - started, failures)
            results.append(result)
            if on_result:
                on_result(result)
        return results, server.startup_s


def _merge(usages: list[Usage]) -> Usage:
    def peak(values):
        values = [v for v in values if v is not None]
        return max(values) if values else None

    gpu_avgs = [u.gpu_util_avg for u in usages if u.gpu_util_avg is not None]
    return Usage(
        cpu_avg=float(np.mean([u.cpu_avg for u in usages])), cpu_peak=max(u.cpu_peak for u in usages),
        rss_peak_mib=max(u.rss_peak_mib for u in usages),
        gpu_util_avg=float(np.mean(gpu_avgs)) if gpu_avgs else None,
        gpu_util_peak=peak([u.gpu_util_peak for u in usages]), gpu_mem_peak_mib=peak([u.gpu_mem_peak_mib for u in usages]),
    )


def _fmt(value: float | None, spec: str = ".0f") -> str:
    return NONE if value is None else format(value, spec)


def row(r: Result) -> list[str]:
    lat = r.latencies_s
    v2v = NONE if not lat else " / ".join(f"{x:.2f}" for x in (*np.percentile(lat, [50, 95]), max(lat)))
    u = r.usage
    gpu = NONE if u.gpu_util_avg is None else f"{u.gpu_util_avg:.0f} / {u.gpu_util_peak:.0f}"
    return [str(r.n), f"{r.completed}/{r.calls}", str(len(lat)), v2v, f"{u.cpu_avg:.0f} / {u.cpu_peak:.0f}",
            f"{u.rss_peak_mib:.0f}", gpu, _fmt(u.gpu_mem_peak_mib), f"{r.load[0]:.1f}→{r.load[1]:.1f}", f"{r.wall_s:.0f}"]


def capacity(results: list[Result], target_s: float = TARGET_P95_S) -> int | None:
    """The largest N whose calls all completed with voice-to-voice p95 within the target."""
    fitting = [r.n for r in results if r.within(target_s)]
    return max(fitting) if fitting else None


def report(results: list[Result], startup_s: float, target_s: float, console: Console) -> None:
    table = Table("N", "calls ok", "turns", "v2v p50 / p95 / max (s)", "CPU avg / peak (% of all)", "RSS peak (MiB)",
                  "GPU util avg / peak (%)", "GPU mem peak (MiB)", "load 1-min", "round (s)",
                  title="Capacity: N simultaneous simulated calls against one `carecall serve`")
    for r in results:
        table.add_row(*row(r))
    console.print(table)
    best = capacity(results, target_s)
    console.print(f"largest N with every call completed and voice-to-voice p95 <= {target_s:.1f} s: "
                  + (str(best) if best is not None else "none of those tried"))
    for r in results:
        for failure in r.failures:
            console.print(f"  N={r.n} call not completed: {failure}")
    console.print(f"server start-up to ready: {startup_s:.1f} s; {psutil.cpu_count()} CPUs; GPU: "
                  + ("yes" if GpuSampler.available() else "none") + "; CARECALL_ overrides: "
                  + (", ".join(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("CARECALL_")) or "none"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ns", nargs="+", type=int, default=[1, 2, 4, 8, 16], metavar="N",
                        help="simultaneous calls per round, in order (default 1 2 4 8 16)")
    parser.add_argument("--personas", nargs="+", default=["well", "fever_cough", "fall_low_mood"])
    parser.add_argument("--rounds", type=int, default=1, help="rounds of N simultaneous calls per N (default 1)")
    parser.add_argument("--target", type=float, default=TARGET_P95_S, help="voice-to-voice p95 target in s")
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                        help="skip the one-call round that warms the server before the sweep")
    args = parser.parse_args()
    if any(n < 1 for n in args.ns) or args.rounds < 1:
        parser.error("every N and --rounds must be at least 1")
    console = Console(width=180)
    results, startup_s = sweep(args.ns, args.personas, args.rounds, args.warm_up,
                               on_result=lambda r: print("N done: " + " | ".join(row(r)), flush=True))
    report(results, startup_s, args.target, console)


if __name__ == "__main__":
    main()
