"""A small upstream HTTP service for the nginx_basic_auth scenarios.

GET /health answers {"status": "OK"}; GET /gzip-check answers 4 KiB of JSON; any other
GET echoes the request; PUT and POST stream the body (Content-Length or chunked) and
answer its size and SHA-256, so a test can prove an upload arrived intact.
Usage: echo_upstream.py ADDRESS PORT
"""

import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 1 << 20


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _chunks(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return
                yield self.rfile.read(size)
                self.rfile.readline()
        remaining = int(self.headers.get("Content-Length", 0))
        while remaining:
            data = self.rfile.read(min(CHUNK, remaining))
            if not data:
                return
            remaining -= len(data)
            yield data

    def do_GET(self) -> None:
        if self.path == "/health":
            self._answer({"status": "OK"})
        elif self.path == "/gzip-check":
            self._answer({"items": ["compressible text"] * 200})
        else:
            self._answer({"method": "GET", "path": self.path, "headers": dict(self.headers.items())})

    def do_PUT(self) -> None:
        digest, size = hashlib.sha256(), 0
        for data in self._chunks():
            digest.update(data)
            size += len(data)
        self._answer({"method": self.command, "path": self.path, "bytes": size, "sha256": digest.hexdigest()})

    do_POST = do_PUT

    def log_message(self, format, *args):  # quiet: no per-request log lines
        pass


if __name__ == "__main__":
    ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
