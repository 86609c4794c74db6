"""The voices the whole-call benchmark speaks with are never used to train a model of the project.

``asr.recipes.speech.EVALUATION_VOICES`` is the one list; the ASR recipe (``scripts/build_asr_test_model.py`` →
``asr.recipes.dataset.training_jobs``) draws Kokoro mixes and espeak-ng variants, and the hdts voice's recipe
(``scripts/build_tts_voice.py``) learns from one Kokoro teacher voice. No speech models are loaded here.
"""

import ast
import random
from pathlib import Path

import asr.recipes.speech as speech
from asr.recipes.dataset import held_out_jobs, training_jobs
from asr.recipes.speech import (
    ESPEAK_VARIANTS,
    EVALUATION_VOICES,
    EXCLUSION_RADIUS,
    KOKORO_VOICES,
    Voice,
    is_evaluation_voice,
    random_kokoro,
    style_distance,
)

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def script_constant(script: str, name: str):
    """A module-level constant of a build script, read without running it."""
    tree = ast.parse((SCRIPTS / script).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{script} has no {name}")


def test_three_evaluation_voices_outside_the_recipes_voice_lists():
    assert len(EVALUATION_VOICES) >= 3
    engines = {v.engine for v in EVALUATION_VOICES.values()}
    assert "hdts" in engines and "kokoro" in engines
    for name, voice in EVALUATION_VOICES.items():
        assert is_evaluation_voice(voice), name
        if voice.engine == "kokoro":
            assert len(voice.mix) > 3, f"{name}: random_kokoro mixes at most three styles"
            assert abs(sum(w for _, w in voice.mix) - 1.0) < 1e-9
            assert all(style_distance(voice, Voice("kokoro", 1.0, mix=((v, 1.0),))) >= 1.0 for v in KOKORO_VOICES)
        if voice.engine == "espeak":
            assert voice.variant not in ESPEAK_VARIANTS, name


def test_near_mixes_are_excluded_and_far_ones_are_not():
    blend = EVALUATION_VOICES["kokoro-blend5"]
    nudged = tuple((v, w + (0.02 if i == 0 else -0.005)) for i, (v, w) in enumerate(blend.mix))
    assert is_evaluation_voice(Voice("kokoro", 0.9, mix=nudged))  # another speed is still the same voice
    assert not is_evaluation_voice(Voice("kokoro", 1.0, mix=(("jm_kumo", 1.0),)))
    assert not is_evaluation_voice(Voice("kokoro", 1.0, mix=(("jf_alpha", 0.5), ("jm_kumo", 0.5))))
    assert not is_evaluation_voice(Voice("espeak", 170, variant="+m1"))


def test_the_sampler_draws_again_when_it_meets_an_evaluation_voice(monkeypatch):
    refused = []

    def refuse_first(voice):
        if not refused:
            refused.append(voice)
            return True
        return False

    monkeypatch.setattr(speech, "is_evaluation_voice", refuse_first)
    drawn = random_kokoro(random.Random(5))
    assert refused and drawn != refused[0]


def test_the_asr_recipe_never_trains_on_an_evaluation_voice(monkeypatch):
    fired = []
    real = speech.is_evaluation_voice
    monkeypatch.setattr(speech, "is_evaluation_voice", lambda v: fired.append(v) or real(v))
    seed = script_constant("build_asr_test_model.py", "SEED")
    jobs = training_jobs(seed)
    voices = [job.voice for job in jobs]
    assert {v.engine for v in voices} <= {"kokoro", "espeak"}
    assert not any(is_evaluation_voice(v) for v in voices)
    assert {v.variant for v in voices if v.engine == "espeak"} <= set(ESPEAK_VARIANTS)
    kokoro = [v for v in voices if v.engine == "kokoro"]
    nearest = min(style_distance(v, e) for v in kokoro for e in EVALUATION_VOICES.values() if e.engine == "kokoro")
    assert nearest >= 0.5 - 1e-9 > EXCLUSION_RADIUS  # so the exclusion never redrew: the committed model's draws stand
    assert fired and not any(real(v) for v in fired)
    held_out = held_out_jobs(script_constant("build_asr_test_model.py", "HELD_OUT_SEED"), 40, set())
    assert not any(is_evaluation_voice(job.voice) for job in held_out)


def test_any_seed_of_the_sampler_stays_away_from_the_evaluation_blends():
    rng = random.Random(0)
    blends = [e for e in EVALUATION_VOICES.values() if e.engine == "kokoro"]
    nearest = min(style_distance(random_kokoro(rng), e) for _ in range(5000) for e in blends)
    assert nearest >= 0.5 - 1e-9


def test_the_hdts_voice_learns_only_from_its_teacher():
    teacher = script_constant("build_tts_voice.py", "TEACHER_VOICE")
    assert teacher in KOKORO_VOICES
    assert not is_evaluation_voice(Voice("kokoro", 1.0, mix=((teacher, 1.0),)))
    source = (SCRIPTS / "build_tts_voice.py").read_text(encoding="utf-8")
    assert 'make_synthesizer("kokoro", voice=TEACHER_VOICE' in source  # the corpus is spoken by that voice only
