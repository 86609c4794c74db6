"""Parallel WaveGAN (Yamamoto et al., 2020): a non-causal WaveNet that turns noise into speech given a mel.

The generator maps Gaussian noise ``[B, 1, T*hop]`` and a log-mel ``[B, 80, T]`` to a waveform: the mel is
upsampled to the sample rate by a conv-in + (nearest stretch, 2-D conv) network, and every gated residual block
(dilations 1, 2, 4 … per stack) adds it to its gate. The discriminator is a stack of dilated 1-D convolutions
giving a real/fake score per sample. Defaults are the paper's (1.4 M parameters, 30 layers, 3 stacks);
``PWG_SMALL`` is a cheaper config for CPU training. Unlike the reference implementation, the generator pads its
mel context itself (replicate), so ``T`` mel frames always give exactly ``T * hop`` samples.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from tts.vocoder.layers import apply_weight_norm


@dataclass
class PWGConfig:
    layers: int = 30
    stacks: int = 3
    kernel_size: int = 3
    residual_channels: int = 64
    gate_channels: int = 128
    skip_channels: int = 64
    aux_channels: int = 80
    aux_context_window: int = 2
    upsample_scales: list[int] = field(default_factory=lambda: [4, 4, 4, 4])

    @property
    def hop_length(self) -> int:
        return math.prod(self.upsample_scales)

    def to_dict(self) -> dict:
        return asdict(self)


PWG_SMALL = {"layers": 20, "stacks": 2, "residual_channels": 32, "gate_channels": 64, "skip_channels": 32}


class UpsampleNetwork(nn.Module):
    """Mel frames → one conditioning vector per sample (conv over ±context frames, then stretch+smooth)."""

    def __init__(self, cfg: PWGConfig):
        super().__init__()
        self.context = cfg.aux_context_window
        self.conv_in = nn.Conv1d(cfg.aux_channels, cfg.aux_channels, 2 * self.context + 1, bias=False)
        self.scales = list(cfg.upsample_scales)
        self.convs = nn.ModuleList()
        for s in self.scales:
            conv = nn.Conv2d(1, 1, (1, 2 * s + 1), padding=(0, s), bias=False)
            nn.init.constant_(conv.weight, 1.0 / (2 * s + 1))  # starts as a moving average
            self.convs.append(conv)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        c = self.conv_in(F.pad(mel, (self.context, self.context), mode="replicate"))
        c = c.unsqueeze(1)  # [B, 1, C, T]
        for s, conv in zip(self.scales, self.convs):
            c = conv(F.interpolate(c, scale_factor=(1, s), mode="nearest"))
        return c.squeeze(1)


class ResidualBlock(nn.Module):
    """Gated dilated conv with mel conditioning; returns (residual output, skip)."""

    def __init__(self, cfg: PWGConfig, dilation: int):
        super().__init__()
        pad = (cfg.kernel_size - 1) // 2 * dilation
        self.conv = nn.Conv1d(cfg.residual_channels, cfg.gate_channels, cfg.kernel_size, padding=pad, dilation=dilation)
        self.conv_aux = nn.Conv1d(cfg.aux_channels, cfg.gate_channels, 1, bias=False)
        half = cfg.gate_channels // 2
        self.conv_out = nn.Conv1d(half, cfg.residual_channels, 1)
        self.conv_skip = nn.Conv1d(half, cfg.skip_channels, 1)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.conv(x) + self.conv_aux(c)
        a, b = h.chunk(2, dim=1)
        h = torch.tanh(a) * torch.sigmoid(b)
        return (self.conv_out(h) + x) * math.sqrt(0.5), self.conv_skip(h)


class PWGGenerator(nn.Module):
    def __init__(self, cfg: PWGConfig | None = None):
        super().__init__()
        self.cfg = cfg = cfg or PWGConfig()
        if cfg.layers % cfg.stacks:
            raise ValueError(f"layers ({cfg.layers}) must be a multiple of stacks ({cfg.stacks})")
        per_stack = cfg.layers // cfg.stacks
        self.upsample = UpsampleNetwork(cfg)
        self.first_conv = nn.Conv1d(1, cfg.residual_channels, 1)
        self.blocks = nn.ModuleList(ResidualBlock(cfg, 2 ** (i % per_stack)) for i in range(cfg.layers))
        self.last = nn.Sequential(nn.ReLU(), nn.Conv1d(cfg.skip_channels, cfg.skip_channels, 1),
                                  nn.ReLU(), nn.Conv1d(cfg.skip_channels, 1, 1))
        apply_weight_norm(self)

    @property
    def hop_length(self) -> int:
        return self.cfg.hop_length

    def receptive_field_frames(self) -> int:
        """Mel frames on each side that influence a sample (rounded up)."""
        per_stack = self.cfg.layers // self.cfg.stacks
        samples = (self.cfg.kernel_size - 1) // 2 * sum(2 ** (i % per_stack) for i in range(self.cfg.layers))
        upsample = sum(self.cfg.upsample_scales)  # the smoothing convs' half-widths, in samples (upper bound)
        return math.ceil((samples + upsample) / self.hop_length) + self.cfg.aux_context_window + 1

    def forward(self, noise: torch.Tensor, mel: torch.Tensor) -> torch.Tensor:
        """noise ``[B, 1, T*hop]``, mel ``[B, 80, T]`` → waveform ``[B, 1, T*hop]`` (not squashed)."""
        c = self.upsample(mel)
        x = self.first_conv(noise)
        skips = 0
        for block in self.blocks:
            x, s = block(x, c)
            skips = skips + s
        return self.last(skips * math.sqrt(1.0 / len(self.blocks)))


@dataclass
class DiscriminatorConfig:
    layers: int = 10
    conv_channels: int = 64
    kernel_size: int = 3

    def to_dict(self) -> dict:
        return asdict(self)


class PWGDiscriminator(nn.Module):
    """Dilated 1-D convs (dilation 1, 1, 2, 3 … as in the paper), LeakyReLU 0.2; a score per sample."""

    def __init__(self, cfg: DiscriminatorConfig | None = None):
        super().__init__()
        self.cfg = cfg = cfg or DiscriminatorConfig()
        layers: list[nn.Module] = []
        channels = 1
        for i in range(cfg.layers - 1):
            dilation = max(1, i)
            pad = (cfg.kernel_size - 1) // 2 * dilation
            layers += [nn.Conv1d(channels, cfg.conv_channels, cfg.kernel_size, padding=pad, dilation=dilation),
                       nn.LeakyReLU(0.2)]
            channels = cfg.conv_channels
        layers.append(nn.Conv1d(channels, 1, cfg.kernel_size, padding=(cfg.kernel_size - 1) // 2))
        self.net = nn.Sequential(*layers)
        apply_weight_norm(self)

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        return self.net(wav)
