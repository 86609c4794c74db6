"""The optional language-model responder, against a local server speaking the chat-completions API."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dialog_testkit import MORNING, talk

from agent.call.language_model import ChatResponder
from dialog import DialogSession
from dialog.responder import read_suggestion as _read


class FakeChatServer:
    """Answers POST /v1/chat/completions with whatever `content` is set to; records each request."""

    def __init__(self):
        self.content = '{"say": "아이고, 그러셨군요.", "concern": null}'
        self.delay_s = 0.0
        self.status = 200
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
                time.sleep(server.delay_s)
                payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": server.content}}]})
                try:  # the timeout tests' client has gone by the time a slow reply is written
                    self.send_response(server.status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(payload.encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    fake = FakeChatServer()
    yield fake
    fake.close()


def session_with(scenario, server, timeout_s=2.0):
    responder = ChatResponder(server.url, "korean-chat", api_key="k", timeout_s=timeout_s)
    return DialogSession(scenario, {"name": "김영수"}, now=MORNING, seed=0, responder=responder)


def test_model_words_the_lead_in_and_the_question_stays(scenario, server):
    s = session_with(scenario, server)
    talk(s, ["네"])
    server.requests.clear()
    question_before = s._question
    reply = s.handle("아침은 조금 먹었어요")
    assert reply.state == "sleep"
    assert reply.text.startswith("아이고, 그러셨군요.") and reply.text.endswith(s._question)
    (request,) = server.requests
    assert request["path"] == "/v1/chat/completions" and request["model"] == "korean-chat"
    assert request["auth"] == "Bearer k"
    assert "아침은 조금 먹었어요" in request["messages"][1]["content"]
    assert question_before in request["messages"][1]["content"]
    assert s.answers["meal"] == "eaten"  # the rules still decided the answer


def test_model_concern_becomes_a_flag(scenario, server):
    s = session_with(scenario, server)
    talk(s, ["네"])
    server.content = '{"say": "말씀해 주셔서 고마워요.", "concern": "loneliness"}'
    s.handle("요즘 아무도 안 와")
    flag = next(f for f in s.flags if f.rule == "loneliness")
    assert flag.evidence == "요즘 아무도 안 와" and "언어 모델" in flag.message


def test_emergency_is_never_sent_to_the_model(scenario, server):
    server.content = '{"say": "괜찮으실 거예요.", "concern": null}'
    s = session_with(scenario, server)
    talk(s, ["네"])
    server.requests.clear()
    reply = s.handle("도와주세요 숨을 못 쉬겠어요")
    assert reply.end and s.outcome == "emergency" and "괜찮으실" not in reply.text
    assert server.requests == []


@pytest.mark.parametrize(
    "content",
    ["", "not json and no hangul", '{"say": "' + "가" * 200 + '"}', '{"say": 3}'],
)
def test_unusable_answers_keep_the_script(scenario, server, content):
    server.content = content
    scripted = DialogSession(scenario, {"name": "김영수"}, now=MORNING, seed=0)
    talk(scripted, ["네"])
    s = session_with(scenario, server)
    talk(s, ["네"])
    server.requests.clear()
    assert s.handle("네 먹었어요").text == scripted.handle("네 먹었어요").text


def test_slow_or_failing_server_keeps_the_script(scenario, server):
    server.delay_s = 1.0
    s = session_with(scenario, server, timeout_s=0.2)
    talk(s, ["네"])
    started = time.perf_counter()
    reply = s.handle("네 먹었어요")
    assert time.perf_counter() - started < 0.9 and reply.state == "sleep"
    server.delay_s, server.status = 0.0, 500
    assert s.handle("잘 잤어요").state in ("health", "medication")


def test_nothing_listening():
    responder = ChatResponder("http://127.0.0.1:9/v1", "m", timeout_s=0.5)
    assert responder.suggest("care_call", "식사하셨어요?", "네", "") is None


def test_reading_the_models_answer():
    assert _read('```json\n{"say": "네, 알겠어요?", "concern": "poor_sleep"}\n```').say == "네, 알겠어요."
    assert _read('{"say": "네.", "concern": "rm -rf"}').concern is None
    assert _read("그러셨군요.").say == "그러셨군요."
