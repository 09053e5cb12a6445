#!/usr/bin/env python3
"""Demo service of the cdk-bluegreen reference app: answers /health, /version and /flags.

Standard library only, so the image needs no build step. /version returns the identity file that the bake wrote
(/etc/bluegreen/image.json), which names the image version this instance runs. /flags reports the feature flag
release-new-checkout as the AWS AppConfig Agent on localhost serves it, or its default when the agent cannot say.
"""
import json
import os
import signal
import socket
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "8080"))
IDENTITY_FILE = os.environ.get("BLUEGREEN_IMAGE_FILE", "/etc/bluegreen/image.json")
SERVICE = os.environ.get("BLUEGREEN_SERVICE", "web")
AGENT_URL = os.environ.get("APPCONFIG_AGENT_URL", "http://localhost:2772").rstrip("/")
FLAG_TIMEOUT = int(os.environ.get("FEATURE_FLAG_TIMEOUT_MS", "200")) / 1000

# The flags this service reads, with their defaults as flags/<service>.json declares them. A flag falls back to its
# default whenever the agent cannot answer (down, nothing deployed yet, unknown flag, too slow): a page must never
# fail or wait because of a flag.
FLAG_DEFAULTS = {"release-new-checkout": False}


def agent_path(service, flag):
    """The agent's path for one flag; the same as featureFlagAgentPath in lib/contract/feature-flags.ts."""
    return f"/applications/bluegreen-{service}/environments/live/configurations/feature-flags?flag={flag}"


def fetch_flag(flag):
    """(enabled, None) from the agent, or raise with the reason it could not say."""
    with urllib.request.urlopen(AGENT_URL + agent_path(SERVICE, flag), timeout=FLAG_TIMEOUT) as response:
        body = json.loads(response.read())
    if not isinstance(body, dict) or not isinstance(body.get("enabled"), bool):
        raise ValueError(f"agent answered without a boolean 'enabled': {json.dumps(body)[:200]}")
    return body["enabled"]


def read_flag(flag):
    """The flag's value and where it came from: {"enabled": bool, "source": "agent" | "default"[, "reason": str]}.

    The read runs in a thread given FLAG_TIMEOUT in all: urllib's timeout bounds each socket operation, not the whole
    exchange, so an agent that answers slowly could otherwise hold the request far longer.
    """
    result = {}
    too_slow = f"agent did not answer within {int(FLAG_TIMEOUT * 1000)} ms"

    def work():
        try:
            result["enabled"] = fetch_flag(flag)
        except urllib.error.HTTPError as e:
            result["error"] = f"agent answered HTTP {e.code}"
        except Exception as e:  # noqa: BLE001 - any failure means: use the default
            # The socket's own timeout can win the race with join() below: report it the same way.
            timed_out = isinstance(e, socket.timeout) or isinstance(getattr(e, "reason", None), socket.timeout)
            result["error"] = too_slow if timed_out else f"agent unavailable: {type(e).__name__}: {e}"

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(FLAG_TIMEOUT)
    if "enabled" in result:
        return {"enabled": result["enabled"], "source": "agent"}
    return {"enabled": FLAG_DEFAULTS[flag], "source": "default", "reason": result.get("error", too_slow)}


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
        elif path == "/flags":
            flags = {name: read_flag(name) for name in FLAG_DEFAULTS}
            self.reply(200, json.dumps(flags).encode(), "application/json")
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
