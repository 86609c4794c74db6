"""The layout's rules, checked on the source: a new cycle, private import or wrong-way arrow fails here."""

from import_graph import cycles, imports, private_imports, third_party_imports

DATABASE = {"sqlalchemy", "alembic", "psycopg", "psycopg2"}
WEB = {"fastapi", "starlette", "uvicorn", "httpx", "requests", "aiohttp", "websockets", "twilio", "jinja2"}
AUDIO_AND_MODELS = {"torch", "numpy", "soxr", "onnxruntime", "nemo", "ctranslate2", "faster_whisper", "pipecat"}


def test_no_import_cycles():
    assert cycles() == [], "modules that import each other (move the shared part into a module both may import)"


def test_no_private_name_is_imported_across_modules():
    bad = [f"{i.importer} line {i.line}: {i.target} {i.names or ''}" for i in private_imports()]
    assert bad == [], "make the name public where it is defined, or move the code that needs it"


def test_only_the_store_touches_the_database():
    users = {lib: mods for lib, mods in third_party_imports("").items() if lib in DATABASE}
    outside = {lib: sorted(m for m in mods if not m.startswith("agent.store")) for lib, mods in users.items()}
    assert {lib: mods for lib, mods in outside.items() if mods} == {}


def test_dialog_imports_no_models_audio_web_or_database():
    forbidden = DATABASE | WEB | AUDIO_AND_MODELS
    found = {lib: sorted(m) for lib, m in third_party_imports("dialog").items() if lib in forbidden}
    assert found == {}
    assert {i.target.split(".")[0] for i in imports() if i.importer.startswith("dialog")} <= {"dialog"}


def test_asr_and_tts_import_only_the_codec_from_telephony_and_nothing_from_agent_or_dialog():
    for room in ("asr", "tts"):
        reached = {i.target for i in imports() if i.importer.split(".")[0] == room}
        assert {t for t in reached if t.split(".")[0] in ("agent", "dialog")} == set(), room
        assert {t for t in reached if t.startswith("telephony")} <= {"telephony.codec"}, room
        found = {lib: sorted(m) for lib, m in third_party_imports(room).items() if lib in DATABASE | (WEB - {"httpx"})}
        assert found == {}, room


def test_telephony_imports_nothing_from_the_rest_of_the_project():
    reached = {i.target.split(".")[0] for i in imports() if i.importer.startswith("telephony")}
    assert reached <= {"telephony"}


def test_the_back_office_knows_the_live_call_only_by_its_events():
    reached = {
        (i.importer, i.target) for i in imports()
        if i.importer.startswith(("agent.dashboard", "agent.campaigns")) and i.target.startswith("agent.call")
    }
    assert {t for _, t in reached} <= {"agent.call.events"}, sorted(reached)


def test_nothing_in_production_imports_the_demo_or_the_command_line():
    reached = sorted(f"{i.importer} -> {i.target}" for i in imports()
                     if i.target.startswith("agent.cli") and not i.importer.startswith("agent.cli"))
    assert reached == []
