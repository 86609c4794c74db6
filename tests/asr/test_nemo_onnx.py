"""The ONNX Runtime engine: exported streaming graph of the committed model, same packets, same accuracy."""
from __future__ import annotations

import pytest

from nemo_testkit import make_held_out, require_nemo, stream_mulaw, total_cer

require_nemo()
pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")

from asr import ModelError, make_recognizer  # noqa: E402

N_CLIPS = 10


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def engines(cache_dir):
    onnx = make_recognizer("nemo-onnx", onnx_path=cache_dir / "small.onnx")
    onnx.load()
    torch_engine = make_recognizer("nemo")
    torch_engine.load()
    return onnx, torch_engine


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return make_held_out(N_CLIPS, tmp_path_factory.mktemp("held_out_onnx"))


def test_export_writes_a_streaming_graph_with_caches(engines, cache_dir):
    onnx, _ = engines
    path = cache_dir / "small.onnx"
    assert path.exists() and path.stat().st_size > 1_000_000
    inputs = {i.name for i in onnx._ort.get_inputs()}
    outputs = {o.name for o in onnx._ort.get_outputs()}
    assert {"audio_signal", "length", "cache_last_channel", "cache_last_time", "cache_last_channel_len"} <= inputs
    assert {"cache_last_channel_next", "cache_last_time_next", "cache_last_channel_next_len"} <= outputs
    # The first chunk of a stream runs through its own graph, traced without the pre-encoded drop.
    from asr.nemo.onnx_engine import first_graph

    assert first_graph(path).exists() and first_graph(path).stat().st_size > 1_000_000
    # A second engine reuses the exported graph instead of exporting again.
    again = make_recognizer("nemo-onnx", onnx_path=path)
    mtime = path.stat().st_mtime
    again.load()
    assert path.stat().st_mtime == mtime


def test_onnx_streams_phone_packets_with_partials_and_matches_torch_accuracy(engines, clips):
    onnx, torch_engine = engines
    onnx_pairs, torch_pairs, same = [], [], 0
    for clip in clips:
        session = onnx.session(8000)
        partials = stream_mulaw(session, clip.mulaw_8k)
        final = session.finish()
        assert final and partials, clip.text
        if len(clip.text.replace(" ", "")) >= 8:
            assert len(partials) >= 2 and len(partials[-1]) > len(partials[0]), partials
        reference = torch_engine.session(8000)
        stream_mulaw(reference, clip.mulaw_8k)
        torch_final = reference.finish()
        onnx_pairs.append((clip.text, final))
        torch_pairs.append((clip.text, torch_final))
        same += final == torch_final
    onnx_cer, torch_cer = total_cer(onnx_pairs), total_cer(torch_pairs)
    print(f"ONNX CER {onnx_cer:.2%}, torch CER {torch_cer:.2%}, identical finals {same}/{len(clips)}")
    assert onnx_cer < 0.15
    assert onnx_cer <= torch_cer + 0.03
    assert same >= len(clips) * 0.7


def test_onnx_finals_are_inverse_normalised_like_torch(engines):
    onnx, torch_engine = engines
    assert onnx.postprocess("다섯 명 저녁 여섯 시") == torch_engine.postprocess("다섯 명 저녁 여섯 시") == "5명 저녁 6시"


def test_a_graph_without_caches_is_refused(engines, tmp_path):
    onnx, _ = engines
    offline = tmp_path / "offline.onnx"
    onnx.model.set_export_config({"cache_support": False})
    try:
        onnx.model.export(str(offline), check_trace=False)
    finally:
        onnx.model.set_export_config({"cache_support": "True"})
    with pytest.raises(ModelError, match="not a streaming graph"):
        make_recognizer("nemo-onnx", onnx_path=offline).load()
