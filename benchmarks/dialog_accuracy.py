"""Dialog understanding accuracy on the written corpora (tests/dialog/corpus), per answer type.

Each corpus case starts a session at one question, hands it one caller utterance and checks every
expected answer, the exact set of flags, and the outcome where one is given. Pure text: no audio, no ASR.

    .venv/bin/python benchmarks/dialog_accuracy.py                 # every corpus
    .venv/bin/python benchmarks/dialog_accuracy.py --failures      # and list what was wrong
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dialog.evaluate import accuracy_by_key, evaluate, load_corpus  # noqa: E402

CORPUS_DIR = Path(__file__).resolve().parents[1] / "tests" / "dialog" / "corpus"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpora", nargs="*", type=Path, help="corpus files (default: all in tests/dialog/corpus)")
    parser.add_argument("--failures", action="store_true", help="print each failed case")
    args = parser.parse_args()
    paths = args.corpora or sorted(CORPUS_DIR.glob("*.yaml"))

    print(f"{'corpus':<26}{'cases':>7}{'passed':>9}{'rate':>8}{'ms/case':>9}")
    by_key_total: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    for path in paths:
        corpus = load_corpus(path)
        started = time.perf_counter()
        results = evaluate(corpus)
        took_ms = (time.perf_counter() - started) * 1000 / max(1, len(results))
        passed = sum(r.passed for r in results)
        print(f"{path.stem:<26}{len(results):>7}{passed:>9}{passed / len(results):>8.1%}{took_ms:>9.2f}")
        for key, (right, total) in accuracy_by_key(results).items():
            by_key_total[key][0] += right
            by_key_total[key][1] += total
        failures += [f"{path.name}: {r.explain()}" for r in results if not r.passed]

    print(f"\n{'answer type':<26}{'checks':>7}{'right':>9}{'accuracy':>10}")
    for key, (right, total) in sorted(by_key_total.items()):
        print(f"{key:<26}{total:>7}{right:>9}{right / total:>10.1%}")
    if args.failures and failures:
        print("\nfailures:")
        for line in failures:
            print(f"  {line}")


if __name__ == "__main__":
    main()
