"""A small thread-safe LRU of synthesised audio, bounded by entries and bytes (prompts repeat across calls)."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np


class AudioCache:
    def __init__(self, max_entries: int = 512, max_bytes: int = 64 << 20):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> np.ndarray | None:
        with self._lock:
            audio = self._items.get(key)
            if audio is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return audio

    def put(self, key: Hashable, audio: np.ndarray) -> None:
        if self.max_entries <= 0 or audio.nbytes > self.max_bytes:
            return
        audio.setflags(write=False)  # shared between callers: nobody may modify it in place
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._items[key] = audio
            self._bytes += audio.nbytes
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= evicted.nbytes

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
