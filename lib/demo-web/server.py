#!/usr/bin/env python3
"""Demo service of the cdk-bluegreen reference app: answers /health and /version.

Standard library only, so the image needs no build step. /version returns the identity file that the bake wrote
(/etc/bluegreen/image.json), which names the image version this instance runs.
"""
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "8080"))
IDENTITY_FILE = os.environ.get("BLUEGREEN_IMAGE_FILE", "/etc/bluegreen/image.json")


def read_identity():
    with open(IDENTITY_FILE, "rb") as f:
        return f.read()


class Handler(BaseHTTPRequestHandler):
    server_version = "bluegreen-demo"
    sys_version = ""

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/health":
            self.reply(200, b"ok", "text/plain")
        elif path == "/version":
            try:
                self.reply(200, read_identity(), "application/json")
            except OSError:
                self.reply(500, b"identity file missing", "text/plain")
        else:
            self.reply(404, b"not found", "text/plain")

    def do_HEAD(self):
        self.do_GET()

    def reply(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_request(self, code="-", size="-"):
        # Health checks every few seconds would flood the journal: log only failed requests.
        if str(getattr(code, "value", code)).startswith(("4", "5")):
            super().log_request(code, size)


def main():
    httpd = ThreadingHTTPServer(("0.0.0.0", PORT), Handler)
    # systemd stops the service with SIGTERM: exit 0 so a normal stop is not recorded as a failure.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
