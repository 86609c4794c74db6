"""Loading a NeMo ASR checkpoint for cache-aware streaming, with clear errors at start-up.

Any ``.nemo`` file goes through ``ASRModel.restore_from(path, map_location=device)``; what the engine needs
(sample rate, vocabulary, subsampling, chunk sizes, decoder kind) is read from the model, never assumed.
"""
from __future__ import annotations

import logging
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asr.base import ModelError

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models_data" / "ko_streaming_ctc_small.nemo"


@dataclass
class ModelInfo:
    """What the engine learned from the checkpoint."""

    path: str
    model_class: str
    decoder: str  # "ctc" or "rnnt" (the head used for streaming)
    sample_rate: int
    vocabulary: list[str]
    subsampling: int
    hop_s: float
    att_context_size: list[int]
    att_context_choices: list[list[int]] = field(default_factory=list)
    params: int = 0
    device: str = "cpu"

    @property
    def chunk_ms(self) -> int:
        """Audio per streaming step after the first: (lookahead + 1) encoder frames."""
        return round((self.att_context_size[1] + 1) * self.subsampling * self.hop_s * 1000)

    def chunk_choices_ms(self) -> dict[int, list[int]]:
        return {round((c[1] + 1) * self.subsampling * self.hop_s * 1000): c for c in self.att_context_choices}


def import_nemo_asr() -> Any:
    """``nemo.collections.asr`` with its logging quietened, or a ModelError saying how to install it."""
    try:
        import nemo.collections.asr as nemo_asr
        from nemo.utils import logging as nemo_logging
    except ImportError as exc:
        raise ModelError(
            f"the nemo engine needs NVIDIA NeMo ({exc}); install it with: "
            "pip install torch==2.13.0 && pip install -e '.[nemo]'"
        ) from exc
    nemo_logging.setLevel(logging.ERROR)
    return nemo_asr


def _check_file(path: Path) -> None:
    if not path.exists():
        raise ModelError(f"NeMo checkpoint not found: {path}")
    if path.is_dir():
        raise ModelError(f"{path} is a directory; give the .nemo file itself")
    if not tarfile.is_tarfile(path):
        raise ModelError(f"{path} is not a .nemo checkpoint (a .nemo file is a tar archive with model_config.yaml)")
    with tarfile.open(path) as tar:
        names = {Path(n).name for n in tar.getnames()}
    if "model_config.yaml" not in names or not any(n.endswith(".ckpt") for n in names):
        raise ModelError(f"{path} is a tar archive but not a .nemo checkpoint (no model_config.yaml / weights)")


def load_streaming_model(
    path: str | Path | None = None,
    *,
    device: str = "cpu",
    decoder: str | None = None,
    chunk_ms: int | None = None,
) -> tuple[Any, ModelInfo]:
    """Restore a cache-aware streaming ASR checkpoint and prepare it for streaming on ``device``.

    ``decoder`` picks the head of a hybrid RNNT/CTC model (default: its current one). ``chunk_ms`` picks one
    of the chunk sizes a multi-lookahead model was trained for (default: the model's default).
    """
    path = Path(path) if path else DEFAULT_MODEL
    _check_file(path)
    nemo_asr = import_nemo_asr()
    import torch

    try:
        model = nemo_asr.models.ASRModel.restore_from(str(path), map_location=torch.device(device))
    except Exception as exc:  # NeMo raises many kinds; all mean the same to an operator
        raise ModelError(f"cannot restore ASR model from {path}: {type(exc).__name__}: {exc}") from exc
    encoder = getattr(model, "encoder", None)
    if not hasattr(encoder, "setup_streaming_params") or not hasattr(model, "conformer_stream_step"):
        raise ModelError(f"{path} ({type(model).__name__}) has no cache-aware streaming encoder")
    style = getattr(encoder, "att_context_style", None)
    if style not in ("chunked_limited", "chunked_limited_with_rc") or getattr(encoder, "conv_context_size", [0, 0])[1]:
        raise ModelError(
            f"{path} is not a cache-aware streaming model (att_context_style={style!r}, "
            f"conv_context_size={getattr(encoder, 'conv_context_size', None)}); offline checkpoints need "
            "chunked_limited attention and causal convolutions to stream"
        )
    normalize = str(model.cfg.preprocessor.get("normalize", "NA"))
    if normalize not in ("NA", "None", "", "False"):
        raise ModelError(f"{path} normalises features per utterance ({normalize}); streaming needs normalize: NA")

    kind = _decoder_kind(model)
    if decoder and decoder != kind:
        if not hasattr(model, "ctc_decoder"):
            raise ModelError(f"{path} has only a {kind} head; decoder={decoder!r} is not available")
        model.change_decoding_strategy(decoder_type=decoder)
        kind = decoder

    choices = [list(c) for c in getattr(encoder, "att_context_size_all", [encoder.att_context_size])]
    info = ModelInfo(
        path=str(path), model_class=type(model).__name__, decoder=kind,
        sample_rate=int(model.cfg.preprocessor.sample_rate), vocabulary=_vocabulary(model),
        subsampling=int(encoder.subsampling_factor), hop_s=float(model.cfg.preprocessor.get("window_stride", 0.01)),
        att_context_size=list(encoder.att_context_size), att_context_choices=choices,
        params=sum(p.numel() for p in model.parameters()), device=device,
    )
    if chunk_ms is not None:
        options = info.chunk_choices_ms()
        if chunk_ms not in options:
            raise ModelError(f"{path} streams in chunks of {sorted(options)} ms, not {chunk_ms} ms")
        encoder.set_default_att_context_size(options[chunk_ms])
        info.att_context_size = list(options[chunk_ms])
    encoder.setup_streaming_params()
    model.preprocessor.featurizer.pad_to = 0
    model.eval()
    return model, info


def _decoder_kind(model: Any) -> str:
    if hasattr(model, "cur_decoder"):  # hybrid RNNT/CTC
        return str(model.cur_decoder)
    return "rnnt" if hasattr(model, "joint") else "ctc"


def _vocabulary(model: Any) -> list[str]:
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is not None:
        return [tokenizer.ids_to_tokens([i])[0] for i in range(tokenizer.vocab_size)]
    decoder = getattr(model, "ctc_decoder", None) or model.decoder
    return list(getattr(decoder, "vocabulary", []) or model.cfg.get("labels", []))
