"""The sender thread: takes logged events from an in-memory queue, sends them in batches, and keeps what the server
cannot take yet in the spool, replaying it in order before anything newer.
"""
import collections
import datetime
import json
import logging
import random
import threading
import time
import uuid

from ._http import TransportError
from ._spool import Item

log = logging.getLogger("trainwatch")

BATCH_EVENTS = 500  # the server takes 1,000 events and 4 MiB per request; stay well inside
BATCH_BYTES = 1024 * 1024


class Backoff:
    """Exponential back-off with full jitter, bounded by `maximum` seconds."""

    def __init__(self, initial=0.25, maximum=5.0):
        self.initial = initial
        self.maximum = maximum
        self._attempt = 0

    def next(self):
        delay = min(self.maximum, self.initial * (2 ** self._attempt))
        self._attempt = min(self._attempt + 1, 30)
        return delay / 2 + random.uniform(0, delay / 2)

    def reset(self):
        self._attempt = 0


def _timestamp(seconds):
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


class Sender(threading.Thread):
    def __init__(self, run_id, endpoint, spool, on_answer, request_timeout=10.0, max_queue=100_000,
                 batch_events=BATCH_EVENTS, batch_bytes=BATCH_BYTES, backoff=None, linger=0.2, heartbeat_every=20.0):
        super().__init__(name="trainwatch-sender-" + run_id, daemon=True)
        self.run_id = run_id
        self.spool = spool
        self.request_timeout = request_timeout
        self.max_queue = max_queue
        self.batch_events = batch_events
        self.batch_bytes = batch_bytes
        # After a request, wait this long for more events unless someone waits for delivery: a run logging an epoch
        # every few milliseconds then costs a request per 0.2 s, not per epoch.
        self.linger = linger
        # A run silent this long (a long epoch) gets a heartbeat, so the server does not take it for stalled.
        self.heartbeat_every = heartbeat_every or None
        self.stats = {"sent": 0, "refused": 0, "dropped_steps": 0, "failed_requests": 0, "spooled": 0, "heartbeats": 0}
        self._paths = {"start": "/runs", "epoch": "/runs/%s/metrics" % run_id, "step": "/runs/%s/steps" % run_id,
                       "finish": "/runs/%s/finish" % run_id, "heartbeat": "/runs/%s/heartbeat" % run_id}
        self._on_answer = on_answer
        self._connection = endpoint.connect()
        self._backoff = backoff or Backoff()
        self._cond = threading.Condition()
        self._queue = collections.deque()
        self._outstanding = 0  # logged, neither delivered nor refused yet (queued, in flight or spooled)
        self._stopping = False
        self._idle = False  # waiting for work: put() must wake it
        self._flushing = 0  # callers waiting in flush(): no lingering
        self._next_send = 0.0
        self._deadline = None
        self._wake = threading.Event()
        self._warned_queue = False
        self._warned_status = set()
        self._spool_broken = False
        self._run_known = False  # run.started accepted: the server knows the run, heartbeats can refer to it
        self._finishing = False  # run.finished logged: no more heartbeats
        self._last_request = time.monotonic()

    # --- called from the training thread ------------------------------------------------------------------------

    def put(self, kind, body):
        with self._cond:
            if kind == "step" and len(self._queue) >= self.max_queue:
                self.stats["dropped_steps"] += 1
                if not self._warned_queue:
                    self._warned_queue = True
                    log.warning("trainwatch: %d events wait to be sent; dropping step samples until the sender "
                                "catches up (epochs are kept)", len(self._queue))
                return
            self._queue.append((kind, body))
            self._outstanding += 1
            if kind == "finish":
                self._finishing = True
            if self._idle:
                self._cond.notify_all()  # all: a flush() may be waiting on the same condition

    def flush(self, timeout):
        """Waits until everything logged so far is delivered (True) or the timeout passes (False)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                while self._outstanding:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._cond.wait(remaining)
                return True
            finally:
                self._flushing -= 1

    def close(self, timeout):
        """Delivers what it can within timeout, then stops; what is left stays in the spool. True if all delivered."""
        with self._cond:
            self._deadline = time.monotonic() + timeout
            self._stopping = True
            self._cond.notify_all()
        self._wake.set()
        delivered = self.flush(timeout)
        self.join(max(0.0, self._deadline - time.monotonic()) + 0.2)
        return delivered

    @property
    def outstanding(self):
        return self._outstanding

    # --- the sender thread ----------------------------------------------------------------------------------------

    def run(self):
        try:
            self._loop()
        except Exception:  # never let a bug here surface in the training process
            log.exception("trainwatch: the sender stopped")
        finally:
            self._connection.close()
            self.stats["cpu_seconds"] = time.thread_time()  # this thread's CPU, for the benchmark

    def _loop(self):
        while True:
            if len(self.spool) and not self._spool_broken:
                if self._past_deadline():
                    break
                batch = self.spool.peek(self.batch_events, self.batch_bytes)
                done, retry_in = self._deliver(batch)
                self.spool.consume(done)
                if retry_in is not None:
                    self._spill_queue()
                    self._pause(retry_in)
                continue
            with self._cond:
                beat = False
                while not self._queue and not self._stopping:
                    self._idle = True
                    due_in = self._heartbeat_due_in()
                    if due_in is not None and due_in <= 0:
                        beat = True
                        break
                    self._cond.wait(due_in)
                self._idle = False
            if beat:
                self._heartbeat()
                continue
            with self._cond:
                while not self._stopping and not self._flushing:
                    remaining = self._next_send - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                if not self._queue:
                    break
                taken = list(self._queue)
                self._queue.clear()
            items = self._encode(taken)
            batches = self._batches(items)
            for index, batch in enumerate(batches):
                done, retry_in = self._deliver(batch)
                if retry_in is not None:
                    rest = batch[done:]
                    for later in batches[index + 1:]:
                        rest.extend(later)
                    self._to_spool(rest)
                    self._pause(retry_in)
                    break
            if self._past_deadline():
                break
        self._spill_queue()
        if not len(self.spool):
            self.spool.remove_if_empty()
        elif not self._spool_broken:
            log.warning("trainwatch: %d events of run %s could not be sent; they are kept in %s",
                        len(self.spool), self.run_id, self.spool.directory)

    def _heartbeat_due_in(self):
        """Seconds until a heartbeat is due (<= 0: now), or None when none will be."""
        if self.heartbeat_every is None or not self._run_known or self._finishing or self._stopping:
            return None
        return self._last_request + self.heartbeat_every - time.monotonic()

    def _heartbeat(self):
        """POST /runs/{id}/heartbeat; any failure is ignored: a late heartbeat is worthless, so none is retried or
        spooled (the next one is due heartbeat_every later, or the next event does its work)."""
        self._last_request = time.monotonic()
        try:
            response = self._connection.request("POST", self._paths["heartbeat"], b"{}",
                                                min(self.request_timeout, self.heartbeat_every))
        except TransportError as error:
            log.debug("trainwatch: heartbeat: %s", error)
            return
        if 200 <= response.status < 300:
            self.stats["heartbeats"] += 1
            self._on_answer(response.json())  # it carries the run's control state, like every ingest answer
        else:
            log.debug("trainwatch: heartbeat answered HTTP %d", response.status)

    def _past_deadline(self):
        return self._stopping and self._deadline is not None and time.monotonic() >= self._deadline

    def _pause(self, seconds):
        self._wake.clear()  # close() sets it after setting _stopping, which is read below: no wake-up is lost
        if self._stopping and self._deadline is not None:
            seconds = min(seconds, max(0.0, self._deadline - time.monotonic()))
        self._wake.wait(seconds)

    def _encode(self, taken):
        items = []
        run_id = self.run_id
        for kind, body in taken:
            if kind == "encoded":  # put back by _requeue
                items.append(body)
                continue
            body["run_id"] = run_id
            # The stable idempotency key: created once, before the first attempt, kept through retries and spool.
            body["event_id"] = str(uuid.uuid4())
            for field in ("emitted_at", "started_at", "finished_at"):
                value = body.get(field)
                if type(value) is float:
                    body[field] = _timestamp(value)
            try:
                data = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
            except (TypeError, ValueError) as error:
                log.error("trainwatch: cannot encode a %s event (%s); dropped", kind, error)
                self._settle(1)
                continue
            items.append(Item(kind, data))
        return items

    def _batches(self, items):
        """Windows of consecutive events within the request limits; run.started and run.finished alone."""
        batches = []
        current, size = [], 0
        for item in items:
            single = item.kind in ("start", "finish")
            if current and (single or len(current) >= self.batch_events or size + len(item.data) + 1 > self.batch_bytes):
                batches.append(current)
                current, size = [], 0
            current.append(item)
            size += len(item.data) + 1
            if single:
                batches.append(current)
                current, size = [], 0
        if current:
            batches.append(current)
        return batches

    def _deliver(self, window):
        """Sends one window: its epochs in one request and its steps in another (each kind keeps its order; run.started
        and run.finished travel alone, first and last). Returns (len(window), None) when every event was accepted or
        refused for good, else (0, seconds to wait) and the whole window is retried later: a part that was accepted
        is then sent again with the same event ids, which the server stores once."""
        groups = {}
        for item in window:
            groups.setdefault(item.kind, []).append(item)
        for kind, batch in groups.items():
            retry_in = self._send(kind, batch)
            if retry_in is not None:
                return 0, retry_in
        self._settle(len(window))
        return len(window), None

    def _send(self, kind, batch):
        """One request (split in halves on 413). None when done, else the seconds to wait before a retry."""
        body = batch[0].data if kind in ("start", "finish") else b"[" + b",".join(i.data for i in batch) + b"]"
        timeout = self.request_timeout
        if self._stopping and self._deadline is not None:
            timeout = max(0.2, min(timeout, self._deadline - time.monotonic()))
        self._last_request = time.monotonic()
        try:
            response = self._connection.request("POST", self._paths[kind], body, timeout)
        except TransportError as error:
            log.debug("trainwatch: %s", error)
            self.stats["failed_requests"] += 1
            return self._backoff.next()
        status = response.status
        if 200 <= status < 300:
            self._next_send = time.monotonic() + self.linger
            self._backoff.reset()
            self.stats["sent"] += len(batch)
            if kind == "start":
                self._run_known = True
            self._on_answer(response.json())
            return None
        if status == 413 and len(batch) > 1:
            half = len(batch) // 2
            return self._send(kind, batch[:half]) or self._send(kind, batch[half:])
        if status >= 500 or status in (408, 429):
            self.stats["failed_requests"] += 1
            delay = self._backoff.next()
            hint = response.retry_after()
            return min(max(delay, hint), self._backoff.maximum) if hint is not None else delay
        # Any other 4xx is a client bug: retrying cannot help, and holding the batch would block every later one.
        if status not in self._warned_status:
            self._warned_status.add(status)
            detail = response.json()
            detail = detail.get("detail") if isinstance(detail, dict) else response.body[:300]
            log.error("trainwatch: metrics-api refused %d %s event(s) of run %s with HTTP %d (%s); dropped. "
                      "Further refusals with this status are not logged.", len(batch), kind, self.run_id, status,
                      detail)
        self.stats["refused"] += len(batch)
        return None

    def _settle(self, n):
        with self._cond:
            self._outstanding -= n
            if self._outstanding <= 0:
                self._cond.notify_all()

    def _spill_queue(self):
        with self._cond:
            taken = list(self._queue)
            self._queue.clear()
        if taken:
            self._to_spool(self._encode(taken))

    def _to_spool(self, items):
        if not items:
            return
        before = self.spool.dropped_steps
        try:
            self.spool.append(items)
            self.stats["spooled"] += len(items)
        except OSError as error:
            # No disk: keep them in memory, in front of anything newer, so order holds.
            if not self._spool_broken:
                self._spool_broken = True
                log.warning("trainwatch: cannot write the spool %s (%s); keeping unsent events in memory",
                            self.spool.directory, error)
            self._requeue(items)
        dropped = self.spool.dropped_steps - before
        if dropped:
            self.stats["dropped_steps"] += dropped
            self._settle(dropped)

    def _requeue(self, items):
        with self._cond:
            for item in reversed(items):
                self._queue.appendleft(("encoded", item))
