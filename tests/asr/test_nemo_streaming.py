"""The NeMo streaming engine with the committed small model: restore_from, 20 ms telephone packets,
growing partials, CER on held-out synthetic speech, exactness against NeMo's own streaming loop, shared-model
sessions, and clear start-up errors."""
from __future__ import annotations

import subprocess
import sys
import tarfile
import threading

import numpy as np
import pytest

from nemo_testkit import make_held_out, require_nemo, stream_mulaw, total_cer

require_nemo()

from asr import ModelError, make_recognizer  # noqa: E402
from asr.nemo import DEFAULT_MODEL  # noqa: E402

N_CLIPS = 14


@pytest.fixture(scope="module")
def rec():
    r = make_recognizer("nemo")
    r.load()
    return r


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return make_held_out(N_CLIPS, tmp_path_factory.mktemp("held_out"))


@pytest.fixture(scope="module")
def streamed(rec, clips):
    """Every clip streamed as 8 kHz µ-law packets: (partials, raw final) per clip."""
    out = []
    for clip in clips:
        session = rec.session(input_rate=8000)
        partials = stream_mulaw(session, clip.mulaw_8k)
        out.append((partials, session.finish()))
    return out


def test_committed_model_loads_through_restore_from_with_its_own_parameters(rec):
    from nemo.collections.asr.models import ASRModel

    assert DEFAULT_MODEL.exists() and DEFAULT_MODEL.stat().st_size < 8_000_000
    assert isinstance(rec.model, ASRModel)
    info = rec.info
    assert info.path == str(DEFAULT_MODEL)
    assert (info.sample_rate, info.decoder, info.subsampling) == (16000, "ctc", 8)
    assert " " in info.vocabulary and {"네", "명", "공", "약"} <= set(info.vocabulary)
    assert info.chunk_ms == 640 and sorted(info.chunk_choices_ms()) == [160, 320, 640]
    assert rec.sample_rate == 16000


def test_held_out_phone_audio_streams_with_growing_partials_and_low_cer(clips, streamed):
    pairs = []
    for clip, (partials, final) in zip(clips, streamed):
        assert final, f"nothing recognised for {clip.text!r} ({clip.voice})"
        assert partials and all(p.strip() for p in partials), clip.text
        if len(clip.text.replace(" ", "")) >= 8:  # long turns show the hypothesis growing while they are spoken
            sizes = [len(p.replace(" ", "")) for p in partials]
            assert len(partials) >= 2 and sizes[-1] > sizes[0], (clip.text, partials)
        pairs.append((clip.text, final))
    cer = total_cer(pairs)
    print(f"held-out CER {cer:.2%}:", *(f"{r} -> {h}" for r, h in pairs if r.replace(' ', '') != h.replace(' ', '')))
    assert cer < 0.15


def test_packet_loop_equals_nemo_streaming_over_the_whole_spectrogram(rec, clips):
    """Our incremental features + chunking give what NeMo's CacheAwareStreamingAudioBuffer gives."""
    import torch
    from nemo.collections.asr.parts.utils.streaming_utils import CacheAwareStreamingAudioBuffer

    model = rec.model
    for clip in clips[:4]:
        buffer = CacheAwareStreamingAudioBuffer(model=model)
        with torch.inference_mode():
            feats, length = model.preprocessor(input_signal=torch.from_numpy(clip.audio)[None],
                                               length=torch.tensor([clip.audio.size]))
        buffer.append_processed_signal(feats[:, :, : int(length[0])])  # the valid frames, as the stream has
        cache = model.encoder.get_initial_cache_state(batch_size=1)
        pred, text = None, ""
        with torch.inference_mode():
            for step, (chunk, lengths) in enumerate(iter(buffer)):
                result = model.conformer_stream_step(
                    processed_signal=chunk, processed_signal_length=lengths, cache_last_channel=cache[0],
                    cache_last_time=cache[1], cache_last_channel_len=cache[2],
                    keep_all_outputs=buffer.is_buffer_empty(), previous_pred_out=pred,
                    drop_extra_pre_encoded=0 if step == 0 else model.encoder.streaming_cfg.drop_extra_pre_encoded,
                    return_transcription=True)
                pred, texts, cache = result[0], result[1], result[2:5]
                text = texts[0] if isinstance(texts[0], str) else texts[0].text
        session = rec.session()
        for i in range(0, clip.audio.size, 320):
            session.push(clip.audio[i:i + 320])
        assert session.finish() == text, clip.text


