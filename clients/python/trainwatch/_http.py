"""A minimal keep-alive HTTP client over http.client: one Connection per thread, a timeout on every call."""
import http.client
import json
import socket
from urllib.parse import urlsplit

from . import __version__

API_PREFIX = "/api/v1"


class TransportError(Exception):
    """The server could not be reached or broke the connection: the request may be retried."""


class Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except ValueError:
            return None

    def retry_after(self):
        """Retry-After in seconds, when given as a number (the server's 503s carry one)."""
        value = self.headers.get("retry-after")
        try:
            return max(0.0, float(value)) if value is not None else None
        except ValueError:
            return None


class Endpoint:
    """Where metrics-api is and how to authenticate; makes connections."""

    def __init__(self, url, token=None):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url: must be http(s)://host[:port][/path], was %r" % url)
        self.url = url
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.prefix = parts.path.rstrip("/") + API_PREFIX
        self.headers = {"User-Agent": "trainwatch-python/" + __version__, "Accept": "application/json"}
        if token:
            self.headers["Authorization"] = "Bearer " + token

    def connect(self):
        return Connection(self)


class Connection:
    """Not thread-safe: each thread that talks to the server owns one."""

    def __init__(self, endpoint):
        self._endpoint = endpoint
        self._conn = None

    def request(self, method, path, body=None, timeout=10.0):
        """Sends one request; raises TransportError when there is no answer. A kept-alive connection the server
        closed meanwhile is retried once on a fresh one (ingest is idempotent by event id)."""
        reused = self._conn is not None
        try:
            return self._request_once(method, path, body, timeout)
        except TransportError:
            if not reused:
                raise
        return self._request_once(method, path, body, timeout)

    def _request_once(self, method, path, body, timeout):
        endpoint = self._endpoint
        headers = dict(endpoint.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            if self._conn is None:
                cls = http.client.HTTPSConnection if endpoint.https else http.client.HTTPConnection
                self._conn = cls(endpoint.host, endpoint.port, timeout=timeout)
            conn = self._conn
            conn.timeout = timeout
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
            conn.request(method, endpoint.prefix + path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            response = Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, data)
            if answer.will_close:
                self.close()
            return response
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise TransportError("%s %s: %s" % (method, path, error or type(error).__name__)) from None

    def abort(self):
        """Unblocks a request in flight on another thread (used to end a long-poll at finish)."""
        conn = self._conn
        sock = conn.sock if conn is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass
