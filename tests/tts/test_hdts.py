"""The hdts engine: loading (shipped voice, a user's checkpoint, bad files), streaming, per-call prosody, and
the shipped voice's speed/pitch/energy controls measured on its audio."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from tts import Prosody, SynthesisError, available_voices, make_synthesizer
from tts.hdts_engine import MODELS, voice_path

sys.path.insert(0, str(Path(__file__).parent))
from hdts_testkit import tiny_vocoder, tiny_voice  # noqa: E402

TEXT = "내일 오후에 다시 전화드릴게요."


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("hdts")
    syn = make_synthesizer("hdts", voice=str(tiny_voice(root / "voice.pt")), vocoder=tiny_vocoder(root / "voc.pt"),
                           chunk_frames=8)
    return syn.load()


def test_a_users_checkpoint_streams_vocoder_chunks(tiny) -> None:
    mel = tiny.mel(tiny.clauses(TEXT)[0])["mel"]
    chunks = list(tiny.stream(TEXT))
    assert tiny.sample_rate == 22050
    assert len(chunks) == -(-mel.shape[-1] // 8) > 2  # one chunk per 8 frames: the first leaves early
    assert all(c.dtype == np.int16 for c in chunks)
    assert sum(c.size for c in chunks) == mel.shape[-1] * 256
    again = list(tiny.stream(TEXT))  # cached clause: one piece, same samples
    assert len(again) == 1 and np.array_equal(again[0], np.concatenate(chunks))


def test_pauses_between_clauses(tiny) -> None:
    chunks = list(tiny.stream("네. 알겠습니다."))
    pause = [c for c in chunks if c.size and not c.any()]
    assert len(pause) == 1 and pause[0].size == int(tiny.sentence_pause_s * 22050)


def test_per_call_prosody_overrides_the_synthesizers(tiny) -> None:
    normal = tiny.synthesize(TEXT)
    slow = tiny.synthesize(TEXT, Prosody(speed=0.6))
    assert slow.size > 1.5 * normal.size
    assert tiny.synthesize(TEXT).size == normal.size  # the override did not stick


def test_concurrent_calls_share_vocoder_batches_and_get_their_own_audio(tmp_path: Path) -> None:
    """The GPU node's mode (run here on the CPU): clauses of concurrent calls are vocoded as one batch, and each
    call gets the same audio it would get alone."""
    from concurrent.futures import ThreadPoolExecutor

    voice, vocoder = str(tiny_voice(tmp_path / "voice.pt")), tiny_vocoder(tmp_path / "voc.pt")
    alone = make_synthesizer("hdts", voice=voice, vocoder=vocoder).load()
    shared = make_synthesizer("hdts", voice=voice, vocoder=vocoder, batch=True, max_wait_ms=200).load()
    texts = ["안녕하세요.", "식사는 하셨어요?", "내일 오후에 다시 전화드릴게요.", "네 분 예약되었습니다."]
    with ThreadPoolExecutor(len(texts)) as pool:
        together = list(pool.map(shared.synthesize, texts))
    assert max(shared.batched_vocoder.batcher.batch_sizes) > 1
    for text, audio in zip(texts, together):
        single = alone.synthesize(text)
        assert audio.shape == single.shape, text
        assert np.abs(audio.astype(np.int32) - single.astype(np.int32)).max() <= 2, text
    shared.batched_vocoder.close()


def test_bad_checkpoints_give_clear_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00" * 100)
    with pytest.raises(SynthesisError, match="hdts voice .*not a readable torch checkpoint"):
        make_synthesizer("hdts", voice=str(junk)).load()
    with pytest.raises(SynthesisError, match="does not exist"):
        make_synthesizer("hdts", voice=str(tmp_path / "missing.pt")).load()
    with pytest.raises(SynthesisError, match="hdts vocoder"):
        make_synthesizer("hdts", voice=str(tiny_voice(tmp_path / "v.pt")), vocoder=junk).load()
    with pytest.raises(ValueError, match="pitch"):
        make_synthesizer("hdts", pitch=3.0)


# -- the shipped voice ---------------------------------------------------------------------------------------
shipped = pytest.mark.skipif(not voice_path("ko_kumo").is_file(), reason="no shipped hdts voice")


@pytest.fixture(scope="module")
def voice():
    return make_synthesizer("hdts").load()


@shipped
def test_shipped_voice_is_listed_and_loads(voice) -> None:
    assert "ko_kumo" in available_voices("hdts") and voice_path("ko_kumo").parent == MODELS
    assert voice_path("ko_kumo").stat().st_size < 8e6
    pcm = voice.synthesize("안녕하세요.")
    assert 0.4 < pcm.size / voice.sample_rate < 3.0 and np.abs(pcm).max() > 1000


def _f0(pcm: np.ndarray) -> float:
    """Median F0 of the voiced frames (YIN with the corpus preparation's voicing decision)."""
    from tts.acoustic.features import f0

    hz = f0(pcm.astype(np.float32) / 32768, pcm.size // 256)
    return float(np.median(hz[hz > 0]))


@shipped
def test_shipped_voice_controls_measurably_change_duration_f0_and_energy(voice) -> None:
    base = voice.synthesize(TEXT)
    slow, fast = voice.synthesize(TEXT, Prosody(speed=0.75)), voice.synthesize(TEXT, Prosody(speed=1.3))
    assert slow.size > 1.2 * base.size > 1.2 ** 2 * fast.size
    low, high = voice.synthesize(TEXT, Prosody(pitch=0.8)), voice.synthesize(TEXT, Prosody(pitch=1.25))
    assert _f0(low) < 0.93 * _f0(base) and _f0(high) > 1.07 * _f0(base)

    def rms(x: np.ndarray) -> float:
        return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))

    soft, loud = voice.synthesize(TEXT, Prosody(energy=0.5)), voice.synthesize(TEXT, Prosody(energy=2.0))
    assert rms(soft) < 0.85 * rms(base) and rms(loud) > 1.15 * rms(base)
