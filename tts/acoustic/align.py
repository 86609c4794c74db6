"""Training-time alignment of phonemes to mel frames, from NeMo's implementation of "One TTS Alignment To Rule
Them All" (Badlani et al., 2022): a learned alignment encoder scores every (frame, phoneme) pair, a forward-sum
(CTC) loss trains it, monotonic alignment search (NeMo's numba kernel) turns the soft alignment into hard
durations, and a bin loss pulls the soft alignment towards the hard one. A beta-binomial prior keeps the early
alignments near the diagonal. Only training imports this module (and NeMo); inference uses predicted durations.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


class Aligner(nn.Module):
    def __init__(self, n_text_channels: int, n_mels: int = 80, n_att_channels: int = 80):
        super().__init__()
        from nemo.collections.tts.losses.aligner_loss import BinLoss, ForwardSumLoss
        from nemo.collections.tts.modules.aligner import AlignmentEncoder

        self.encoder = AlignmentEncoder(n_mel_channels=n_mels, n_text_channels=n_text_channels,
                                        n_att_channels=n_att_channels)
        self.forward_sum = ForwardSumLoss()
        self.bin_loss = BinLoss()
        self._priors: dict[tuple[int, int], torch.Tensor] = {}

    def forward(self, mel: torch.Tensor, mel_lens: torch.Tensor, text_emb: torch.Tensor, text_lens: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """mel [B,n_mels,T], text_emb [B,N,C] → (durations [B,N] long, forward-sum loss, bin loss)."""
        from nemo.collections.tts.parts.utils.helpers import binarize_attention_parallel

        text_pad = torch.arange(text_emb.shape[1]).unsqueeze(0) >= text_lens.unsqueeze(1)
        prior = self._prior_batch(text_lens, mel_lens, text_emb.shape[1], mel.shape[2])
        soft, logprob = self.encoder(queries=mel, keys=text_emb.transpose(1, 2), mask=text_pad.unsqueeze(-1),
                                     attn_prior=prior)
        hard = binarize_attention_parallel(soft, text_lens, mel_lens)
        durations = hard.sum(2)[:, 0, :].long()
        ctc = self.forward_sum(attn_logprob=logprob, in_lens=text_lens, out_lens=mel_lens)
        binl = self.bin_loss(hard_attention=hard, soft_attention=soft)
        return durations, ctc, binl

    def _prior_batch(self, text_lens: torch.Tensor, mel_lens: torch.Tensor, n_max: int, t_max: int) -> torch.Tensor:
        out = torch.zeros(len(text_lens), t_max, n_max)
        for b, (n, t) in enumerate(zip(text_lens.tolist(), mel_lens.tolist())):
            out[b, :t, :n] = self._prior(n, t)
        return out

    def _prior(self, n: int, t: int) -> torch.Tensor:
        if (n, t) not in self._priors:
            from nemo.collections.tts.parts.utils.tts_dataset_utils import beta_binomial_prior_distribution

            self._priors[(n, t)] = torch.from_numpy(np.asarray(beta_binomial_prior_distribution(n, t), np.float32))
        return self._priors[(n, t)]
