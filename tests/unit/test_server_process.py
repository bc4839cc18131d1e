"""ServerProcess readiness: a server that answers health checks but dies on its first completion
(as a llama.cpp build with instructions the CPU does not enable does) is reported in one line."""

from __future__ import annotations

import sys

import pytest

from forager.errors import ForagerError
from forager.serve.process import ServerProcess, free_port

# A real HTTP server process: healthy on GET, killed by SIGSEGV on the first POST.
CRASHY = """
import http.server, os, signal, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.end_headers()
        self.wfile.write(b'{"data": []}')
    def do_POST(self):
        os.kill(os.getpid(), signal.SIGSEGV)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def _server(tmp_path, script: str) -> tuple[ServerProcess, str]:
    port = free_port()
    src = tmp_path / "server.py"
    src.write_text(script)
    base = f"http://127.0.0.1:{port}/v1"
    return ServerProcess([sys.executable, str(src), str(port)], f"{base}/models", tmp_path / "server.log"), base


def test_server_dying_on_its_first_completion_is_one_clear_line(tmp_path):
    server, base = _server(tmp_path, CRASHY)
    server.wait_healthy(30)
    with pytest.raises(ForagerError) as err:
        server.check_completion(f"{base}/chat/completions", {"messages": []}, timeout=30)
    msg = str(err.value)
    assert "died (signal SIGSEGV) on its first completion request" in msg and str(tmp_path / "server.log") in msg
    assert "\n" not in msg
    server.stop()


def test_server_exiting_before_it_answers_says_so(tmp_path):
    server, _ = _server(tmp_path, "import sys; sys.exit(3)")
    with pytest.raises(ForagerError, match=r"died \(code 3\) before answering \(log: "):
        server.wait_healthy(30)
