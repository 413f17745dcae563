"""A loopback OpenAI-compatible chat-completions server for tests: deterministic replies and injected faults.

Usage::

    from tests.support.judge_server import Fault, JudgeServer

    def rule(messages):                      # (messages) -> reply text; must be deterministic
        return '{"answer": "yes"}'

    with JudgeServer(rule, latency=0.05) as server:
        server.inject(Fault.rate_limit(retry_after=0.1), times=2)   # the next 2 requests get 429 + Retry-After
        judge = OpenAIJudge(JudgeConfig(model="m", base_url=server.url, api_key_env="MY_KEY"))
        ...
        assert server.count == 4

API:
- `JudgeServer(rule=echo_rule, *, latency=0.0, max_requests=100_000, fault_rule=None, served_model=None,
  keepalive_timeout=10.0,
  framing="length", gzip=False, tls=None)`: a context manager; on entry it serves `POST .../chat/completions`
  (any path ending so, query ignored, absolute-form targets as a proxy sends them included) on 127.0.0.1 (a free
  port) from a thread, on exit it stops. `url` is the base URL to give the client (ends in `/v1`). Each request
  sleeps `latency` seconds, then answers `rule(messages)` as a `chat.completion` with `usage` (prompt tokens =
  prompt characters // 4, completion tokens = reply characters // 4, at least 1) and `model` = the requested model,
  or `served_model` when given (an endpoint serving another model than asked for). Requests beyond `max_requests`
  get HTTP 503. A connection on which no request arrives for `keepalive_timeout` seconds is closed by the server
  without a reply (an idle kept-alive one, but also a new one whose client is too slow to send). Replies
  are framed by Content-Length (`framing="length"`), chunked transfer coding (`"chunked"`) or connection close
  (`"close"`), gzip-compressed with `gzip=True`; `tls=(certfile, keyfile)` serves https.
- Faults: `inject(fault, times=1)` queues a fault for the next `times` requests (FIFO, one fault per request);
  `fault_rule` (constructor or attribute) is `(messages, n) -> Fault | None` for faults chosen by prompt (n = the
  1-based count of requests with these messages). `Fault.rate_limit(retry_after)` = 429 with a `Retry-After`
  header (None: no header), `Fault.server_error(status=500)`, `Fault.delay(seconds)` = a slow reply (then the
  normal answer), `Fault.malformed_body()` = HTTP 200 with a body that is not JSON, `Fault.empty_content()` =
  a valid completion whose content is "", `Fault.reply(text)` = a valid completion with this text,
  `Fault.disconnect()` = the connection closed without a reply.
- Inspection: `count` (requests received), `requests` (their JSON bodies), `auth_headers` (Authorization values,
  to check what key the client sent), `headers` (each request's headers, lower-case names), `paths` (request
  targets), `counts_by_prompt()` (last user message -> number of requests), `max_in_flight` (the most requests
  served at once), `events` (("start" | "end", last user message) in the order they happened), `connections`
  (connections accepted).
- In its own process (benchmarks): `python -m tests.support.judge_server --rule autodq --latency 0.05` prints its
  URL on a line, serves until its standard input closes, then prints one JSON line: requests, max_in_flight,
  connections and the CPU seconds the server used.
- `autodq_rule`: the deterministic DREAM-1K AutoDQ judge used by the DREAM-1K tests and benchmarks/judge.py
  (its rule is in its docstring).
- `judge_server` (a pytest fixture factory): `from tests.support.judge_server import judge_server_fixture  # noqa:
  F401` in a test module, then a test taking `judge_server` calls `judge_server(rule, **kw)` to get a started
  server that stops at the end of the test.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import re
import ssl
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

Rule = Callable[[list[dict[str, Any]]], str]


def echo_rule(messages: list[dict[str, Any]]) -> str:
    """The default rule: the last message's content, unchanged."""
    return str(messages[-1].get("content", "")) if messages else ""


def _between(text: str, start: str, end: str) -> str:
    i = text.index(start) + len(start)
    return text[i : text.index(end, i)]


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3]


