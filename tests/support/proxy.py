"""A forward HTTP proxy on 127.0.0.1 for tests: CONNECT tunnels and absolute-form requests, each one recorded.

    with ForwardProxy() as proxy:            # proxy.url = "http://127.0.0.1:PORT"
        ...                                  # point HTTP_PROXY / HTTPS_PROXY at it
        assert proxy.request_lines[0].startswith("CONNECT 127.0.0.1:")

`request_lines` holds the first line of each request the proxy received (CONNECT or an absolute-form POST),
`proxy_auth` the Proxy-Authorization value sent with it (None when absent). An absolute-form request is passed to
its origin unchanged (the loopback judge server accepts absolute-form targets); a CONNECT opens a tunnel.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlsplit


class ForwardProxy:
    """See the module docstring."""

    def __init__(self) -> None:
        self.request_lines: list[str] = []
        self.proxy_auth: list[str | None] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._lock = threading.Lock()
        self._stopped = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> ForwardProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped = True
        self._sock.close()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(65536)
            if not chunk:
                conn.close()
                return
            head += chunk
        lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        auth = next((v.strip() for k, _, v in (x.partition(":") for x in lines[1:]) if k.lower() == "proxy-authorization"), None)  # fmt: skip
        with self._lock:
            self.request_lines.append(lines[0])
            self.proxy_auth.append(auth)
        method, target = lines[0].split(" ")[:2]
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            upstream = socket.create_connection((host.strip("[]"), int(port)))
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            parts = urlsplit(target)
            upstream = socket.create_connection((parts.hostname, parts.port or 80))
            upstream.sendall(head)
        threading.Thread(target=_pipe, args=(upstream, conn), daemon=True).start()
        _pipe(conn, upstream)


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
