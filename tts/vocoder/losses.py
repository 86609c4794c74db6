"""Multi-resolution STFT loss (Parallel WaveGAN, sec. 3.2) and the least-squares GAN losses."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# (fft size, hop, window length): the paper's three resolutions
RESOLUTIONS = ((1024, 120, 600), (2048, 240, 1200), (512, 50, 240))


def stft_magnitude(x: torch.Tensor, fft: int, hop: int, win: int, window: torch.Tensor) -> torch.Tensor:
    """``[B, T]`` → magnitude ``[B, frames, fft//2+1]``, floored so its log is finite."""
    spec = torch.stft(x, fft, hop, win, window, return_complex=True)
    return torch.sqrt(torch.clamp(spec.real.pow(2) + spec.imag.pow(2), min=1e-7)).transpose(1, 2)


class STFTLoss(nn.Module):
    """Spectral convergence + log STFT magnitude at one resolution."""

    def __init__(self, fft: int, hop: int, win: int):
        super().__init__()
        self.fft, self.hop, self.win = fft, hop, win
        self.register_buffer("window", torch.hann_window(win), persistent=False)

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = stft_magnitude(fake, self.fft, self.hop, self.win, self.window)
        y = stft_magnitude(real, self.fft, self.hop, self.win, self.window)
        sc = torch.linalg.norm(y - x, dim=(1, 2)) / torch.linalg.norm(y, dim=(1, 2)).clamp(min=1e-7)
        mag = F.l1_loss(torch.log(x), torch.log(y))
        return sc.mean(), mag


class MultiResolutionSTFTLoss(nn.Module):
    def __init__(self, resolutions: tuple[tuple[int, int, int], ...] = RESOLUTIONS):
        super().__init__()
        self.losses = nn.ModuleList(STFTLoss(*r) for r in resolutions)

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Waveforms ``[B, T]`` or ``[B, 1, T]`` → (spectral convergence, log magnitude), averaged."""
        fake, real = fake.reshape(fake.shape[0], -1), real.reshape(real.shape[0], -1)
        sc = mag = 0.0
        for loss in self.losses:
            s, m = loss(fake, real)
            sc, mag = sc + s, mag + m
        return sc / len(self.losses), mag / len(self.losses)


def generator_adversarial_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(fake_scores, torch.ones_like(fake_scores))


def discriminator_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(real_scores, torch.ones_like(real_scores)) + F.mse_loss(fake_scores, torch.zeros_like(fake_scores))