def autodq_rule(messages: list[dict[str, Any]]) -> str:
    """A deterministic AutoDQ judge, by the text of the official prompts.

    Extraction ("Extract at most 10 key events"): the events are the caption's sentences (split on ".", blanks
    dropped, at most 10), returned as {"events": [...]}. Entailment ("classify the relationship"): an event whose
    words of 4+ letters are at least 60% present in the description is "entailment", at most 20% present
    "contradiction", else "neutral" (an event without such words is "neutral"); returned as the official JSON.
    Markers in the caption / description: "<fence>" wraps the reply in a ```json fence; "<badextract>" makes the
    extraction reply unreadable and "<badentail>" the entailment reply (always: the sample ends judge_failed);
    a description whose length is a multiple of 3 gets labels written " Entailment " (case and spaces to ignore).
    """
    prompt = _prompt_of(messages)
    if "Extract at most 10 key events" in prompt:
        caption = _between(prompt, "Video Description: ", "\n\nExtract at most 10 key events")
        if "<badextract>" in caption:
            return "Sorry, I can not help with that."
        events = [e.strip() for e in caption.split(".") if e.strip()][:10]
        reply = json.dumps({"events": events})
        return f"```json\n{reply}\n```" if "<fence>" in caption else reply
    description = _between(prompt, "Video Description:\n", "\n\nEvents: ")
    events = ast.literal_eval(_between(prompt, "\n\nEvents: ", "\nOutput a JSON formed as:"))
    if "<badentail>" in description:
        return "events: [oops"
    seen = set(_words(description))
    items = []
    for event in events:
        words = _words(str(event))
        share = sum(w in seen for w in words) / len(words) if words else 0.5
        label = "entailment" if share >= 0.6 else "contradiction" if share <= 0.2 else "neutral"
        if len(description) % 3 == 0:
            label = f" {label.capitalize()} "
        items.append({"event": event, "relationship": label, "reason": f"{share:.2f} of its words"})
    reply = json.dumps({"events": items}, indent=2)
    return f"```json\n{reply}\n```" if "<fence>" in description else reply


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int = 200
    seconds: float = 0.0
    retry_after: float | None = None
    text: str = ""

    @staticmethod
    def rate_limit(retry_after: float | None = 0.05) -> Fault:
        return Fault("status", status=429, retry_after=retry_after)

    @staticmethod
    def server_error(status: int = 500) -> Fault:
        return Fault("status", status=status)

    @staticmethod
    def delay(seconds: float) -> Fault:
        return Fault("delay", seconds=seconds)

    @staticmethod
    def malformed_body() -> Fault:
        return Fault("malformed")

    @staticmethod
    def empty_content() -> Fault:
        return Fault("reply", text="")

    @staticmethod
    def reply(text: str) -> Fault:
        return Fault("reply", text=text)

    @staticmethod
    def disconnect() -> Fault:
        return Fault("disconnect")


def _prompt_of(messages: list[dict[str, Any]]) -> str:
    return str(messages[-1].get("content", "")) if messages else ""


