import pytest

from dialog import vocabulary
from telephony.simulator.personas import PersonaError, builtin_personas, load_persona


def test_builtin_personas_load():
    names = builtin_personas()
    assert {"well", "fever_cough", "fall_low_mood", "silent", "barge_in"} <= set(names)
    for name in names:
        persona = load_persona(name)
        assert persona.phone.startswith("+82")
    well = load_persona("well")
    assert well.name == "김영수" and well.expect.answers["meal"] == "eaten"
    assert load_persona("silent").silent
    assert load_persona("barge_in").barge_in.state == "identity"
    assert set(load_persona("fall_low_mood").expect.flags) >= {"fall", "low_mood", "loneliness"}
    assert set(load_persona("fever_cough").expect.flags) >= {"fever", "cough"}


def test_answer_for_alternatives_and_fallbacks():
    p = load_persona("fever_cough")
    assert p.answer_for("meal", 0) != p.answer_for("meal", 1)
    assert p.answer_for("meal", 9) == p.answers["meal"][-1]
    assert p.answer_for("health.fever") == p.answers["health.fever"][0]
    assert p.answer_for("health.now") == p.answers["health"][0]  # prefix before '.'
    assert p.answer_for("closing") == p.answers["default"][0]
    assert p.next_state(None) == "identity" and p.next_state("identity") == "meal"
    assert p.next_state("health.fever") == "medication"


def test_load_by_path(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text('name: 홍길동\nphone: "+821099998888"\nanswers: {meal: "네."}\n', encoding="utf-8")
    assert load_persona(f).answers == {"meal": ["네."]}


@pytest.mark.parametrize(
    "body, field",
    [
        ('name: 홍길동\nphone: "01012345678"\n', "phone"),
        ('name: 홍길동\nphone: "+821012345678"\nanswers: {Dinner-1: ["네."]}\n', "answers"),
        ('name: 홍길동\nphone: "+821012345678"\nbarge_in: {after_s: 1, text: "네"}\n', "barge_in"),
        ('name: 홍길동\nphone: "+821012345678"\nspeeed: 1.0\n', "speeed"),
        ('phone: "+821012345678"\n', "name"),
    ],
)
def test_bad_file_names_file_and_field(tmp_path, body, field):
    f = tmp_path / "bad_persona.yaml"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(PersonaError) as err:
        load_persona(f)
    assert "bad_persona.yaml" in str(err.value) and field in str(err.value)


def test_every_builtin_persona_expects_only_the_dialogs_vocabulary():
    for name in builtin_personas():
        expect = load_persona(name, vocabulary=vocabulary).expect
        assert set(expect.flags) | set(expect.no_flags) <= vocabulary.FLAG_RULES, name
        assert set(expect.answers) <= vocabulary.ANSWER_KEYS, name


@pytest.mark.parametrize(
    "body, field",
    [
        ('name: 홍길동\nphone: "+821012345678"\nexpect: {answers: {meal: hungry}}\n', "expect.answers"),
        ('name: 홍길동\nphone: "+821012345678"\nexpect: {flags: [sad]}\n', "expect.flags"),
        ('name: 홍길동\nphone: "+821012345678"\nexpect: {no_flags: [sad]}\n', "expect.no_flags"),
        ('name: 홍길동\nphone: "+821012345678"\nexpect: {answers: {mael: eaten}}\n', "unknown answer key 'mael'"),
        ('name: 홍길동\nphone: "+821012345678"\nexpect: {answers: {symptoms: fever}}\n', "must be a list"),
    ],
)
def test_expectations_outside_the_vocabulary_name_file_and_field(tmp_path, body, field):
    f = tmp_path / "bad_persona.yaml"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(PersonaError) as err:
        load_persona(f, vocabulary=vocabulary)
    assert "bad_persona.yaml" in str(err.value) and field in str(err.value)
    assert load_persona(f).expect is not None  # without the vocabulary only the structure is checked


def test_unknown_and_invalid_files(tmp_path):
    with pytest.raises(PersonaError, match="no persona 'nobody'"):
        load_persona("nobody")
    f = tmp_path / "list.yaml"
    f.write_text("- a\n- b\n")
    with pytest.raises(PersonaError, match="list.yaml: a persona must be a mapping"):
        load_persona(f)
    g = tmp_path / "broken.yaml"
    g.write_text("name: [unclosed\n")
    with pytest.raises(PersonaError, match="broken.yaml: invalid YAML"):
        load_persona(g)
