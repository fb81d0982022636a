"""A small HTTP proxy that waits `latency` seconds before forwarding each request to an AWS
emulator: what a deploy feels like against real AWS (50-150 ms a call) while moto answers in ~5 ms.
Used by bench/deploy.py --latency, and by the deploy-lock tests, which also close its `gate` to hold
a deploy in the middle of its work (requests wait at the gate until it opens again) while they race
a second deploy against it or interrupt it, whatever the machine's speed."""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "trailer", "upgrade"}


def service_of(authorization: str) -> str:
    """The service a SigV4-signed request is for: the fourth part of its credential scope
    (Credential=KEY/DATE/REGION/SERVICE/aws4_request); "?" for an unsigned one."""
    found = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request", authorization)
    return found.group(1) if found else "?"


class LatencyProxy:
    """`with LatencyProxy("http://127.0.0.1:5000", 0.08) as url:` -> the proxy's endpoint URL."""

    def __init__(self, upstream: str, latency: float) -> None:
        target = urlsplit(upstream)
        self.host, self.port, self.latency = target.hostname, target.port, latency
        self.calls = 0
        self.gate = threading.Event()
        self.gate.set()
        self.waiting: list[str] = []  # the operations (X-Amz-Target or path) held at the gate now
        self.delays: list[tuple[float, float]] = []  # (start, end) of each added delay, perf_counter
        self.services: Counter[str] = Counter()  # calls per AWS service (the signature's scope)
        self.counting = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                what = self.headers.get("X-Amz-Target") or f"{self.command} {self.path}"
                proxy.waiting.append(what)
                proxy.gate.wait()
                proxy.waiting.remove(what)
                start = time.perf_counter()
                time.sleep(proxy.latency)
                proxy.delays.append((start, time.perf_counter()))
                with proxy.counting:  # handlers run on threads of their own
                    proxy.calls += 1
                    proxy.services[service_of(self.headers.get("Authorization") or "")] += 1
                upstream = http.client.HTTPConnection(proxy.host, proxy.port, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status, answer.reason)
                for name, value in answer.getheaders():
                    if name.lower() not in _HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def waited(self, since: float) -> float:
        """Seconds since `since` (perf_counter) in which at least one call was being delayed: what
        the latency cost a client, however busy the machine's CPU was meanwhile."""
        total, end = 0.0, since
        for start, stop in sorted(self.delays):
            start = max(start, end)
            if stop > start:
                total, end = total + stop - start, stop
        return total

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.url

    def __exit__(self, *exc) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()
