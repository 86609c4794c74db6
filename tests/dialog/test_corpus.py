"""The written corpus of caller utterances (tests/dialog/corpus): the dialog must understand ≥ 95 %."""

from pathlib import Path

import pytest

from dialog.evaluate import accuracy_by_key, evaluate, load_corpus

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.yaml"))


def test_corpus_is_large_enough():
    total = sum(len(load_corpus(path).cases) for path in FILES if not path.name.startswith("heldout"))
    assert total >= 150


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_corpus_understood(path):
    results = evaluate(load_corpus(path))
    failed = [r.explain() for r in results if not r.passed]
    rate = 1 - len(failed) / len(results)
    assert rate >= 0.95, f"{path.name}: {rate:.1%} passed; failures:\n" + "\n".join(failed)


def test_accuracy_counts_every_check():
    corpus = load_corpus(CORPUS / "reservation.yaml")
    results = evaluate(corpus)
    by_key = accuracy_by_key(results)
    assert by_key["flags"][1] == len(corpus.cases)  # every case checks its flags
    assert sum(total for key, (_, total) in by_key.items() if key not in ("flags", "outcome")) == sum(
        len(case.expect) for case in corpus.cases
    )


def test_a_wrong_expectation_fails(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        'scenario: care_call\nnow: "2026-11-25T10:00:00+09:00"\ncases:\n'
        '  - {ask: meal, say: "네 먹었어요", expect: {meal: skipped}}\n',
        encoding="utf-8",
    )
    (result,) = evaluate(load_corpus(bad))
    assert not result.passed and result.checks == {"meal": False, "flags": True}
    assert "line 4" in result.explain()
