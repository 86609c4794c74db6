"""The same streaming recogniser with the encoder and CTC head run by ONNX Runtime (CPU nodes).

``model.export()`` of the cache-aware streaming graph (``cache_support``) is made once per checkpoint and
chunk size and cached on disk. Features still come from the model's own NeMo preprocessor (exactly the
torch engine's), chunking is shared with it; only the encoder step differs. Two details of the exported
graph are handled here:

* caches are batch-first in the graph (``[B, layers, T, D]``) while the encoder's are layer-first;
* the graph always drops ``drop_extra_pre_encoded`` frames after subsampling, also on the first chunk. So a
  second graph, traced with that drop set to 0, runs the first chunk of a stream (``<name>.first.onnx``
  beside the main one): the stream then equals the torch engine's. (Padding the first chunk with zero frames
  instead, or NeMo's ``pad_and_drop_preencoded``, changes the subsampling's output and cost 5-10 points of CER
  on the trained small model.)
RNNT heads are not exported this way: a hybrid checkpoint streams through its CTC head here.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from asr.base import ModelError
from asr.nemo.engine import NemoStreamingRecognizer
from asr.nemo.session import Chunk


def default_cache_dir() -> Path:
    """Where exports go when the caller names no folder (the server passes ``<cache_dir>/nemo-onnx``)."""
    return Path.home() / ".cache" / "carecall" / "nemo-onnx"


def first_graph(path: Path) -> Path:
    """The first-chunk graph exported beside ``path``."""
    return path.with_name(path.name.removesuffix(".onnx") + ".first.onnx")


class OnnxStepper:
    """One stream's ONNX caches and greedy CTC state."""

    def __init__(self, session: Any, initial: tuple[np.ndarray, np.ndarray, np.ndarray], blank: int,
                 decode: Callable[[list[int]], str], first_session: Any = None, first_pad: int = 0):
        self.ort = session
        self.first_ort = first_session
        self.initial = initial
        self.blank = blank
        self.decode = decode
        self.first_pad = first_pad
        self.reset()

    def reset(self) -> None:
        self._cache = tuple(x.copy() for x in self.initial)
        self._ids: list[int] = []
        self._last = self.blank
        self.text = ""

    def step(self, chunk: Chunk) -> str:
        feats, ort = chunk.features, self.ort
        if chunk.first and self.first_ort is not None:
            ort = self.first_ort
        elif chunk.first and self.first_pad:  # no first-chunk graph: pad for the frames the graph drops
            feats = np.concatenate([np.zeros((feats.shape[0], self.first_pad), np.float32), feats], axis=1)
        logprobs, lengths, ch, tm, ln = ort.run(None, {
            "audio_signal": feats[None].astype(np.float32),
            "length": np.array([feats.shape[1]], np.int64),
            "cache_last_channel": self._cache[0],
            "cache_last_time": self._cache[1],
            "cache_last_channel_len": self._cache[2],
        })
        self._cache = (ch, tm, ln)
        grew = False
        for token in logprobs[0, : int(lengths[0])].argmax(-1).tolist():
            if token != self._last and token != self.blank:
                self._ids.append(token)
                grew = True
            self._last = token
        if grew:
            self.text = self.decode(self._ids)
        return self.text


class NemoOnnxRecognizer(NemoStreamingRecognizer):
    """Cache-aware streaming CTC through an exported ONNX graph and onnxruntime."""

    name = "nemo-onnx"

    def __init__(self, *args: Any, onnx_path: str | Path | None = None, onnx_cache_dir: str | Path | None = None,
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.onnx_path = Path(onnx_path) if onnx_path else None
        self.onnx_cache_dir = Path(onnx_cache_dir) if onnx_cache_dir else default_cache_dir()
        self._ort = None
        self._first_ort = None
        self._initial: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def load(self) -> None:
        super().load()
        with self._lock:
            if self._ort is not None:
                return
            if self.info.decoder != "ctc":
                if not hasattr(self.model, "ctc_decoder"):
                    raise ModelError(f"{self.info.path}: the ONNX engine streams CTC heads; this model is RNNT only")
                self.model.change_decoding_strategy(decoder_type="ctc")
                self.info.decoder = "ctc"
            path = self.onnx_path or self._default_onnx_path()
            if not path.exists():
                self.export(path)
            self._ort = self._open(path)
            if not first_graph(path).exists():  # a graph exported before first-chunk graphs existed
                self._export_graph(first_graph(path), drop_extra_pre_encoded=0)
            self._first_ort = self._open(first_graph(path))
            import torch

            with torch.inference_mode():
                ch, tm, ln = self.model.encoder.get_initial_cache_state(batch_size=1)
            self._initial = (ch.transpose(0, 1).cpu().numpy().astype(np.float32),
                             tm.transpose(0, 1).cpu().numpy().astype(np.float32), ln.cpu().numpy().astype(np.int64))

    def _default_onnx_path(self) -> Path:
        digest = hashlib.sha1()
        with open(self.info.path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        ctx = "x".join(map(str, self.info.att_context_size))
        return self.onnx_cache_dir / f"{digest.hexdigest()[:16]}-{ctx}.onnx"

    def export(self, path: Path) -> Path:
        """``model.export()`` of the streaming graph (encoder + CTC head, caches as inputs and outputs)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._export_graph(first_graph(path), drop_extra_pre_encoded=0)  # the first chunk drops nothing
        self._export_graph(path)
        return path

    def _export_graph(self, path: Path, drop_extra_pre_encoded: int | None = None) -> None:
        tmp = path.with_suffix(".tmp.onnx")
        self.model.set_export_config({"cache_support": "True"})
        cfg = self.model.encoder.streaming_cfg
        drop = cfg.drop_extra_pre_encoded
        try:
            if drop_extra_pre_encoded is not None:
                cfg.drop_extra_pre_encoded = drop_extra_pre_encoded
            self.model.export(str(tmp), check_trace=False)
        except Exception as exc:
            raise ModelError(f"ONNX export of {self.info.path} failed: {type(exc).__name__}: {exc}") from exc
        finally:
            cfg.drop_extra_pre_encoded = drop
        tmp.replace(path)

    def _open(self, path: Path) -> Any:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3
        try:
            session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelError(f"cannot open ONNX graph {path}: {exc}") from exc
        names = {i.name for i in session.get_inputs()}
        if "cache_last_channel" not in names:
            raise ModelError(f"{path} is not a streaming graph (inputs {sorted(names)}); export with cache_support")
        return session

    def _stepper(self) -> Any:
        first_pad = self.geometry.drop_extra_pre_encoded * self.info.subsampling
        return OnnxStepper(self._ort, self._initial, len(self.info.vocabulary), self._decode_ids,
                           self._first_ort, first_pad)

    def _decode_ids(self, ids: list[int]) -> str:
        tokenizer = getattr(self.model, "tokenizer", None)
        if tokenizer is not None:
            return tokenizer.ids_to_text(ids)
        vocab = self.info.vocabulary
        return "".join(vocab[i] for i in ids if i < len(vocab))