class JudgeServer:
    """See the module docstring."""

    def __init__(
        self,
        rule: Rule = echo_rule,
        *,
        latency: float = 0.0,
        max_requests: int = 100_000,
        fault_rule: Callable[[list[dict[str, Any]], int], Fault | None] | None = None,
        served_model: str | None = None,
        keepalive_timeout: float = 10.0,
        framing: str = "length",
        gzip: bool = False,
        tls: tuple[str, str] | None = None,
    ):
        assert framing in ("length", "chunked", "close"), framing
        self.rule = rule
        self.served_model = served_model
        self.latency = latency
        self.max_requests = max_requests
        self.fault_rule = fault_rule
        self.keepalive_timeout = keepalive_timeout
        self.framing = framing
        self.gzip = gzip
        self.tls = tls
        self.requests: list[dict[str, Any]] = []
        self.auth_headers: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.events: list[tuple[str, str]] = []
        self.connections = 0
        self._faults: deque[Fault] = deque()
        self._per_prompt: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._in_flight = 0
        self.max_in_flight = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- control ----
    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/v1"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def inject(self, fault: Fault, times: int = 1) -> None:
        with self._lock:
            self._faults.extend([fault] * times)

    def counts_by_prompt(self) -> Counter[str]:
        with self._lock:
            return Counter(_prompt_of(r.get("messages", [])) for r in self.requests)

    def start(self) -> JudgeServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = server.keepalive_timeout

            def setup(self) -> None:
                super().setup()
                with server._lock:
                    server.connections += 1

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > 5_000_000:
                    self._send(413, {"error": {"message": "request too large"}})
                    return
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    self._send(400, {"error": {"message": "invalid JSON"}})
                    return
                if not urlsplit(self.path).path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                server._handle(self, body)

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                if server.gzip:
                    data = gzip.compress(data)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if server.gzip:
                    self.send_header("Content-Encoding", "gzip")
                if server.framing == "length":
                    self.send_header("Content-Length", str(len(data)))
                elif server.framing == "chunked":
                    self.send_header("Transfer-Encoding", "chunked")
                    half = len(data) // 2
                    data = (
                        b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (data[:half], data[half:]) if c) + b"0\r\n\r\n"
                    )
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        httpd = _Server(("127.0.0.1", 0), Handler)
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> JudgeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- serving ----
    def _handle(self, handler: Any, body: dict[str, Any]) -> None:
        prompt = _prompt_of(body.get("messages") or [])
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            self.events.append(("start", prompt))
        try:
            self._answer(handler, body)
        finally:
            with self._lock:
                self._in_flight -= 1
                self.events.append(("end", prompt))

    def _answer(self, handler: Any, body: dict[str, Any]) -> None:
        messages = body.get("messages") or []
        prompt = _prompt_of(messages)
        with self._lock:
            self.requests.append(body)
            self.auth_headers.append(handler.headers.get("Authorization", ""))
            self.headers.append({k.lower(): v for k, v in handler.headers.items()})
            self.paths.append(handler.path)
            self._per_prompt[prompt] += 1
            n_prompt = self._per_prompt[prompt]
            over = len(self.requests) > self.max_requests
            fault = self._faults.popleft() if self._faults else None
        if over:
            handler._send(503, {"error": {"message": "loopback judge: request limit reached"}})
            return
        if fault is None and self.fault_rule is not None:
            fault = self.fault_rule(messages, n_prompt)
        if self.latency:
            time.sleep(self.latency)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
            fault = None
        if fault is not None and fault.kind == "status":
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            handler._send(fault.status, {"error": {"message": f"injected {fault.status}"}}, headers)
            return
        if fault is not None and fault.kind == "disconnect":
            handler.close_connection = True
            return
        if fault is not None and fault.kind == "malformed":
            handler._send(200, b'{"id": "chatcmpl-x", "choices": [{"message": ')
            return
        text = fault.text if fault is not None else self.rule(messages)
        handler._send(200, self._completion(body, prompt, text))

    def _completion(self, body: dict[str, Any], prompt: str, text: str) -> dict[str, Any]:
        pt = max(1, sum(len(str(m.get("content", ""))) for m in body.get("messages") or []) // 4)
        ct = max(1, len(text) // 4)
        return {
            "id": f"chatcmpl-loopback-{abs(hash(prompt)) % 10**8}",
            "object": "chat.completion",
            "created": 0,
            "model": self.served_model or body.get("model", ""),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct},
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default backlog of 5 refuses connections under concurrency

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that hung up is no server error
            super().handle_error(request, client_address)


@pytest.fixture(name="judge_server")
def judge_server_fixture() -> Iterator[Callable[..., JudgeServer]]:
    """Factory fixture: `judge_server(rule, **kw)` starts a server that stops when the test ends."""
    started: list[JudgeServer] = []

    def make(rule: Rule = echo_rule, **kwargs: Any) -> JudgeServer:
        server = JudgeServer(rule, **kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


RULES: dict[str, Rule] = {"autodq": autodq_rule, "echo": echo_rule}


def main(argv: list[str] | None = None) -> int:
    """Serve in this process until standard input closes (see the module docstring)."""
    ap = argparse.ArgumentParser(description="the loopback judge server, in its own process")
    ap.add_argument("--rule", choices=sorted(RULES), default="echo")
    ap.add_argument("--latency", type=float, default=0.0)
    args = ap.parse_args(argv)
    with JudgeServer(RULES[args.rule], latency=args.latency) as server:
        print(server.url, flush=True)
        sys.stdin.read()
        stats = {"requests": server.count, "max_in_flight": server.max_in_flight, "connections": server.connections}
    print(json.dumps({**stats, "cpu_s": round(time.process_time(), 3)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
