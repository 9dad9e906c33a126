"""`trainwatch.init()` and the `Run` it returns: the part of the client the training loop touches."""
import logging
import os
import socket
import threading
import time
import uuid

from . import _exit
from . import _fields as F
from ._control import Control, ControlPoller
from ._http import Endpoint, TransportError
from ._sender import Sender
from ._spool import Spool

log = logging.getLogger("trainwatch")

DEFAULT_URL = "http://127.0.0.1:8080"
FINAL_STATUSES = ("completed", "failed", "cancelled", "stopped_early")

# epoch.completed fields a log_epoch keyword may name, and how each is checked; any other keyword goes to `extra`.
_EPOCH_NUMBERS = ("train_loss", "val_loss", "train_accuracy", "val_accuracy")
_EPOCH_MAGNITUDES = ("learning_rate", "samples_per_second", "grad_norm", "grad_norm_max", "param_norm")
_EPOCH_LONGS = ("duration_ms", "memory_bytes", "global_step")


class RunCancelled(Exception):
    """Raised by the next log_* call after a cancel, when the run was created with on_cancel="raise"."""

    def __init__(self, run_id, reason, requested_by):
        super().__init__("run %s was cancelled%s: %s" % (run_id, " by " + requested_by if requested_by else "",
                                                        reason or "no reason given"))
        self.run_id = run_id
        self.reason = reason
        self.requested_by = requested_by


def _default_spool_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "trainwatch", "spool")


def init(project=None, name=None, config=None, total_epochs=None, monitor=None, url=None, token=None,
         on_cancel="flag", run_id=None, tags=None, model=None, dataset=None, device=None, spool_dir=None,
         spool_max_bytes=64 * 1024 * 1024, finish_timeout=5.0, exit_timeout=3.0, request_timeout=10.0,
         control_wait=30, heartbeat_every=20.0):
    """Starts a run and returns it. Nothing here waits for the server: the run.started event is queued like the
    rest, so a training script starts at once even when metrics-api is down.

    project, name -- labels (at most 200 characters); the run id is `<project>-<name>-<8 hex>` unless run_id is given
    config       -- hyperparameters, name -> any JSON value (stored as the run's `hyperparameters`)
    total_epochs -- planned epochs (progress and ETA)
    monitor      -- {"patience": int, "min_delta": float, "thresholds": {rule: value}} for the analysis, and
                    "stall_after_seconds": int (1 to 604,800) to say how long a silent run may stay `running`
    url, token   -- metrics-api (default $TRAINWATCH_URL, else http://127.0.0.1:8080) and a bearer token
                    (default $TRAINWATCH_TOKEN)
    on_cancel    -- "flag": set run.should_stop; "raise": also raise RunCancelled from the next log_* call
    tags, model, dataset, device -- more of run.started (docs/contracts.md): model={"architecture", "parameter_count"},
                    dataset={"name", "train_size", "val_size", "class_balance"}
    spool_dir    -- where unsent events wait (default $TRAINWATCH_SPOOL_DIR, else ~/.cache/trainwatch/spool), one
                    folder per run, bounded by spool_max_bytes (the oldest step samples are dropped first)
    finish_timeout, exit_timeout -- how long finish() and process exit may wait for the server, in seconds
    heartbeat_every -- when nothing was sent for this many seconds (a long epoch), the sender thread posts a heartbeat
                    so the server does not take the run for stalled; None or 0 disables it
    """
    if on_cancel not in ("flag", "raise"):
        raise ValueError("on_cancel: must be 'flag' or 'raise', was %r" % (on_cancel,))
    if heartbeat_every is not None and (isinstance(heartbeat_every, bool) or not isinstance(heartbeat_every, (int, float))
                                        or not heartbeat_every >= 0):
        raise ValueError("heartbeat_every: must be a number of seconds >= 0, or None, was %r" % (heartbeat_every,))
    url = url or os.environ.get("TRAINWATCH_URL") or DEFAULT_URL
    token = token if token is not None else os.environ.get("TRAINWATCH_TOKEN")
    if run_id is None:
        parts = [F.run_id_part(p) for p in (project, name) if p]
        run_id = "-".join([p for p in parts if p] + [uuid.uuid4().hex[:8]])
    F.check_run_id(run_id)
    started = {"started_at": time.time(), "host": socket.gethostname()[:F.MAX_NAME_LENGTH]}
    if project is not None:
        started["project"] = F.text("project", project, F.MAX_NAME_LENGTH)
    if name is not None:
        started["name"] = F.text("name", name, F.MAX_NAME_LENGTH)
    if config:
        if not isinstance(config, dict):
            config = vars(config) if hasattr(config, "__dict__") else dict(config)  # argparse.Namespace
        if len(config) > F.MAX_HYPERPARAMETERS:
            raise ValueError("config: must have at most %d entries, had %d" % (F.MAX_HYPERPARAMETERS, len(config)))
        started["hyperparameters"] = F.json_value(config)
    if total_epochs is not None:
        started["total_epochs"] = F.integer("total_epochs", total_epochs, 1, F.INT_MAX)
    if monitor:
        started["monitor"] = _monitor(monitor)
    if tags:
        started["tags"] = [F.text("tags", t, 100) for t in tags]
    if model:
        started["model"] = F.json_value(model)
    if dataset:
        started["dataset"] = F.json_value(dataset)
    if device is not None:
        started["device"] = F.text("device", device, F.MAX_NAME_LENGTH)
    spool_base = spool_dir or os.environ.get("TRAINWATCH_SPOOL_DIR") or _default_spool_dir()
    run = Run(run_id, Endpoint(url, token), Spool(os.path.join(spool_base, run_id), spool_max_bytes),
              total_epochs=started.get("total_epochs"), on_cancel=on_cancel, finish_timeout=finish_timeout,
              exit_timeout=exit_timeout, request_timeout=request_timeout, control_wait=control_wait,
              heartbeat_every=heartbeat_every)
    run._start(started)
    return run


