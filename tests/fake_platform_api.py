"""A stand-in for a platform's Web API (Slack, WeChat) on loopback.

Their servers can't be reached from here, so this is the one place tests mock: it records
every request and answers each path with a canned JSON body.
"""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, List, Optional
from urllib.parse import parse_qs, urlparse


class RecordedRequest:
    def __init__(self, method: str, path: str, query: Dict, headers: Dict, body: bytes):
        self.method, self.path, self.query, self.headers, self.body = method, path, query, headers, body

    def json(self):
        return json.loads(self.body or b"null")

    def form(self) -> Dict[str, List[str]]:
        return parse_qs(self.body.decode("utf-8"))

    def __repr__(self) -> str:
        return f"{self.method} {self.path} {self.body[:200]!r}"


class FakePlatformAPI:
    """`responses` maps a path to the JSON it answers; unknown paths get a 404."""

    def __init__(self, responses: Dict[str, dict]):
        self.responses = dict(responses)
        self.requests: List[RecordedRequest] = []
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with api._lock:
                    api.requests.append(RecordedRequest(
                        self.command, url.path, parse_qs(url.query), dict(self.headers), body))
                answer = api.responses.get(url.path)
                data = json.dumps(answer if answer is not None else {"error": "not found"}).encode()
                self.send_response(200 if answer is not None else 404)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "FakePlatformAPI":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def received(self, path: str, where: Optional[Callable[[RecordedRequest], bool]] = None):
        with self._lock:
            return [r for r in self.requests if r.path == path and (where is None or where(r))]

    def wait_for(self, path: str, where=None, count: int = 1, timeout: float = 30) -> List[RecordedRequest]:
        """The requests to `path` matching `where`, once at least `count` have arrived."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = self.received(path, where)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no {count} request(s) to {path} within {timeout}s; got {self.requests}")
