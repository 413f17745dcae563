"""The neutral OpenAI-compatible client over real HTTP(S) to the loopback server: framing, keep-alive, stale
connections, Azure, proxies, TLS, the openai model backend, and that none of it imports the openai SDK."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tarsier_eval.errors import UsageError
from tarsier_eval.models.base import PreparedInput
from tarsier_eval.models.openai_api import jpeg_data_url, openai_chat
from tarsier_eval.openai_compat.client import ChatClient
from tarsier_eval.openai_compat.config import ClientConfig
from tarsier_eval.openai_compat.usage import CallFailed
from tests.support.judge_server import Fault, judge_server_fixture  # noqa: F401  (fixture `judge_server`)
from tests.support.proxy import ForwardProxy

SECRET = "sk-compat-0123456789abcdefghij"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("TE_COMPAT_KEY", SECRET)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def client(url: str | None, **kw) -> ChatClient:
    cfg = dict(model="m", base_url=url, api_key_env="TE_COMPAT_KEY", backoff_base=0.01, timeout=5.0)
    return ChatClient(ClientConfig(**{**cfg, **kw}), key_hint="test")


def ask(c: ChatClient, prompts: list[str], pause: float = 0.0) -> list[str]:
    """The replies to `prompts`, one after the other in one session, sleeping `pause` s between them."""

    async def main() -> list[str]:
        out = []
        async with c.session() as session:
            for i, p in enumerate(prompts):
                if i and pause:
                    await asyncio.sleep(pause)
                out.append((await session.complete([{"role": "user", "content": p}], {})).text)
        return out

    return asyncio.run(main())


@pytest.mark.parametrize(
    ("framing", "gzip"), [("length", False), ("chunked", False), ("close", True), ("chunked", True)]
)
def test_reply_framings_and_encodings(judge_server, framing, gzip):
    server = judge_server(framing=framing, gzip=gzip)
    c = client(server.url)
    assert ask(c, ["héllo", "wörld " * 500, "x"]) == ["héllo", "wörld " * 500, "x"]
    assert server.connections == (3 if framing == "close" else 1)  # keep-alive unless the server closes
    assert c.usage()["calls"] == 3 and c.usage()["errors"] == {}
    assert server.headers[0]["authorization"] == f"Bearer {SECRET}" and server.paths[0] == "/v1/chat/completions"


def test_idle_connection_closed_by_the_server_costs_no_call(judge_server):
    server = judge_server(keepalive_timeout=0.2)
    c = client(server.url)
    assert ask(c, ["a", "b", "c"], pause=0.5) == ["a", "b", "c"]
    u = c.usage()
    assert server.count == 3 and u["calls"] == 3 and u["retries"] == 0 and server.connections == 3


def test_reused_connection_dropped_before_a_reply_is_sent_again_once(judge_server):
    server = judge_server()
    server.inject(Fault.reply("first"))
    server.inject(Fault.disconnect())  # the second request, on the kept-alive connection
    c = client(server.url)
    assert ask(c, ["a", "b"]) == ["first", "b"]
    u = c.usage()
    assert u["calls"] == 2 and u["retries"] == 0 and u["errors"] == {"stale_connection": 1} and server.count == 3
    # on a fresh connection the same drop is a failed attempt, retried and counted
    fresh = judge_server()
    fresh.inject(Fault.disconnect())
    c2 = client(fresh.url)
    assert ask(c2, ["a"]) == ["a"]
    assert c2.usage()["calls"] == 2 and c2.usage()["retries"] == 1 and c2.usage()["errors"] == {"connection": 1}


def test_503_retry_after_is_honoured_and_4xx_fails_at_once(judge_server):
    server = judge_server()
    server.inject(Fault.rate_limit(retry_after=0.3))
    server.inject(Fault.server_error(503))
    server.inject(Fault.server_error(404))
    c = client(server.url, backoff_base=0.001)
    with pytest.raises(CallFailed, match="HTTP 404: injected 404"):
        ask(c, ["a"])
    u = c.usage()
    assert u["calls"] == 3 and u["retries"] == 2 and u["errors"] == {"http_429": 1, "http_503": 1, "http_404": 1}


def test_azure_deployment_path_api_version_and_key_header(judge_server):
    server = judge_server()
    base = server.url.removesuffix("/v1")
    c = client(base, model="my-deployment", azure_api_version="2024-02-01")
    assert ask(c, ["hi"]) == ["hi"]
    assert server.paths == ["/openai/deployments/my-deployment/chat/completions?api-version=2024-02-01"]
    assert server.headers[0]["api-key"] == SECRET and "authorization" not in server.headers[0]
    with pytest.raises(UsageError, match="Azure OpenAI needs a base URL"):
        client(None, azure_api_version="2024-02-01")


def test_openai_base_url_from_the_environment_and_missing_key(judge_server, monkeypatch):
    server = judge_server()
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    assert ask(client(None), ["env"]) == ["env"]
    monkeypatch.delenv("TE_COMPAT_KEY")
    with pytest.raises(UsageError, match="TE_COMPAT_KEY is not set"):
        client(None)
    assert ask(client(server.url), ["keyless"]) == ["keyless"]  # a local server: no key needed
    assert server.headers[-1]["authorization"] == "Bearer EMPTY"


def test_http_proxy_from_the_environment(judge_server, monkeypatch):
    server = judge_server()
    with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url.replace("://", "://user:p%40ss@"))
        assert ask(client(server.url), ["via proxy"]) == ["via proxy"]
        assert proxy.request_lines == [f"POST {server.url}/chat/completions HTTP/1.1"]
        assert proxy.proxy_auth == ["Basic " + base64.b64encode(b"user:p@ss").decode()]
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert ask(client(server.url), ["direct"]) == ["direct"] and len(proxy.request_lines) == 1


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    cert, key = str(d / "cert.pem"), str(d / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)  # fmt: skip
    return cert, key


def test_https_verifies_the_certificate_directly_and_through_connect(judge_server, tls_cert, monkeypatch):
    server = judge_server(tls=tls_cert)
    assert server.url.startswith("https://")
    with pytest.raises(CallFailed, match="CERTIFICATE_VERIFY_FAILED"):
        ask(client(server.url, max_attempts=1), ["untrusted"])
    monkeypatch.setenv("SSL_CERT_FILE", tls_cert[0])
    assert ask(client(server.url), ["trusted", "kept alive"]) == ["trusted", "kept alive"]
    with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        assert ask(client(server.url), ["tunnelled"]) == ["tunnelled"]
    assert proxy.request_lines == [f"CONNECT 127.0.0.1:{server.port} HTTP/1.1"]
    assert server.connections == 2  # the kept-alive one and the tunnel (the untrusted handshake never got served)


def test_openai_backend_runs_on_the_neutral_client(judge_server):
    server = judge_server(lambda m: f"{len(m[-1]['content']) - 1} frames")
    server.fault_rule = lambda messages, n: Fault.empty_content() if "for s1" in json.dumps(messages) else None
    backend = openai_chat(model="gpt-4o-test", base_url=server.url, api_key_env="TE_COMPAT_KEY", max_attempts="2")
    image = {"type": "image_url", "image_url": {"url": jpeg_data_url(np.zeros((28, 28, 3), np.uint8), 90)}}

    def messages(sample: str) -> list[dict]:  # the two requests run concurrently: the fault follows the prompt
        return [{"role": "user", "content": [image, image, {"type": "text", "text": f"for {sample}"}]}]

    batch = [PreparedInput(s, {"messages": messages(s)}, 2) for s in ("s1", "s2")]
    out = backend.generate(batch, {"max_new_tokens": 5})
    assert out[0].response is None and "empty reply" in out[0].error
    assert out[1].response == "2 frames" and out[1].error is None
    assert server.requests[-1]["max_tokens"] == 5 and server.requests[-1]["temperature"] == 0.0
    assert SECRET not in json.dumps(backend.usage()) + json.dumps(backend.describe())


def test_importing_judges_and_the_client_does_not_import_the_sdk():
    code = (
        "import sys, tarsier_eval.judges.client, tarsier_eval.judges.commands, tarsier_eval.judges.chain, "
        "tarsier_eval.judges.autodq, tarsier_eval.openai_compat.client, tarsier_eval.models.openai_api; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('openai', 'httpx', 'httpx2', 'httpcore')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
