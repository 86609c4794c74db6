"""The acoustic model's recipes on a tiny corpus: prepare, train, resume, export, load, control, errors."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from tts.acoustic.checkpoint import CheckpointError, load_acoustic
from tts.acoustic.model import AcousticConfig, AcousticModel, Stats, length_regulate
from tts.acoustic.symbols import SYMBOLS, encode, ipa_to_phonemes, text_to_phonemes

sys.path.insert(0, str(Path(__file__).parent))
from hdts_testkit import TEXTS, TINY, make_kss_corpus  # noqa: E402

pytest.importorskip("nemo.collections.tts", reason="the aligner comes from NeMo")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    from tts.recipes.prepare import prepare

    src = make_kss_corpus(tmp_path_factory.mktemp("kss"))
    out = tmp_path_factory.mktemp("prepared")
    prepare(src, out, progress=False)
    return out


@pytest.fixture(scope="module")
def trained(prepared: Path, tmp_path_factory) -> Path:
    from tts.recipes.acoustic import train_acoustic

    out = tmp_path_factory.mktemp("acoustic")
    train_acoustic(prepared, out, steps=3, batch_size=2, config=TINY, checkpoint_every=2, progress=False)
    return out


def test_phonemes_are_units_of_the_fixed_inventory() -> None:
    assert ipa_to_phonemes("haʔkjo ɡajo?") == ["h", "a", "ʔ", "k", "j", "o", "_", "ɡ", "a", "j", "o", "?"]
    assert text_to_phonemes("차 타요.") == ["ʨʰ", "a", "_", "tʰ", "a", "j", "o", "."]
    for text in TEXTS + ["7시 30분에 3명, 예약할게요!", "의사 선생님 괜찮아요"]:
        phonemes = text_to_phonemes(text)
        assert phonemes and len(encode(phonemes)) == len(phonemes)  # nothing the G2P emits is dropped


def test_prepare_writes_the_shared_corpus_format(prepared: Path) -> None:
    rows = [json.loads(line) for line in (prepared / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in rows] == TEXTS  # the missing wav is skipped
    stats = json.loads((prepared / "stats.json").read_text())
    assert stats["skipped"] == 1 and stats["utterances"] == 4
    for row in rows:
        info = sf.info(prepared / row["wav"])
        assert (info.samplerate, info.channels, info.subtype) == (22050, 1, "PCM_16")
        assert row["n_frames"] == info.frames // 256
        feats = np.load(prepared / row["features"])
        assert feats["mel"].shape == (80, row["n_frames"]) and feats["f0"].shape == (row["n_frames"],)
        assert (feats["f0"] > 0).mean() > 0.3  # the harmonic bursts are found voiced
        assert all(p in SYMBOLS for p in row["phonemes"].split())


def test_train_resume_export_load_round_trip(prepared: Path, trained: Path) -> None:
    from tts.recipes.acoustic import train_acoustic

    log = [json.loads(line) for line in (trained / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3] and all(np.isfinite(r["loss"]) for r in log)
    exported = train_acoustic(prepared, trained, steps=5, batch_size=2, resume=True, progress=False)
    log = [json.loads(line) for line in (trained / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log][-2:] == [4, 5]  # continued, not restarted
    acoustic = load_acoustic(exported)
    assert acoustic.step == 5 and acoustic.symbols == SYMBOLS and acoustic.model.cfg.d_model == TINY["d_model"]
    assert exported.stat().st_size < (trained / "checkpoint.pt").stat().st_size  # no aligner/optimiser, fp16
    training = load_acoustic(trained / "checkpoint.pt")  # the same loader reads training checkpoints
    tokens = torch.tensor([encode(text_to_phonemes("식사는 하셨어요?"))])
    a = acoustic.model.infer(tokens, acoustic.stats)
    b = training.model.infer(tokens, training.stats)
    assert a["mel"].shape[1] == 80 and a["mel"].shape[2] == int(a["durations"].sum())
    assert torch.allclose(a["mel"], b["mel"], atol=0.05)  # fp16 export ≈ training weights


def test_speed_pitch_energy_change_duration_f0_energy() -> None:
    torch.manual_seed(0)
    model = AcousticModel(AcousticConfig(n_symbols=len(SYMBOLS), **TINY)).eval()
    with torch.no_grad():
        model.duration.out.bias.fill_(2.0)  # ≈6 frames per phoneme, so rounding stays small
    stats = Stats(pitch_mean=np.log(120.0), pitch_std=0.25, energy_mean=0.0, energy_std=1.0)
    tokens = torch.tensor([encode(text_to_phonemes("내일 다시 전화드릴게요."))])
    base = model.infer(tokens, stats)
    slow = model.infer(tokens, stats, speed=0.5)
    assert slow["mel"].shape[-1] > 1.8 * base["mel"].shape[-1]
    high = model.infer(tokens, stats, pitch=1.25)
    assert torch.allclose(high["pitch_hz"], base["pitch_hz"] * 1.25, rtol=1e-4)
    loud = model.infer(tokens, stats, energy=2.0)
    assert torch.allclose(loud["energy"] - base["energy"], torch.full_like(base["energy"], np.log(2.0)), atol=1e-4)
    assert not torch.allclose(high["mel"], base["mel"]) and not torch.allclose(loud["mel"], base["mel"])


def test_length_regulator_repeats_each_phoneme() -> None:
    h = torch.arange(3.0).view(1, 3, 1)
    frames, pad = length_regulate(h, torch.tensor([[2, 0, 3]]))
    assert frames.view(-1).tolist() == [0, 0, 2, 2, 2] and not pad.any()


def test_bad_checkpoints_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        load_acoustic(tmp_path / "none.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable torch checkpoint"):
        load_acoustic(junk)
    other = tmp_path / "other.pt"
    torch.save({"generator": {}}, other)
    with pytest.raises(CheckpointError, match="not a carecall HDTS acoustic checkpoint"):
        load_acoustic(other)
