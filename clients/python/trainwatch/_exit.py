"""Process exit (normal, uncaught exception, SIGTERM) finishes the runs left open, within each run's exit_timeout.

The sender and poller are daemon threads and every HTTP call has a timeout, so a dead server never holds the process.
"""
import atexit
import os
import signal
import sys
import threading

_lock = threading.RLock()  # re-entered when SIGTERM arrives while the main thread holds it
_runs = []
_installed = False
_previous_sigterm = None


def register(run):
    global _installed
    with _lock:
        _runs.append(run)
        if _installed:
            return
        _installed = True
    atexit.register(_at_exit)
    _install_sigterm()


def unregister(run):
    with _lock:
        if run in _runs:
            _runs.remove(run)


def _open_runs():
    with _lock:
        return list(_runs)


def _at_exit():
    error = getattr(sys, "last_value", None)  # set when an uncaught exception ended the program
    for run in _open_runs():
        if error is not None:
            run._finish_at_exit("failed", "%s: %s" % (type(error).__name__, error))
        else:
            run._finish_at_exit()


def _install_sigterm():
    """Only the main thread may install handlers; an ignored SIGTERM stays ignored."""
    global _previous_sigterm
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
        if previous in (signal.SIG_IGN, None):
            return
        _previous_sigterm = previous
        signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):
        pass


def _on_sigterm(signum, frame):
    for run in _open_runs():
        run._finish_at_exit("failed", "terminated by SIGTERM")
    previous = _previous_sigterm
    if callable(previous):
        previous(signum, frame)
    else:  # SIG_DFL: die of the signal, as the process would have without us
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
