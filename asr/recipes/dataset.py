"""Plans and renders the synthetic training and test sets of the small model (see ``speech`` and ``corpus``)."""
from __future__ import annotations

import multiprocessing as mp
import random
from collections.abc import Callable
from pathlib import Path

from asr.recipes import corpus
from asr.recipes.speech import Job, Speaker, Voice, random_channel, random_espeak, random_kokoro, render


def training_jobs(seed: int, n_templates: int = 215) -> list[Job]:
    """Every fixed phrase four times in Kokoro (one of them the agent simulator's caller voice, jm_kumo) and three
    times in espeak-ng; every template sentence twice in Kokoro and once in espeak-ng. Kokoro renditions get
    two channel copies each (pitch/tempo warp, noise, phone band, level), espeak ones two as well."""
    rng = random.Random(seed)
    fixed = {corpus.clean(t) for t in corpus.CARE + corpus.RESERVATION}
    jobs: list[Job] = []
    for text in corpus.training_texts(seed, n_templates):
        n_kokoro, n_espeak = (4, 3) if text in fixed else (2, 1)
        voices = [random_kokoro(rng) for _ in range(n_kokoro)] + [random_espeak(rng) for _ in range(n_espeak)]
        if text in fixed:
            voices[0] = Voice("kokoro", round(rng.uniform(0.88, 1.02), 2), mix=(("jm_kumo", 1.0),))
        for voice in voices:
            jobs.append(Job(text, voice, [random_channel(rng), random_channel(rng)], seed=rng.randrange(2**31)))
    return jobs


def held_out_jobs(seed: int, n: int, exclude: set[str], phone: float = 1.0) -> list[Job]:
    """Kokoro utterances the model never saw: new sentence combinations plus known short answers, each in a
    freshly drawn voice mix and speed, through the phone channel with probability ``phone``."""
    rng = random.Random(seed)
    texts = corpus.held_out_sentences(seed, n // 2, exclude)
    short = sorted({corpus.clean(t) for t in corpus.CARE + corpus.RESERVATION})
    texts += rng.sample(short, n - len(texts))
    return [Job(t, random_kokoro(rng, speeds=(0.9, 1.1)), [random_channel(rng, phone)], seed=rng.randrange(2**31))
            for t in texts]


_speaker: Speaker | None = None


def _init_worker(threads: int) -> None:
    global _speaker
    _speaker = Speaker(threads)


def _render_one(args: tuple[Job, Path, int]) -> list[dict]:
    job, out_dir, index = args
    return render(job, _speaker, out_dir, index)


def render_all(jobs: list[Job], out_dir: Path, workers: int = 2,
               progress: Callable[[int, int], None] | None = None) -> list[dict]:
    """Render ``jobs`` into ``out_dir`` with ``workers`` processes (one ONNX thread each); manifest rows in order."""
    rows: list[dict] = []
    tasks = [(job, out_dir, i) for i, job in enumerate(jobs)]
    if workers <= 1:
        _init_worker(1)
        results = map(_render_one, tasks)
        for done, part in enumerate(results, 1):
            rows += part
            if progress:
                progress(done, len(jobs))
        return rows
    with mp.get_context("spawn").Pool(workers, initializer=_init_worker, initargs=(1,)) as pool:
        for done, part in enumerate(pool.imap(_render_one, tasks, chunksize=4), 1):
            rows += part
            if progress:
                progress(done, len(jobs))
    return rows
