"""``carecall tts``: prepare a KSS-style corpus, train both models a few steps, synthesise with the result."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import soundfile as sf
from typer.testing import CliRunner

from agent.cli.main import app

sys.path.insert(0, str(Path(__file__).parent))
from hdts_testkit import TINY, make_kss_corpus, tiny_vocoder  # noqa: E402

pytest.importorskip("nemo.collections.tts", reason="the aligner comes from NeMo")
runner = CliRunner()
TINY_PWG = {"layers": 4, "stacks": 2, "residual_channels": 8, "gate_channels": 16, "skip_channels": 8,
            "aux_context_window": 1}


def _ok(args: list[str]):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def test_prepare_train_resume_and_synthesize(tmp_path: Path) -> None:
    src = make_kss_corpus(tmp_path / "kss")
    data, run = tmp_path / "data", tmp_path / "run"
    out = _ok(["tts", "prepare", str(src), "--out", str(data)]).output
    assert "prepared 4 utterances" in out and "1 skipped" in out
    size = tmp_path / "tiny.json"
    size.write_text(json.dumps(TINY))
    _ok(["tts", "train-acoustic", str(data), "--out", str(run), "--steps", "2", "--batch-size", "2",
         "--config", str(size), "--align-steps", "1"])
    _ok(["tts", "train-acoustic", str(data), "--out", str(run), "--steps", "3", "--batch-size", "2", "--resume"])
    steps = [json.loads(line)["step"] for line in (run / "train_log.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3]
    voc = tmp_path / "voc"
    (tmp_path / "pwg.json").write_text(json.dumps(TINY_PWG))
    _ok(["tts", "train-vocoder", str(data), "--out", str(voc), "--steps", "1", "--batch-size", "2",
         "--config", str(tmp_path / "pwg.json")])
    assert list(voc.glob("*.pt"))
    wav = tmp_path / "out.wav"
    out = _ok(["tts", "synthesize", "안녕하세요. 식사는 하셨어요?", "--voice", str(run / "acoustic.pt"),
               "--vocoder", str(tiny_vocoder(tmp_path / "v.pt")), "--speed", "0.8", "--pitch", "0.9", "-o", str(wav)]).output
    assert "wrote" in out
    info = sf.info(wav)
    assert info.samplerate == 22050 and info.frames > 0


def test_synthesize_with_a_bad_checkpoint_says_why(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_text("nope")
    result = runner.invoke(app, ["tts", "synthesize", "안녕하세요", "--voice", str(bad), "-o", str(tmp_path / "x.wav")])
    assert result.exit_code == 1 and "not a readable torch checkpoint" in " ".join(result.output.split())
    assert not (tmp_path / "x.wav").exists()
