"""Model configs for cache-aware streaming FastConformer CTC, as plain dicts (no Hydra).

Mirrors NeMo's ``examples/asr/conf/fastconformer/cache_aware_streaming/fastconformer_ctc_char_streaming.yaml``:
causal depthwise-striding subsampling, ``chunked_limited`` attention, causal convolutions with layer norm.
A list of ``att_context_sizes`` trains one model for several chunk sizes (multi-lookahead); the engine picks
one at load time with ``encoder.set_default_att_context_size``.
"""
from __future__ import annotations

from typing import Any

# [left, right] in encoder frames; chunk = right + 1 frames of 10 ms * subsampling.
SMALL_CONTEXTS = [[64, 7], [64, 3], [64, 1]]  # 640, 320, 160 ms chunks at 8x subsampling
LARGE_CONTEXTS = [[70, 13], [70, 6], [70, 1], [70, 0]]  # NVIDIA's multi-lookahead FastConformer: 1120…80 ms


def streaming_ctc_config(
    labels: list[str],
    *,
    d_model: int = 96,
    n_layers: int = 4,
    n_heads: int = 4,
    subsampling: int = 8,
    att_context_sizes: list[list[int]] | None = None,
    conv_kernel_size: int = 9,
    sample_rate: int = 16000,
    train_manifest: str | None = None,
    val_manifest: str | None = None,
    batch_size: int = 32,
    lr: float = 4e-3,
    warmup_steps: int = 150,
    max_steps: int = 1000,
    num_workers: int = 1,
) -> dict[str, Any]:
    """A cache-aware streaming FastConformer-CTC over character (here: Hangul syllable) labels."""
    contexts = att_context_sizes or SMALL_CONTEXTS
    dataset = {"labels": labels, "sample_rate": sample_rate, "batch_size": batch_size, "num_workers": num_workers,
               "pin_memory": False, "parser": "base", "normalize_transcripts": False, "trim_silence": False,
               "max_duration": 20.0, "min_duration": 0.1}
    return {
        "sample_rate": sample_rate,
        "labels": labels,
        "train_ds": {**dataset, "manifest_filepath": train_manifest, "shuffle": True},
        "validation_ds": {**dataset, "manifest_filepath": val_manifest, "shuffle": False},
        "test_ds": {**dataset, "manifest_filepath": None, "shuffle": False},
        "preprocessor": {
            "_target_": "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor",
            "sample_rate": sample_rate, "normalize": "NA", "window_size": 0.025, "window_stride": 0.01,
            "window": "hann", "features": 80, "n_fft": 512, "log": True, "frame_splicing": 1, "dither": 1e-5,
            "pad_to": 0, "pad_value": 0.0,
        },
        "spec_augment": {
            "_target_": "nemo.collections.asr.modules.SpectrogramAugmentation",
            "freq_masks": 2, "time_masks": 2, "freq_width": 15, "time_width": 0.05,
        },
        "encoder": {
            "_target_": "nemo.collections.asr.modules.ConformerEncoder",
            "feat_in": 80, "feat_out": -1, "n_layers": n_layers, "d_model": d_model,
            "subsampling": "dw_striding", "subsampling_factor": subsampling, "subsampling_conv_channels": d_model,
            "causal_downsampling": True, "ff_expansion_factor": 4, "self_attention_model": "rel_pos",
            "n_heads": n_heads, "att_context_size": contexts if len(contexts) > 1 else contexts[0],
            "att_context_probs": None, "att_context_style": "chunked_limited", "xscaling": True,
            "untie_biases": True, "pos_emb_max_len": 5000, "conv_kernel_size": conv_kernel_size,
            "conv_norm_type": "layer_norm", "conv_context_size": "causal", "dropout": 0.1,
            "dropout_pre_encoder": 0.1, "dropout_emb": 0.0, "dropout_att": 0.1,
        },
        "decoder": {
            "_target_": "nemo.collections.asr.modules.ConvASRDecoder",
            "feat_in": d_model, "num_classes": len(labels), "vocabulary": labels,
        },
        "decoding": {"strategy": "greedy_batch", "greedy": {"max_symbols": 10}},
        "optim": {
            "name": "adamw", "lr": lr, "betas": [0.9, 0.98], "weight_decay": 1e-3,
            "sched": {"name": "CosineAnnealing", "warmup_steps": warmup_steps, "min_lr": lr / 100,
                      "max_steps": max_steps},
        },
    }


def production_config(labels: list[str]) -> dict[str, Any]:
    """NVIDIA's "large" cache-aware streaming FastConformer size (d512 x 17, about 110 M parameters with a
    syllable vocabulary), for benchmarks of a production-size model on this hardware (random weights)."""
    return streaming_ctc_config(labels, d_model=512, n_layers=17, n_heads=8, subsampling=8,
                                att_context_sizes=LARGE_CONTEXTS, conv_kernel_size=9)