MAX_STALL_AFTER_SECONDS = 7 * 24 * 3600  # the contract's bound for monitor.stall_after_seconds (one week)


def _monitor(monitor):
    out = dict(F.json_value(monitor))
    if "patience" in monitor:
        out["patience"] = F.integer("monitor.patience", monitor["patience"], 1, F.INT_MAX)
    if "min_delta" in monitor:
        out["min_delta"] = F.non_negative("monitor.min_delta", monitor["min_delta"])
    if "thresholds" in monitor:
        out["thresholds"] = F.number_map("monitor.thresholds", monitor["thresholds"], F.MAX_EXTRA)
    if "stall_after_seconds" in monitor:
        out["stall_after_seconds"] = F.integer("monitor.stall_after_seconds", monitor["stall_after_seconds"], 1,
                                               MAX_STALL_AFTER_SECONDS)
    return out


class Run:
    """One training run. log_* and should_stop are cheap and never do I/O; two daemon threads talk to the server."""

    def __init__(self, run_id, endpoint, spool, total_epochs=None, on_cancel="flag", finish_timeout=5.0,
                 exit_timeout=3.0, request_timeout=10.0, control_wait=30, heartbeat_every=20.0):
        self.run_id = run_id
        self.url = endpoint.url
        self.finish_timeout = finish_timeout
        self.exit_timeout = exit_timeout
        self._endpoint = endpoint
        self._total_epochs = total_epochs
        self._raise_on_cancel = on_cancel == "raise"
        self._raised = False
        self._finished = False
        self._warned_finished = False
        self._finish_lock = threading.RLock()  # a SIGTERM during finish() re-enters it on the same thread
        self._last_epoch = None
        self._control = Control()
        self._registered = threading.Event()
        self._sender = Sender(run_id, endpoint, spool, self._on_answer, request_timeout=request_timeout,
                              heartbeat_every=heartbeat_every)
        self._poller = ControlPoller(run_id, endpoint, self._control, self._registered, control_wait)

    def _start(self, started):
        self._sender.put("start", started)
        self._sender.start()
        self._poller.start()
        _exit.register(self)

    def _on_answer(self, answer):
        self._registered.set()
        if isinstance(answer, dict):
            self._control.update(answer.get("control"))

    # --- the training loop's side ---------------------------------------------------------------------------------

    @property
    def should_stop(self):
        """True once an agent or person asked to cancel the run: end the loop and call finish()."""
        return self._control.cancel_requested

    @property
    def stop_reason(self):
        return self._control.reason

    @property
    def requested_by(self):
        return self._control.requested_by

    @property
    def finished(self):
        return self._finished

    def log_epoch(self, epoch, train_loss=None, val_loss=None, train_accuracy=None, val_accuracy=None,
                  learning_rate=None, duration_ms=None, samples_per_second=None, extra=None, **more):
        """Queues one epoch.completed. Keywords that name a contract field (grad_norm, grad_norm_max,
        layer_grad_norms, param_norm, clipped_steps, memory_bytes, global_step, total_epochs) go there; any other
        keyword is a user metric in `extra`. None means not measured (left out). NaN and infinities are kept."""
        if self._finished:
            return self._after_finish()
        body = {"epoch": F.integer("epoch", epoch, 0, F.MAX_EPOCH), "emitted_at": time.time()}
        if self._total_epochs is not None:
            body["total_epochs"] = self._total_epochs
        if train_loss is not None:
            body["train_loss"] = F.number("train_loss", train_loss)
        if val_loss is not None:
            body["val_loss"] = F.number("val_loss", val_loss)
        if train_accuracy is not None:
            body["train_accuracy"] = F.number("train_accuracy", train_accuracy)
        if val_accuracy is not None:
            body["val_accuracy"] = F.number("val_accuracy", val_accuracy)
        if learning_rate is not None:
            body["learning_rate"] = F.non_negative("learning_rate", learning_rate)
        if duration_ms is not None:
            body["duration_ms"] = F.integer("duration_ms", round(duration_ms) if type(duration_ms) is float
                                            else duration_ms, 0, F.LONG_MAX)
        if samples_per_second is not None:
            body["samples_per_second"] = F.non_negative("samples_per_second", samples_per_second)
        user = dict(extra) if extra else {}
        if more:
            for key, value in more.items():
                if value is None:
                    continue
                if key in _EPOCH_MAGNITUDES:
                    body[key] = F.non_negative(key, value)
                elif key in _EPOCH_LONGS:
                    body[key] = F.integer(key, value, 0, F.LONG_MAX)
                elif key == "clipped_steps":
                    body[key] = F.integer(key, value, 0, F.INT_MAX)
                elif key == "total_epochs":
                    body[key] = F.integer(key, value, 1, F.INT_MAX)
                elif key == "layer_grad_norms":
                    body[key] = F.number_map(key, value, F.MAX_LAYERS)
                elif key in _EPOCH_NUMBERS:
                    raise TypeError("log_epoch() got multiple values for argument %r" % key)
                else:
                    user[key] = value
        if user:
            body["extra"] = F.number_map("extra", user, F.MAX_EXTRA)
        self._last_epoch = body["epoch"] if self._last_epoch is None else max(self._last_epoch, body["epoch"])
        self._sender.put("epoch", body)
        if self._raise_on_cancel and self._control.cancel_requested:
            self._raise_cancelled()

    def log_step(self, step, loss=None, learning_rate=None, grad_norm=None, epoch=None):
        """Queues one step.sampled: `step` is the global optimizer step. Log one step out of every N, not all."""
        if self._finished:
            return self._after_finish()
        body = {"global_step": F.integer("step", step, 0, F.LONG_MAX), "emitted_at": time.time()}
        if epoch is not None:
            body["epoch"] = F.integer("epoch", epoch, 0, F.MAX_EPOCH)
        if loss is not None:
            body["loss"] = F.number("loss", loss)
        if learning_rate is not None:
            body["learning_rate"] = F.non_negative("learning_rate", learning_rate)
        if grad_norm is not None:
            body["grad_norm"] = F.non_negative("grad_norm", grad_norm)
        self._sender.put("step", body)
        if self._raise_on_cancel and self._control.cancel_requested:
            self._raise_cancelled()

    def _after_finish(self):
        if not self._warned_finished:
            self._warned_finished = True
            log.warning("trainwatch: run %s is finished; events logged after finish() are ignored", self.run_id)

    def _raise_cancelled(self):
        if not self._raised:  # once: a caller that catches it may still log and finish
            self._raised = True
            raise RunCancelled(self.run_id, self._control.reason, self._control.requested_by)

    def flush(self, timeout=None):
        """Waits until everything logged so far reached the server; False if the timeout passed first."""
        return self._sender.flush(self.finish_timeout if timeout is None else timeout)

    def finish(self, status=None, reason=None, timeout=None):
        """Ends the run: completed, or cancelled (with the canceller's reason) when a cancel was requested.
        Also "failed" or "stopped_early" with a reason. Waits at most `timeout` seconds (default finish_timeout)
        for the server; what is not delivered by then stays in the spool. True when everything was delivered.
        A second call does nothing."""
        with self._finish_lock:
            if self._finished:
                return True
            self._finished = True
        if status is None:
            status = "cancelled" if self._control.cancel_requested else "completed"
        if status not in FINAL_STATUSES:
            raise ValueError("status: must be one of %s, was %r" % (", ".join(FINAL_STATUSES), status))
        body = {"status": status, "finished_at": time.time(),
                "epochs_completed": 0 if self._last_epoch is None else self._last_epoch + 1}
        if status == "cancelled" and self._control.cancel_requested:
            reason = reason if reason is not None else self._control.reason
            if self._control.requested_by:
                body["requested_by"] = F.clip_text(self._control.requested_by, F.MAX_NAME_LENGTH)
        if reason:
            body["reason"] = F.clip_text(reason, F.MAX_TEXT_LENGTH)
        self._sender.put("finish", body)
        try:
            return self._sender.close(self.finish_timeout if timeout is None else timeout)
        finally:
            self._poller.stop()
            _exit.unregister(self)

    def verdict(self, timeout=5.0):
        """The latest analysis (GET /runs/{id}/analysis) as a dict, or None when the server cannot say. Does I/O:
        call it between epochs, not per step."""
        connection = self._endpoint.connect()
        try:
            response = connection.request("GET", "/runs/%s/analysis" % self.run_id, timeout=timeout)
        except TransportError:
            return None
        finally:
            connection.close()
        return response.json() if response.status == 200 else None

    @property
    def stats(self):
        """Counters of the sender: sent, refused, dropped_steps, failed_requests, spooled, heartbeats (accepted),
        outstanding, spool_events;
        after finish() also cpu_seconds (the sender thread's CPU time) and poller_cpu_seconds (once it ended)."""
        return dict(self._sender.stats, outstanding=self._sender.outstanding, spool_events=len(self._sender.spool),
                    poller_cpu_seconds=self._poller.cpu_seconds)

    # --- context manager: an exception ends the run failed, with the error ---------------------------------------

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if error is None:
            self.finish()
            return False
        if isinstance(error, RunCancelled) and error.run_id == self.run_id:
            self.finish("cancelled")
            return True  # the cancel this run raised has done its job: leave the with block quietly
        self.finish("failed", reason="%s: %s" % (kind.__name__, error) if str(error) else kind.__name__)
        return False

    def _finish_at_exit(self, status=None, reason=None):
        try:
            self.finish(status, reason=reason, timeout=self.exit_timeout)
        except Exception:  # at exit nothing may raise
            log.debug("trainwatch: finish at exit failed", exc_info=True)

    def __repr__(self):
        return "Run(%s, %s%s)" % (self.run_id, self.url, ", finished" if self._finished else "")