def test_incremental_features_equal_the_whole_clip_features(rec, clips):
    import torch

    from asr.nemo.features import IncrementalFeatures

    audio = clips[0].audio
    feats = IncrementalFeatures(rec.model.preprocessor, "cpu")
    parts = [feats.push(audio[i:i + 320]) for i in range(0, audio.size, 320)] + [feats.flush()]
    streamed = np.concatenate(parts, axis=1)
    with torch.inference_mode():
        whole, length = rec.model.preprocessor(input_signal=torch.from_numpy(audio)[None],
                                               length=torch.tensor([audio.size]))
    whole = whole[0, :, : int(length[0])].numpy()
    assert streamed.shape == whole.shape
    assert np.abs(streamed - whole).max() < 1e-3


def test_final_results_are_inverse_normalised(rec, clips, streamed):
    from asr.itn import normalize

    for clip, (_partials, raw) in zip(clips, streamed):
        if raw == clip.text:
            assert rec.postprocess(raw) == normalize(clip.text)
    assert rec.postprocess("저녁 일곱 시 반에 세 명") == "저녁 7시 30분에 3명"
    assert rec.postprocess("공일공 일이삼사 오육칠팔") == "01012345678"


def test_concurrent_calls_share_the_model_and_keep_their_own_caches(rec, clips, streamed):
    """Two sessions interleaved packet by packet, and four in threads, give each clip its solo result."""
    a, b = clips[0], clips[1]
    sa, sb = rec.session(8000), rec.session(8000)
    for i in range(0, max(len(a.mulaw_8k), len(b.mulaw_8k)), 160):
        sa.push_mulaw(a.mulaw_8k[i:i + 160])
        sb.push_mulaw(b.mulaw_8k[i:i + 160])
    assert (sa.finish(), sb.finish()) == (streamed[0][1], streamed[1][1])

    results: dict[int, str] = {}

    def call(k: int) -> None:
        session = rec.session(8000)
        stream_mulaw(session, clips[k].mulaw_8k)
        results[k] = session.finish()

    threads = [threading.Thread(target=call, args=(k,)) for k in range(2, 6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {k: streamed[k][1] for k in range(2, 6)}


def test_smaller_chunks_are_selectable_and_still_recognise(clips):
    r = make_recognizer("nemo", chunk_ms=160)
    r.load()
    assert r.info.att_context_size == [64, 1]
    pairs = []
    for clip in clips[:6]:
        session = r.session(8000)
        stream_mulaw(session, clip.mulaw_8k)
        pairs.append((clip.text, session.finish()))
    assert total_cer(pairs) < 0.25
    with pytest.raises(ModelError, match=r"chunks of \[160, 320, 640\] ms"):
        make_recognizer("nemo", chunk_ms=100).load()


def test_wrong_paths_and_incompatible_files_fail_at_start_up(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        make_recognizer("nemo", model_path=tmp_path / "missing.nemo").load()
    text = tmp_path / "model.nemo"
    text.write_text("not a model")
    with pytest.raises(ModelError, match="not a .nemo checkpoint"):
        make_recognizer("nemo", model_path=text).load()
    archive = tmp_path / "other.nemo"
    with tarfile.open(archive, "w") as tar:
        tar.add(text, arcname="readme.txt")
    with pytest.raises(ModelError, match="not a .nemo checkpoint"):
        make_recognizer("nemo", model_path=archive).load()


def test_an_offline_checkpoint_is_refused_with_the_reason(tmp_path):
    from nemo.collections.asr.models import EncDecCTCModel
    from omegaconf import OmegaConf

    from asr.recipes.configs import streaming_ctc_config

    cfg = streaming_ctc_config([" ", "가", "나"], d_model=32, n_layers=1)
    cfg["encoder"].update(att_context_size=[-1, -1], att_context_style="regular", conv_context_size=None,
                          causal_downsampling=False)
    path = tmp_path / "offline.nemo"
    EncDecCTCModel(cfg=OmegaConf.create(cfg)).save_to(str(path))
    with pytest.raises(ModelError, match="not a cache-aware streaming model"):
        make_recognizer("nemo", model_path=path).load()


def test_importing_the_engine_does_not_import_nemo_or_torch():
    code = ("import sys, asr.nemo, asr.nemo.onnx_engine; from asr import make_recognizer; make_recognizer('nemo');"
            "heavy = [m for m in ('torch', 'nemo', 'onnxruntime', 'lightning') if m in sys.modules];"
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)
