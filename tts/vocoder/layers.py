"""Small building blocks shared by the vocoder networks."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import weight_norm


def apply_weight_norm(module: nn.Module) -> nn.Module:
    """Weight-normalise every Conv1d/ConvTranspose1d/Conv2d below ``module`` (training form)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d, nn.Conv2d)) and not parametrize.is_parametrized(m, "weight"):
            weight_norm(m)
    return module


def remove_weight_norm(module: nn.Module) -> nn.Module:
    """Fold weight norm back into plain weights (inference form: fewer ops, same output)."""
    for m in module.modules():
        if parametrize.is_parametrized(m, "weight"):
            parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
    return module


def legacy_weight_norm_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename ``x.weight_g/weight_v`` (old ``torch.nn.utils.weight_norm``) to the parametrization's names."""
    out = {}
    for key, value in state.items():
        if key.endswith(".weight_g"):
            key = key[: -len("weight_g")] + "parametrizations.weight.original0"
        elif key.endswith(".weight_v"):
            key = key[: -len("weight_v")] + "parametrizations.weight.original1"
        out[key] = value
    return out


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
