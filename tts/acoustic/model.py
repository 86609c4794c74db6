"""A FastSpeech 2-style non-autoregressive acoustic model: phonemes → log-mel frames.

Phoneme encoder (feed-forward Transformer blocks) → variance adaptor (duration, pitch and energy predictors;
pitch and energy are per-phoneme values, as in FastPitch, embedded and added to the encoder output) → length
regulator (each phoneme repeated for its number of frames) → mel decoder (the same blocks over frames, at
``1/reduction`` of the frame rate: pairs of frames are averaged going in and each position emits ``reduction``
frames, which halves the decoder's cost on a CPU) → linear projection to 80 log-mel bins per frame. Self-attention runs only within the phoneme and within the frame sequence:
there is no text-to-speech attention at inference, the alignment is the predicted durations.

Speed, pitch and energy controls act on the predicted values before they are used: durations are divided by
``speed``; pitch (normalised log-F0) is shifted by ``log(pitch) / std``, i.e. multiplying F0 by ``pitch``;
energy (normalised log mel magnitude) is shifted by ``log(energy) / std`` and, so that the loudness follows
exactly even where the decoder has learnt the energy input only weakly, the output magnitude is scaled by
``energy`` (``log(energy)`` added to the log-mel).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class AcousticConfig:
    n_symbols: int
    n_mels: int = 80
    d_model: int = 128
    n_heads: int = 2
    ffn_dim: int = 256
    ffn_kernel: int = 3
    encoder_layers: int = 3
    decoder_layers: int = 3
    predictor_dim: int = 128
    predictor_kernel: int = 3
    dropout: float = 0.1
    max_frames_per_phoneme: int = 60
    reduction: int = 2

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> AcousticConfig:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass
class Stats:
    """Corpus statistics that de-normalise the variance targets (log-F0 in log-Hz, energy in log-magnitude)."""
    pitch_mean: float
    pitch_std: float
    energy_mean: float
    energy_std: float

    def to_dict(self) -> dict:
        return asdict(self)


class FFTBlock(nn.Module):
    """Self-attention + 1-D convolutional feed-forward, each with a residual and layer norm."""

    def __init__(self, d: int, heads: int, ffn: int, kernel: int, dropout: float):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.norm1 = nn.LayerNorm(d)
        self.conv1 = nn.Conv1d(d, ffn, kernel, padding=kernel // 2)
        self.conv2 = nn.Conv1d(ffn, d, 1)
        self.norm2 = nn.LayerNorm(d)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        """x [B,T,d]; pad [B,T] True at padding."""
        a, _ = self.attn(x, x, x, key_padding_mask=pad, need_weights=False)
        x = self.norm1(x + self.dropout(a)).masked_fill(pad.unsqueeze(-1), 0.0)
        h = self.conv2(F.relu(self.conv1(x.transpose(1, 2)))).transpose(1, 2)
        return self.norm2(x + self.dropout(h)).masked_fill(pad.unsqueeze(-1), 0.0)


class Stack(nn.Module):
    def __init__(self, cfg: AcousticConfig, layers: int):
        super().__init__()
        self.blocks = nn.ModuleList(
            FFTBlock(cfg.d_model, cfg.n_heads, cfg.ffn_dim, cfg.ffn_kernel, cfg.dropout) for _ in range(layers))

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        x = x + positional_encoding(x.shape[1], x.shape[2], x.device)
        for block in self.blocks:
            x = block(x, pad)
        return x


class VariancePredictor(nn.Module):
    """Two convolutions with ReLU, layer norm and dropout, then one value per position."""

    def __init__(self, d: int, hidden: int, kernel: int, dropout: float):
        super().__init__()
        self.conv1 = nn.Conv1d(d, hidden, kernel, padding=kernel // 2)
        self.norm1 = nn.LayerNorm(hidden)
        self.conv2 = nn.Conv1d(hidden, hidden, kernel, padding=kernel // 2)
        self.norm2 = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        h = self.dropout(self.norm1(F.relu(self.conv1(x.transpose(1, 2))).transpose(1, 2)))
        h = self.dropout(self.norm2(F.relu(self.conv2(h.transpose(1, 2))).transpose(1, 2)))
        return self.out(h).squeeze(-1).masked_fill(pad, 0.0)


class AcousticModel(nn.Module):
    def __init__(self, cfg: AcousticConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.embedding = nn.Embedding(cfg.n_symbols, d, padding_idx=0)
        self.encoder = Stack(cfg, cfg.encoder_layers)
        self.duration = VariancePredictor(d, cfg.predictor_dim, cfg.predictor_kernel, cfg.dropout)
        self.pitch = VariancePredictor(d, cfg.predictor_dim, cfg.predictor_kernel, cfg.dropout)
        self.energy = VariancePredictor(d, cfg.predictor_dim, cfg.predictor_kernel, cfg.dropout)
        self.pitch_embed = nn.Conv1d(1, d, 3, padding=1)
        self.energy_embed = nn.Conv1d(1, d, 3, padding=1)
        self.decoder = Stack(cfg, cfg.decoder_layers)
        self.to_mel = nn.Linear(d, cfg.n_mels * cfg.reduction)

    def encode(self, tokens: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        return self.encoder(self.embedding(tokens), pad)

    def forward(self, tokens: torch.Tensor, token_pad: torch.Tensor, durations: torch.Tensor,
                pitch: torch.Tensor, energy: torch.Tensor) -> dict[str, torch.Tensor]:
        """Training pass with ground-truth durations, per-phoneme pitch and energy (teacher forcing).

        tokens/token_pad/durations/pitch/energy: [B,N]. Returns predictions: mel [B,T,n_mels], log_duration,
        pitch and energy [B,N], and frame_pad [B,T].
        """
        h = self.encode(tokens, token_pad)
        out = {"log_duration": self.duration(h, token_pad), "pitch": self.pitch(h, token_pad),
               "energy": self.energy(h, token_pad)}
        h = h + self._embed(pitch, energy)
        frames, frame_pad = length_regulate(h, durations)
        out["mel"] = self.decode(frames, frame_pad)
        out["frame_pad"] = frame_pad
        return out

    def decode(self, frames: torch.Tensor, frame_pad: torch.Tensor) -> torch.Tensor:
        """Length-regulated [B,T,d] → mel [B,T,n_mels], the decoder running at T / reduction positions."""
        r, (b, t, _) = self.cfg.reduction, frames.shape
        extra = (-t) % r
        if extra:
            frames = F.pad(frames, (0, 0, 0, extra))
            frame_pad = F.pad(frame_pad, (0, extra), value=True)
        coarse = frames.view(b, -1, r, frames.shape[-1]).mean(2)
        coarse_pad = frame_pad.view(b, -1, r).all(2)
        mel = self.to_mel(self.decoder(coarse, coarse_pad))
        return mel.view(b, -1, self.cfg.n_mels)[:, :t]

    @torch.no_grad()
    def infer(self, tokens: torch.Tensor, stats: Stats, *, speed: float = 1.0, pitch: float = 1.0,
              energy: float = 1.0) -> dict[str, torch.Tensor]:
        """tokens [1,N] → mel [1,n_mels,T] plus the durations (frames), pitch (Hz) and energy actually used."""
        pad = torch.zeros_like(tokens, dtype=torch.bool)
        h = self.encode(tokens, pad)
        log_d = self.duration(h, pad)
        durations = torch.clamp(torch.round((torch.exp(log_d) - 1) / speed), 0, self.cfg.max_frames_per_phoneme)
        if durations.sum() == 0:
            durations[..., 0] = 1
        p = self.pitch(h, pad) + math.log(pitch) / stats.pitch_std
        e = self.energy(h, pad) + math.log(energy) / stats.energy_std
        frames, frame_pad = length_regulate(h + self._embed(p, e), durations.long())
        mel = self.decode(frames, frame_pad).transpose(1, 2) + math.log(energy)
        return {"mel": mel, "durations": durations.long(),
                "pitch_hz": torch.exp(p * stats.pitch_std + stats.pitch_mean),
                "energy": e * stats.energy_std + stats.energy_mean}

    def _embed(self, pitch: torch.Tensor, energy: torch.Tensor) -> torch.Tensor:
        return (self.pitch_embed(pitch.unsqueeze(1)) + self.energy_embed(energy.unsqueeze(1))).transpose(1, 2)


def length_regulate(h: torch.Tensor, durations: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Repeat each phoneme vector ``durations`` times: [B,N,d] → [B,T,d] and the frame padding mask [B,T]."""
    lengths = durations.sum(1)
    total = max(int(lengths.max()), 1)
    out = h.new_zeros(h.shape[0], total, h.shape[2])
    for b in range(h.shape[0]):
        rep = torch.repeat_interleave(h[b], durations[b], dim=0)
        out[b, : rep.shape[0]] = rep
    pad = torch.arange(total, device=h.device).unsqueeze(0) >= lengths.unsqueeze(1)
    return out, pad


def positional_encoding(length: int, d: int, device: torch.device) -> torch.Tensor:
    pos = torch.arange(length, device=device, dtype=torch.float32).unsqueeze(1)
    div = torch.exp(torch.arange(0, d, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / d))
    pe = torch.zeros(length, d, device=device)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe.unsqueeze(0)
