"""The on-disk clause cache: survives a restart, keyed by model identity, atomic, self-healing, bounded."""
from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from tts.base import SynthesisError, Synthesizer
from tts.cache import AudioCache
from tts.disk_cache import DiskAudioCache, LayeredAudioCache, file_digest, source_fingerprint
from tts.prosody import Prosody


class CountingSynthesizer(Synthesizer):
    """A deterministic engine that counts what it synthesises (audio = the clause's code points)."""

    name = "counting"
    sample_rate = 8000
    voices = ("v",)

    def __init__(self, *args, weights: str = "w1", delay_s: float = 0.0, **kwargs):
        super().__init__("v", *args, **kwargs)
        self.weights, self.delay_s = weights, delay_s
        self.synthesised: list[str] = []

    def _load(self) -> None:
        pass

    def model_identity(self) -> str:
        return f"{super().model_identity()}:{self.weights}"

    def _synthesize_clause(self, clause: str, prosody: Prosody) -> np.ndarray:
        time.sleep(self.delay_s)
        self.synthesised.append(clause)
        return np.array([ord(c) % 1000 * round(prosody.speed * 10) for c in clause], np.int16)


def test_a_restarted_synthesiser_reads_clauses_back_from_disk(tmp_path) -> None:
    first = CountingSynthesizer(cache_dir=tmp_path).load()
    audio = first.synthesize("안녕하세요. 식사는 하셨어요?")
    assert first.synthesised == ["안녕하세요.", "식사는 하셨어요?"]

    restarted = CountingSynthesizer(cache_dir=tmp_path).load()
    assert np.array_equal(restarted.synthesize("안녕하세요. 식사는 하셨어요?"), audio)
    assert restarted.synthesised == []
    assert restarted.cache.disk.hits == 2
    restarted.synthesize("안녕하세요.")  # now from memory: no second file read
    assert restarted.cache.disk.hits == 2 and restarted.cache.memory.hits == 1


def test_prosody_voice_and_model_identity_are_part_of_the_key(tmp_path) -> None:
    CountingSynthesizer(cache_dir=tmp_path).load().synthesize("안녕하세요.")

    slower = CountingSynthesizer(cache_dir=tmp_path).load()
    slower.synthesize("안녕하세요.", Prosody(speed=0.9))
    assert slower.synthesised == ["안녕하세요."]

    new_weights = CountingSynthesizer(cache_dir=tmp_path, weights="w2").load()
    new_weights.synthesize("안녕하세요.")
    assert new_weights.synthesised == ["안녕하세요."]  # old audio is never replayed for new weights

    same = CountingSynthesizer(cache_dir=tmp_path).load()
    same.synthesize("안녕하세요.")
    assert same.synthesised == []


def test_a_corrupt_file_is_ignored_and_rewritten(tmp_path) -> None:
    syn = CountingSynthesizer(cache_dir=tmp_path).load()
    good = syn.synthesize("잘 주무셨어요?")
    (path,) = list(tmp_path.glob("*.npy"))
    path.write_bytes(path.read_bytes()[:40])  # truncated, as by a full disk

    again = CountingSynthesizer(cache_dir=tmp_path).load()
    assert np.array_equal(again.synthesize("잘 주무셨어요?"), good)
    assert again.synthesised == ["잘 주무셨어요?"] and again.cache.disk.errors == 1
    assert np.array_equal(np.load(path), good)  # rewritten whole


def test_a_file_of_the_wrong_kind_is_a_miss(tmp_path) -> None:
    disk = DiskAudioCache(tmp_path, "m")
    np.save(disk.path("k"), np.zeros((2, 3), np.float32))
    assert disk.get("k") is None and disk.errors == 1 and not disk.path("k").exists()


def test_writes_are_atomic_no_temporary_file_is_left(tmp_path) -> None:
    disk = DiskAudioCache(tmp_path, "m")
    disk.put("k", np.arange(100, dtype=np.int16))
    assert [p.name for p in tmp_path.iterdir()] == [disk.path("k").name]
    assert np.array_equal(disk.get("k"), np.arange(100, dtype=np.int16))


def test_the_folder_is_bounded_least_recently_used_first(tmp_path) -> None:
    disk = DiskAudioCache(tmp_path, "m", max_bytes=3500)  # each file: 128 B header + 800 B audio
    for i in range(3):
        disk.put(i, np.full(400, i, np.int16))
        os.utime(disk.path(i), (1000 + i, 1000 + i))  # distinct ages on coarse-clock file systems
    assert disk.get(0) is not None  # used: now the most recent
    disk.put(3, np.full(400, 3, np.int16))
    assert disk.nbytes <= 3500 and len(disk) == 3  # down to 90 % of the bound: one file went
    assert disk.get(1) is None and disk.get(0) is not None and disk.get(3) is not None
    assert DiskAudioCache(tmp_path, "m", max_bytes=3500).nbytes == disk.nbytes  # measured again on open


def test_clear_of_the_layered_cache_keeps_the_disk(tmp_path) -> None:
    layered = LayeredAudioCache(AudioCache(), DiskAudioCache(tmp_path, "m"))
    layered.put("k", np.ones(10, np.int16))
    layered.clear()
    assert len(layered) == 0 and layered.get("k") is not None and layered.disk.hits == 1


def test_an_unusable_cache_dir_fails_at_load(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SynthesisError, match="clause audio cache"):
        CountingSynthesizer(cache_dir=blocker / "cache").load()


def test_a_clause_being_synthesised_is_waited_for_not_made_twice(tmp_path) -> None:
    syn = CountingSynthesizer(cache_dir=tmp_path, delay_s=0.2).load()
    results: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: results.append(syn.synthesize("약은 드셨어요?"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert syn.synthesised == ["약은 드셨어요?"]
    assert len(results) == 4 and all(np.array_equal(r, results[0]) for r in results)


def test_without_a_cache_dir_nothing_is_written(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    syn = CountingSynthesizer().load()
    syn.synthesize("네.")
    assert isinstance(syn.cache, AudioCache) and list(tmp_path.iterdir()) == []


def test_fingerprints_are_stable_and_digests_follow_the_content(tmp_path) -> None:
    assert source_fingerprint() == source_fingerprint() and len(source_fingerprint()) == 16
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"one")
    first = file_digest(weights)
    weights.write_bytes(b"two!")
    assert file_digest(weights) != first
