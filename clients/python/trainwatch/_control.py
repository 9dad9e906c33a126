"""The run's control state (has someone asked to cancel it?), learnt from every ingest answer and from a long-poll,
so that a run that logs once an hour still learns of a cancel within seconds.
"""
import logging
import threading
import time

from ._http import TransportError
from ._sender import Backoff

log = logging.getLogger("trainwatch")


class Control:
    """Written by the sender and the poller, read by the training thread (plain attribute reads)."""

    def __init__(self):
        self.cancel_requested = False
        self.reason = None
        self.requested_by = None
        self.status = None
        self.changed = threading.Event()  # set once a cancel is known

    def update(self, state):
        """Applies a `control` object; returns True if it changed anything."""
        if not isinstance(state, dict):
            return False
        before = (self.cancel_requested, self.reason, self.requested_by, self.status)
        if state.get("cancel_requested") is True and not self.cancel_requested:
            self.reason = state.get("reason")
            self.requested_by = state.get("requested_by")
            self.cancel_requested = True
            self.changed.set()
        self.status = state.get("status", self.status)
        return before != (self.cancel_requested, self.reason, self.requested_by, self.status)


class ControlPoller(threading.Thread):
    """GET /runs/{id}/control?wait=S in a loop, from the first accepted ingest until a cancel or the run's end."""

    MIN_INTERVAL = 1.0  # an answer that came back early without news is not re-asked sooner than this

    def __init__(self, run_id, endpoint, control, registered, wait_seconds=30):
        super().__init__(name="trainwatch-control-" + run_id, daemon=True)
        self._path = "/runs/%s/control?wait=%d" % (run_id, wait_seconds)
        self._wait_seconds = wait_seconds
        self._control = control
        self._registered = registered
        self._connection = endpoint.connect()
        self._stop = threading.Event()
        self._backoff = Backoff(initial=0.5, maximum=10.0)
        self.cpu_seconds = None  # this thread's CPU time, once it ended

    def stop(self):
        self._stop.set()
        self._registered.set()
        self._connection.abort()

    def run(self):
        try:
            self._loop()
        except Exception:
            log.exception("trainwatch: the control poller stopped")
        finally:
            self._connection.close()
            self.cpu_seconds = time.thread_time()

    def _loop(self):
        self._registered.wait()
        while not self._stop.is_set() and not self._control.cancel_requested:
            started = time.monotonic()
            try:
                response = self._connection.request("GET", self._path, timeout=self._wait_seconds + 10)
            except TransportError as error:
                if self._stop.is_set():
                    return
                log.debug("trainwatch: control: %s", error)
                self._stop.wait(self._backoff.next())
                continue
            if response.status != 200:
                # 404: a server without this endpoint (or one that forgot the run); 5xx/503: away. Ask again later.
                self._stop.wait(self._backoff.next())
                continue
            self._backoff.reset()
            changed = self._control.update(response.json())
            if not changed and time.monotonic() - started < self.MIN_INTERVAL:
                self._stop.wait(self.MIN_INTERVAL)
