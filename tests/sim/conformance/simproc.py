"""Start poolwarden-sim on port 0 for a conformance script and stop it afterwards."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

TENANT = "22222222-2222-2222-2222-222222222222"
CLIENT = "33333333-3333-3333-3333-333333333333"
SECRET = "demo-client-secret-not-for-production"
SUB = "11111111-1111-1111-1111-111111111111"
ACCOUNT = "renderbatch"
KEY = "cG9vbHdhcmRlbi1zaW0tZGVtby1wcmltYXJ5LWtleS1ub3QtYS1zZWNyZXQ="
VERSION_ID = (f"/subscriptions/{SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/"
              "galleries/studio/images/render/versions/1.4.0")


class Sim:
    """poolwarden-sim as a child process; use as a context manager."""

    def __init__(self, binary, world, tls=False, extra=()):
        self.tmp = tempfile.mkdtemp(prefix="pw-sim-")
        self.ca = os.path.join(self.tmp, "ca.pem") if tls else None
        args = [binary, "--port", "0", "--state", world] + list(extra)
        if tls:
            args += ["--tls", "--tls-ca-out", self.ca]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RuntimeError(f"simulator did not start: {line!r}")
        self.url = line[len("listening on "):]
        self.port = int(self.url.rsplit(":", 1)[1])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)

    def _open(self, req):
        ctx = None
        if self.ca:
            import ssl
            ctx = ssl.create_default_context(cafile=self.ca)
        return urllib.request.urlopen(req, context=ctx, timeout=20)

    def token(self, scope):
        data = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": CLIENT,
                                       "client_secret": SECRET, "scope": scope}).encode()
        with self._open(urllib.request.Request(f"{self.url}/{TENANT}/oauth2/v2.0/token",
                                               data=data)) as r:
            return json.load(r)

    def admin(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}/_sim/{path}", data=data, method=method)
        with self._open(req) as r:
            text = r.read()
            return json.loads(text) if text else None


class Checker:
    """Collects failed checks so one run reports all of them."""

    def __init__(self):
        self.failures = []
        self.count = 0

    def check(self, cond, what):
        self.count += 1
        if not cond:
            self.failures.append(what)
            print(f"FAIL: {what}", file=sys.stderr)

    def eq(self, got, want, what):
        self.check(got == want, f"{what}: got {got!r}, want {want!r}")

    def done(self):
        print(f"{self.count - len(self.failures)}/{self.count} checks passed")
        sys.exit(1 if self.failures else 0)
