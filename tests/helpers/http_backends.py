"""Local HTTP servers that stand in for backends: maglevd's HTTP checks probe them."""

from __future__ import annotations

import http.server
import threading


class OkHandler(http.server.BaseHTTPRequestHandler):
    """200 "ok" on every path while the server's `healthy` is true, 503 once a test sets it False."""

    def do_GET(self) -> None:
        body = b"ok\n"
        self.send_response(200 if self.server.healthy else 503)  # type: ignore[attr-defined]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def start_backend(address: str) -> http.server.ThreadingHTTPServer:
    """A healthy server on address, port 0 (its port is server_address[1]), served by a thread."""
    server = http.server.ThreadingHTTPServer((address, 0), OkHandler)
    server.healthy = True  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def stop_backend(server: http.server.ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()
