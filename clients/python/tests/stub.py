"""A threaded stand-in for metrics-api implementing the client's side of the wire contract (docs/api.md):
ingest (runs, metrics, steps, finish) with the control state in every 202, the control long-poll, the analysis.

Tests steer it: `fail_next` answers the next N ingest requests with a status, `refuse` answers a path with a status,
`max_events` answers 413 above that many events, `down()`/`up()` close and reopen the port (connection refused),
`hang` accepts and never answers, `cancel()` requests a cancel. It records every ingest request and keeps the stored
events de-duplicated by event_id, as the server does.
"""
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def wait_until(condition, timeout=10.0, message="condition"):
    """Polls `condition` until it is true; fails with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, message))
        time.sleep(0.01)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients that hang up (a long-poll ended at finish, an outage) are expected here


class Stub:
    def __init__(self, port=0):
        self.lock = threading.Condition()
        self.requests = []  # (method, path, body) of every ingest request, answered or not
        self.heartbeats = []  # time.monotonic() of every accepted POST /runs/{id}/heartbeat
        self.stored = []  # (kind, event) in arrival order, each event_id once
        self.ids = set()
        self.fail_next = 0
        self.fail_status = 503
        self.fail_suffix = ""  # fail_next applies to ingest paths ending with this
        self.gate = threading.Event()  # ingest requests wait until it is set
        self.gate.set()
        self.control_enabled = True
        self.on_store = None  # called (kind, event) under the lock for every newly stored event
        self.refuse = {}  # path suffix -> status
        self.max_events = None
        self.hang = False
        self.control = {"cancel_requested": False, "reason": None, "requested_by": None, "status": None}
        self.control_version = 0
        self.polls = 0
        self.analysis = {"recommendation": {"action": "continue"}}
        self._port = port
        self.connections = set()
        self.server = None
        self.up()

    # --- steering -----------------------------------------------------------------------------------------------

    def up(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                with stub.lock:
                    stub.connections.add(self.connection)

            def finish(self):
                with stub.lock:
                    stub.connections.discard(self.connection)
                super().finish()

            def do_GET(self):
                stub._get(self)

            def do_POST(self):
                stub._post(self)

        server = _QuietServer(("127.0.0.1", self._port), Handler)
        server.daemon_threads = True
        self._port = server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self._port
        self.server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def down(self):
        server, self.server = self.server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        with self.lock:
            open_connections = list(self.connections)
            self.lock.notify_all()
        for connection in open_connections:  # kept-alive connections too: a real outage
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.gate.set()
        with self.lock:
            self.hang = False
            self.lock.notify_all()
        self.down()

    def cancel(self, reason="overfitting", requested_by="agent:test"):
        with self.lock:
            self._cancel(reason, requested_by)

    def _cancel(self, reason, requested_by):
        """With the lock held (also from on_store)."""
        self.control = {"cancel_requested": True, "reason": reason, "requested_by": requested_by,
                        "status": "cancelling"}
        self.control_version += 1
        self.lock.notify_all()

    def events(self, kind):
        with self.lock:
            return [e for k, e in self.stored if k == kind]

    def finished(self):
        finishes = self.events("finish")
        return finishes[-1] if finishes else None

    # --- the server side -----------------------------------------------------------------------------------------

    def _answer(self, handler, status, body, headers=()):
        data = json.dumps(body).encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "application/problem+json" if status >= 400 else "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _get(self, handler):
        parts = urlsplit(handler.path)
        path = parts.path
        if path.endswith("/control") and self.control_enabled:
            wait = float(parse_qs(parts.query).get("wait", ["0"])[0])
            with self.lock:
                self.polls += 1
                version = self.control_version
                deadline = time.monotonic() + wait
                while (not self.control["cancel_requested"] and self.control_version == version
                       and time.monotonic() < deadline and self.server is not None):
                    self.lock.wait(min(0.05, max(0.0, deadline - time.monotonic())))
                control = dict(self.control)
            self._answer(handler, 200, control)
        elif path.endswith("/analysis"):
            self._answer(handler, 200, self.analysis)
        else:
            self._answer(handler, 404, {"title": "Not found", "status": 404})

    def _post(self, handler):
        path = urlsplit(handler.path).path
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        self.gate.wait()
        with self.lock:
            self.requests.append(("POST", path, raw, dict(handler.headers)))
            if self.hang:
                while self.hang:
                    self.lock.wait(0.05)
                return
            if self.fail_next > 0 and path.endswith(self.fail_suffix):
                self.fail_next -= 1
                status = self.fail_status
                self._answer(handler, status, {"title": "Unavailable", "status": status}, [("Retry-After", "0")])
                return
            for suffix, status in self.refuse.items():
                if path.endswith(suffix):
                    self._answer(handler, status, {"title": "Invalid fields", "status": status, "detail": "refused"})
                    return
            if path.endswith("/heartbeat"):  # body empty or {}: no event to store, only liveness
                if raw.strip() not in (b"", b"{}"):
                    self._answer(handler, 422, {"title": "Invalid fields", "status": 422, "detail": "body: {} or none"})
                    return
                self.heartbeats.append(time.monotonic())
                self.lock.notify_all()
                control = dict(self.control)
                self._answer(handler, 202, {"accepted": 1, "control": control})
                return
            body = json.loads(raw.decode("utf-8"))
            events = body if isinstance(body, list) else [body]
            if self.max_events is not None and len(events) > self.max_events:
                self._answer(handler, 413, {"title": "Too large", "status": 413})
                return
            last = path.rsplit("/", 1)[1]
            kind = {"runs": "start", "metrics": "epoch", "steps": "step"}.get(last, last)
            for event in events:
                if event["event_id"] not in self.ids:
                    self.ids.add(event["event_id"])
                    self.stored.append((kind, event))
                    if self.on_store:
                        self.on_store(kind, event)
            self.lock.notify_all()
            control = dict(self.control)
        self._answer(handler, 202, {"accepted": len(events), "control": control})
