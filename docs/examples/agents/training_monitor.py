#!/usr/bin/env python3
"""Follow a Trainwatch run by polling, the way an agent should: incrementally and cheaply.

Each poll asks only for the epochs after the last one seen (``since_epoch``) and sends the ETag of the previous
answer in ``If-None-Match``; when nothing changed the server answers ``304 Not Modified`` without reading the
history. Every new epoch is printed once. The script ends when the run ends.

Usage:  training_monitor.py RUN_ID [--url http://localhost:8080] [--interval 2]

Exit codes: 0 the run ended (completed, cancelled or stopped early), 1 the run failed,
            2 unknown run, 3 metrics-api unreachable or answering with an error.
Standard library only (Python 3.8+).
"""
import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

FINAL_STATUSES = {"completed", "failed", "cancelled", "stopped_early"}
EXIT_OK, EXIT_RUN_FAILED, EXIT_UNKNOWN_RUN, EXIT_UNREACHABLE = 0, 1, 2, 3


class AgentError(Exception):
    """A failure to report in one line, with the exit code it ends the script with."""

    def __init__(self, exit_code, message):
        super().__init__(message)
        self.exit_code = exit_code


def http_get(base, path, headers=None, timeout=10.0):
    """GET base+path; returns (status, headers, body bytes). 304 is an answer; other errors raise AgentError."""
    headers = dict(headers or {})
    # TRAINWATCH_TOKEN: the bearer token (./run prints the admin token); a read token is enough.
    if os.environ.get("TRAINWATCH_TOKEN"):
        headers["Authorization"] = "Bearer " + os.environ["TRAINWATCH_TOKEN"]
    request = urllib.request.Request(base + path, headers=headers, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        if e.code == 304:
            return 304, e.headers, b""
        raise AgentError(EXIT_UNKNOWN_RUN if e.code == 404 else EXIT_UNREACHABLE, problem_line(e))
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise AgentError(EXIT_UNREACHABLE, "cannot reach metrics-api at %s: %s" % (base, reason))


def problem_line(e):
    """An RFC 9457 problem+json answer in one line: status, title, detail."""
    try:
        problem = json.loads(e.read().decode("utf-8"))
        return "metrics-api: %d %s: %s" % (e.code, problem.get("title", e.reason), problem.get("detail", ""))
    except (ValueError, AttributeError, OSError):
        return "metrics-api: %d %s" % (e.code, e.reason)


def fmt(value, percent=False):
    if value is None:
        return "-"
    if isinstance(value, str):  # "NaN", "Infinity": non-finite values travel as strings
        return value
    return "%.1f%%" % (value * 100) if percent else "%.4f" % value


def epoch_line(e):
    return "epoch %3d  train_loss %s  val_loss %s  train_acc %s  val_acc %s" % (
        e["epoch"], fmt(e.get("train_loss")), fmt(e.get("val_loss")),
        fmt(e.get("train_accuracy"), True), fmt(e.get("val_accuracy"), True))


def monitor(base, run_id, interval, out=sys.stdout):
    run_path = "/api/v1/runs/" + urllib.parse.quote(run_id, safe="")
    fields = "train_loss,val_loss,train_accuracy,val_accuracy"
    last_epoch = None  # since_epoch is exclusive: ask for the epochs after the last one printed
    etag = None
    said_no_metrics = False
    header_printed = False
    while True:
        # Status first, then metrics: when the status is final, the metrics read after it has every epoch.
        _, _, body = http_get(base, run_path)
        run = json.loads(body)
        status = run.get("status")
        if not header_printed:
            print("monitoring run %s (%s)" % (run_id, status), file=out, flush=True)
            header_printed = True

        query = "?fields=" + fields + ("" if last_epoch is None else "&since_epoch=%d" % last_epoch)
        headers = {"Accept": "application/json"}
        if etag:
            headers["If-None-Match"] = etag
        code, response_headers, body = http_get(base, run_path + "/metrics" + query, headers)
        if code == 200:
            etag = response_headers.get("ETag")
            for e in json.loads(body).get("epochs", []):
                print(epoch_line(e), file=out, flush=True)
                last_epoch = e["epoch"]
                etag = None  # the next query differs (new since_epoch): this ETag cannot match it
        if last_epoch is None and not said_no_metrics:
            print("no metrics yet for run %s" % run_id, file=out, flush=True)
            said_no_metrics = True

        if status in FINAL_STATUSES:
            reason = run.get("finish_reason")
            print("run %s ended: %s after %s epochs%s" % (
                run_id, status, run.get("epochs_completed", run.get("epochs_recorded", "?")),
                (": " + reason) if reason else ""), file=out, flush=True)
            return EXIT_RUN_FAILED if status == "failed" else EXIT_OK
        time.sleep(interval)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Print each new epoch of a Trainwatch run until it ends.")
    parser.add_argument("run_id", metavar="RUN_ID")
    parser.add_argument("--url", default=os.environ.get("TRAINWATCH_URL", "http://localhost:8080"),
                        help="metrics-api base URL (default: $TRAINWATCH_URL or http://localhost:8080)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls (default 2)")
    args = parser.parse_args(argv)
    try:
        return monitor(args.url.rstrip("/"), args.run_id, args.interval)
    except AgentError as e:
        print("training_monitor: %s" % e, file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
