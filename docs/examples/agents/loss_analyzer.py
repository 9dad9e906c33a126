#!/usr/bin/env python3
"""Read a Trainwatch run's verdict and, if asked, act on it: cancel a run the analysis says to stop.

Prints the loss trends, the best epoch and the recommendation with its reason. With ``--act`` it cancels the run
(``POST /api/v1/runs/{id}/cancel`` with the recommendation's reason, requested_by "loss_analyzer.py") when the
action is ``stop`` with a confidence at or above ``--min-confidence``. With ``--wait`` it polls the verdict every
``--interval`` seconds until it has acted or the run has ended; a run not yet known to metrics-api (just submitted)
is waited for up to ``--appear-timeout`` seconds.

Usage:  loss_analyzer.py RUN_ID [--url http://localhost:8080] [--act] [--min-confidence 0.7] [--wait] [--interval 2]
                        [--appear-timeout 60]

Exit codes: 0 done (acted, or nothing to do), 2 unknown run, 3 metrics-api unreachable or answering with an error,
            4 the cancel was refused (e.g. the run had just finished).
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
EXIT_OK, EXIT_UNKNOWN_RUN, EXIT_UNREACHABLE, EXIT_CANCEL_REFUSED = 0, 2, 3, 4
REQUESTED_BY = "loss_analyzer.py"


class AgentError(Exception):
    """A failure to report in one line, with the exit code it ends the script with."""

    def __init__(self, exit_code, message):
        super().__init__(message)
        self.exit_code = exit_code


def call(base, method, path, body=None, timeout=10.0):
    """Sends a request; returns (status, parsed JSON). HTTP errors and a down server raise AgentError."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    headers = {"Accept": "application/json"}
    # TRAINWATCH_TOKEN: the bearer token (./run prints the admin token); read, plus control to --act.
    if os.environ.get("TRAINWATCH_TOKEN"):
        headers["Authorization"] = "Bearer " + os.environ["TRAINWATCH_TOKEN"]
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw else {})
    except urllib.error.HTTPError as e:
        code = EXIT_UNKNOWN_RUN if e.code == 404 else EXIT_CANCEL_REFUSED if method == "POST" else EXIT_UNREACHABLE
        raise AgentError(code, problem_line(e))
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


def num(value):
    if value is None:
        return "-"
    return value if isinstance(value, str) else "%.4f" % value


def describe(v):
    """The verdict's headline in a few lines: trends, best epoch, recommendation and reason."""
    lines = []
    epoch = v.get("epoch")
    lines.append("run %s (%s): %s" % (v.get("run_id"), v.get("status"),
                                      "no epochs analysed yet" if epoch is None else "analysed up to epoch %d" % epoch))
    trends = []
    for series in ("train_loss", "val_loss"):
        t = (v.get("trend") or {}).get(series)
        if t and t.get("state"):
            slope = t.get("slope")
            trends.append("%s %s%s" % (series, t["state"], "" if slope is None else " (slope %+.4f/epoch)" % slope))
    if trends:
        lines.append("  trend: " + ", ".join(trends))
    if v.get("best_epoch") is not None:
        lines.append("  best epoch: %d (val_loss %s), %s epochs since improvement" % (
            v["best_epoch"], num(v.get("best_val_loss")), v.get("epochs_since_improvement", "?")))
    rec = v.get("recommendation") or {}
    if rec.get("action"):
        lines.append("  recommendation: %s (confidence %.2f): %s" % (
            rec["action"], rec.get("confidence", 0.0), rec.get("reason", "")))
    return lines


def analyze(base, run_id, act, min_confidence, wait, interval, appear_timeout=60.0, out=sys.stdout):
    run_path = "/api/v1/runs/" + urllib.parse.quote(run_id, safe="")
    last_printed = None
    seen = False
    give_up_waiting_at = time.monotonic() + appear_timeout
    while True:
        try:
            _, verdict = call(base, "GET", run_path + "/analysis")
            seen = True
        except AgentError as e:
            # A run submitted a moment ago reaches metrics-api through Kafka: with --wait, give it time to appear.
            if not wait or seen or e.exit_code != EXIT_UNKNOWN_RUN or time.monotonic() > give_up_waiting_at:
                raise
            if last_printed is None:
                print("waiting for run %s to appear on metrics-api..." % run_id, file=out, flush=True)
                last_printed = "waiting"
            time.sleep(interval)
            continue
        rec = verdict.get("recommendation") or {}
        action, confidence = rec.get("action"), rec.get("confidence") or 0.0
        status = verdict.get("status")
        # With --wait: the whole verdict when the advice (or status) changes, one line for each other new epoch.
        if last_printed is None or last_printed == "waiting" or (action, status) != last_printed[1:]:
            for line in describe(verdict):
                print(line, file=out, flush=True)
        elif verdict.get("epoch") != last_printed[0]:
            print("epoch %s: %s (confidence %.2f)" % (verdict.get("epoch"), action, confidence), file=out, flush=True)
        last_printed = (verdict.get("epoch"), action, status)

        if status in FINAL_STATUSES:
            print("action: none (the run has ended: %s)" % status, file=out, flush=True)
            return EXIT_OK
        if action == "stop" and confidence >= min_confidence:
            if not act:
                print("action: none (would cancel: stop at confidence %.2f; pass --act to do it)" % confidence,
                      file=out, flush=True)
                return EXIT_OK
            reason = rec.get("reason") or "loss_analyzer.py: the analysis recommends stopping"
            _, answer = call(base, "POST", run_path + "/cancel", {"reason": reason, "requested_by": REQUESTED_BY})
            print("action: cancelled run %s (status %s) with reason: %s" % (
                run_id, answer.get("status", "cancelling"), reason), file=out, flush=True)
            return EXIT_OK
        if not wait:
            why = ("recommendation is %s" % action) if action != "stop" else \
                "stop at confidence %.2f is below --min-confidence %.2f" % (confidence, min_confidence)
            print("action: none (%s)" % why, file=out, flush=True)
            return EXIT_OK
        time.sleep(interval)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Print a run's verdict; with --act, cancel it when told to stop.")
    parser.add_argument("run_id", metavar="RUN_ID")
    parser.add_argument("--url", default=os.environ.get("TRAINWATCH_URL", "http://localhost:8080"),
                        help="metrics-api base URL (default: $TRAINWATCH_URL or http://localhost:8080)")
    parser.add_argument("--act", action="store_true", help="cancel the run when the recommendation is stop")
    parser.add_argument("--min-confidence", type=float, default=0.7,
                        help="act only at or above this confidence (default 0.7)")
    parser.add_argument("--wait", action="store_true", help="keep polling until it acts or the run ends")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls with --wait (default 2)")
    parser.add_argument("--appear-timeout", type=float, default=60.0,
                        help="with --wait, how long an unknown run may take to appear (default 60 s)")
    args = parser.parse_args(argv)
    if not 0.0 <= args.min_confidence <= 1.0:
        parser.error("--min-confidence: must be in [0, 1], was %s" % args.min_confidence)
    try:
        return analyze(args.url.rstrip("/"), args.run_id, args.act, args.min_confidence, args.wait, args.interval,
                       args.appear_timeout)
    except AgentError as e:
        print("loss_analyzer: %s" % e, file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
