import subprocess
import sys


def test_telephony_imports_no_agent_asr_tts_or_dialog():
    code = (
        "import sys, telephony.protocol, telephony.codec, telephony.twiml, telephony.security, telephony.routes, "
        "telephony.serializer, telephony.simulator.phone, telephony.simulator.personas;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('agent', 'asr', 'tts', 'dialog')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
