"""Checkpoint files shared by the acoustic model and the vocoders: atomic writes, safe reads with clear errors."""
from __future__ import annotations

from pathlib import Path

import torch


def save_atomic(payload: dict, path: Path) -> Path:
    """Write via a temporary file and a rename: a killed run never leaves a truncated checkpoint."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(payload, tmp)
    tmp.replace(path)
    return path


def load_weights(path: Path, error: type[Exception], what: str) -> object:
    """``torch.load`` (CPU, ``weights_only``); a missing or unreadable file raises ``error`` naming ``what``."""
    path = Path(path)
    if not path.is_file():
        raise error(f"no {what} at {path} (the file does not exist)")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a corrupt or foreign file
        first = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
        raise error(f"{path} is not a readable torch checkpoint ({type(exc).__name__}: {first})") from exc
