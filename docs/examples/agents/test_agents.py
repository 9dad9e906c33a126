"""Tests of the example agents against an in-test HTTP stub of metrics-api (standard library only).

Run: python3 -m unittest discover -s docs/examples/agents -p 'test_*.py'   (Maven runs it in cli's test phase)
"""
import json
import os
import socket
import subprocess
import sys
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
MONITOR = os.path.join(HERE, "training_monitor.py")
ANALYZER = os.path.join(HERE, "loss_analyzer.py")


class Stub:
    """A metrics-api stand-in: routes map (method, path) to a function of the request returning (status, headers, body)."""

    def __init__(self):
        self.routes = {}
        self.requests = []  # (method, path, query dict, headers dict, body)
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def handle_one(self, method):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = (method, parts.path, parse_qs(parts.query), dict(self.headers), body)
                stub.requests.append(request)
                route = stub.routes.get((method, parts.path))
                status, headers, payload = route(request) if route else problem(404, "Run not found", "no run")
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if status != 304:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(data)

            def do_GET(self):
                self.handle_one("GET")

            def do_POST(self):
                self.handle_one("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def problem(status, title, detail):
    return status, {"Content-Type": "application/problem+json"}, {
        "type": "urn:trainwatch:problem:x", "title": title, "status": status, "detail": detail, "errors": []}


def ok(doc, headers=None):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    return 200, h, doc


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(script, *args, env=None):
    return subprocess.run([sys.executable, script] + list(args), capture_output=True, text=True, timeout=30, env=env)


def verdict(action, confidence, status="running", epoch=41):
    return {"run_id": "r1", "status": status, "epoch": epoch, "best_epoch": 30, "best_val_loss": 0.6789,
            "epochs_since_improvement": 11,
            "trend": {"train_loss": {"state": "improving", "slope": -0.004},
                      "val_loss": {"state": "worsening", "slope": 0.003}},
            "recommendation": {"action": action, "confidence": confidence,
                               "reason": "Validation loss has risen for 11 epochs while training loss fell.",
                               "evidence": [{"rule": "overfitting.gap_trend", "params": {}, "values": {}}]}}


class AgentTestCase(unittest.TestCase):
    def setUp(self):
        self.stub = Stub()

    def tearDown(self):
        self.stub.close()

    def assert_one_line(self, text, *fragments):
        lines = text.strip().splitlines()
        self.assertEqual(1, len(lines), "expected one line on stderr, got: %r" % text)
        for f in fragments:
            self.assertIn(f, lines[0])
        self.assertNotIn("Traceback", text)


class TrainingMonitorTest(AgentTestCase):
    def test_unknown_run_is_one_line_and_exit_2(self):
        self.stub.routes[("GET", "/api/v1/runs/nope")] = lambda r: problem(404, "Run not found", 'no run with id "nope"')
        p = run(MONITOR, "nope", "--url", self.stub.url)
        self.assertEqual(2, p.returncode)
        self.assert_one_line(p.stderr, "404", 'no run with id "nope"')

    def test_unreachable_server_is_one_line_and_exit_3(self):
        p = run(MONITOR, "r1", "--url", "http://127.0.0.1:%d" % closed_port())
        self.assertEqual(3, p.returncode)
        self.assert_one_line(p.stderr, "cannot reach metrics-api")

    def test_run_without_epochs_says_no_metrics_yet(self):
        self.stub.routes[("GET", "/api/v1/runs/r1")] = lambda r: ok({"run_id": "r1", "status": "completed",
                                                                      "epochs_completed": 0})
        self.stub.routes[("GET", "/api/v1/runs/r1/metrics")] = lambda r: ok(
            {"run_id": "r1", "count": 0, "downsampled": False, "epochs": []}, {"ETag": '"e0"'})
        p = run(MONITOR, "r1", "--url", self.stub.url, "--interval", "0.01")
        self.assertEqual(0, p.returncode, p.stderr)
        self.assertIn("no metrics yet for run r1", p.stdout)
        self.assertIn("ended: completed", p.stdout)

    def test_polls_incrementally_with_etag_and_prints_each_epoch_once(self):
        status_reads = []

        def status(request):
            status_reads.append(1)
            return ok({"run_id": "r1", "status": "running" if len(status_reads) < 4 else "failed",
                       "epochs_completed": 3, "finish_reason": "loss is NaN"})

        def metrics(request):
            query, headers = request[2], request[3]
            since = int(query["since_epoch"][0]) if "since_epoch" in query else None
            if since is None:
                return ok({"epochs": [{"epoch": 0, "train_loss": 1.0, "val_loss": 1.1},
                                      {"epoch": 1, "train_loss": 0.9, "val_loss": "NaN"}]}, {"ETag": '"a"'})
            if since == 1 and len(status_reads) < 3:
                if headers.get("If-None-Match") == '"b"':
                    return 304, {"ETag": '"b"'}, b""
                return ok({"epochs": []}, {"ETag": '"b"'})
            if since == 1:
                return ok({"epochs": [{"epoch": 2, "train_loss": 0.8, "val_loss": 0.95, "val_accuracy": 0.5}]},
                          {"ETag": '"c"'})
            return ok({"epochs": []}, {"ETag": '"d"'})

        self.stub.routes[("GET", "/api/v1/runs/r1")] = status
        self.stub.routes[("GET", "/api/v1/runs/r1/metrics")] = metrics
        p = run(MONITOR, "r1", "--url", self.stub.url, "--interval", "0.01")
        self.assertEqual(1, p.returncode, "a failed run exits 1: " + p.stderr)
        epoch_lines = [l for l in p.stdout.splitlines() if l.startswith("epoch")]
        self.assertEqual(3, len(epoch_lines), p.stdout)
        self.assertIn("val_loss NaN", epoch_lines[1])
        self.assertIn("val_acc 50.0%", epoch_lines[2])
        self.assertIn("ended: failed after 3 epochs: loss is NaN", p.stdout)
        metric_reads = [r for r in self.stub.requests if r[1].endswith("/metrics")]
        self.assertNotIn("since_epoch", metric_reads[0][2])
        self.assertEqual(["1"], metric_reads[1][2]["since_epoch"])
        self.assertIn(("If-None-Match", '"b"'), [(k, v) for r in metric_reads for k, v in r[3].items()],
                      "the ETag of an unchanged answer is sent back")
        self.assertNotIn("no metrics yet", p.stdout)


class LossAnalyzerTest(AgentTestCase):
    def test_unknown_run_is_one_line_and_exit_2(self):
        p = run(ANALYZER, "nope", "--url", self.stub.url)
        self.assertEqual(2, p.returncode)
        self.assert_one_line(p.stderr, "404")

    def test_unreachable_server_is_one_line_and_exit_3(self):
        p = run(ANALYZER, "r1", "--url", "http://127.0.0.1:%d" % closed_port(), "--act")
        self.assertEqual(3, p.returncode)
        self.assert_one_line(p.stderr, "cannot reach metrics-api")

    def test_prints_trend_best_epoch_and_recommendation(self):
        self.stub.routes[("GET", "/api/v1/runs/r1/analysis")] = lambda r: ok(verdict("continue", 0.6))
        p = run(ANALYZER, "r1", "--url", self.stub.url, "--act")
        self.assertEqual(0, p.returncode, p.stderr)
        self.assertIn("val_loss worsening (slope +0.0030/epoch)", p.stdout)
        self.assertIn("best epoch: 30 (val_loss 0.6789)", p.stdout)
        self.assertIn("recommendation: continue (confidence 0.60)", p.stdout)
        self.assertIn("action: none (recommendation is continue)", p.stdout)
        self.assertFalse([r for r in self.stub.requests if r[0] == "POST"])

    def test_act_cancels_a_stop_at_or_above_the_confidence_with_its_reason(self):
        self.stub.routes[("GET", "/api/v1/runs/r1/analysis")] = lambda r: ok(verdict("stop", 0.85))
        self.stub.routes[("POST", "/api/v1/runs/r1/cancel")] = lambda r: (202, {"Content-Type": "application/json"},
                                                                           {"run_id": "r1", "status": "cancelling"})
        p = run(ANALYZER, "r1", "--url", self.stub.url, "--act", "--min-confidence", "0.85")
        self.assertEqual(0, p.returncode, p.stderr)
        posts = [r for r in self.stub.requests if r[0] == "POST"]
        self.assertEqual(1, len(posts))
        body = json.loads(posts[0][4])
        self.assertEqual("Validation loss has risen for 11 epochs while training loss fell.", body["reason"])
        self.assertEqual("loss_analyzer.py", body["requested_by"])
        self.assertIn("action: cancelled run r1 (status cancelling)", p.stdout)

    def test_every_request_sends_the_token_from_trainwatch_token(self):
        self.stub.routes[("GET", "/api/v1/runs/r1/analysis")] = lambda r: ok(verdict("stop", 0.85))
        self.stub.routes[("POST", "/api/v1/runs/r1/cancel")] = lambda r: (202, {"Content-Type": "application/json"},
                                                                           {"run_id": "r1", "status": "cancelling"})
        env = dict(os.environ, TRAINWATCH_TOKEN="tw_agent")
        p = run(ANALYZER, "r1", "--url", self.stub.url, "--act", "--min-confidence", "0.85", env=env)
        self.assertEqual(0, p.returncode, p.stderr)
        self.assertTrue(self.stub.requests)
        for r in self.stub.requests:
            self.assertEqual("Bearer tw_agent", r[3].get("Authorization"), r[:2])

    def test_no_cancel_below_the_confidence_or_without_act(self):
        self.stub.routes[("GET", "/api/v1/runs/r1/analysis")] = lambda r: ok(verdict("stop", 0.6))
        low = run(ANALYZER, "r1", "--url", self.stub.url, "--act", "--min-confidence", "0.7")
        self.assertIn("below --min-confidence 0.70", low.stdout)
        self.stub.routes[("GET", "/api/v1/runs/r1/analysis")] = lambda r: ok(verdict("stop", 0.9))
        passive = run(ANALYZER, "r1", "--url", self.stub.url)
        self.assertIn("pass --act", passive.stdout)
        self.assertEqual((0, 0), (low.returncode, passive.returncode))
        self.assertFalse([r for r in self.stub.requests if r[0] == "POST"])

    def test_wait_polls_until_the_verdict_says_stop(self):
        reads = []

        def analysis(request):
            reads.append(1)
            return ok(verdict("stop", 0.9, epoch=30 + len(reads)) if len(reads) >= 3 else verdict("continue", 0.5,
                                                                                                   epoch=30 + len(reads)))

        self.stub.routes[("GET", "/api/v1/runs/r1/analysis")] = analysis
        self.stub.routes[("POST", "/api/v1/runs/r1/cancel")] = lambda r: (202, {"Content-Type": "application/json"},
                                                                           {"run_id": "r1", "status": "cancelling"})
        p = run(ANALYZER, "r1", "--url", self.stub.url, "--act", "--wait", "--interval", "0.01")
        self.assertEqual(0, p.returncode, p.stderr)
        self.assertEqual(3, len(reads))
        self.assertIn("action: cancelled run r1", p.stdout)
        self.assertIn("epoch 32: continue (confidence 0.50)", p.stdout, "an unchanged advice is one line per epoch")
        self.assertEqual(2, p.stdout.count("recommendation:"), "the whole verdict when the advice changes: " + p.stdout)

    def test_wait_waits_for_a_run_that_is_not_there_yet(self):
        reads = []

        def analysis(request):
            reads.append(1)
            if len(reads) < 3:
                return problem(404, "Run not found", 'no run with id "r1"')
            return ok(verdict("stop", 0.9))

        self.stub.routes[("GET", "/api/v1/runs/r1/analysis")] = analysis
        self.stub.routes[("POST", "/api/v1/runs/r1/cancel")] = lambda r: (202, {"Content-Type": "application/json"},
                                                                           {"run_id": "r1", "status": "cancelling"})
        p = run(ANALYZER, "r1", "--url", self.stub.url, "--act", "--wait", "--interval", "0.01")
        self.assertEqual(0, p.returncode, p.stderr)
        self.assertEqual(1, p.stdout.count("waiting for run r1 to appear"), p.stdout)
        self.assertIn("action: cancelled run r1", p.stdout)

    def test_wait_gives_up_on_a_run_that_never_appears(self):
        p = run(ANALYZER, "nope", "--url", self.stub.url, "--wait", "--interval", "0.01", "--appear-timeout", "0.2")
        self.assertEqual(2, p.returncode)
        self.assert_one_line(p.stderr, "404")

    def test_wait_ends_without_acting_when_the_run_ends(self):
        self.stub.routes[("GET", "/api/v1/runs/r1/analysis")] = lambda r: ok(verdict("continue", 0.9, status="completed"))
        p = run(ANALYZER, "r1", "--url", self.stub.url, "--act", "--wait", "--interval", "0.01")
        self.assertEqual(0, p.returncode, p.stderr)
        self.assertIn("action: none (the run has ended: completed)", p.stdout)

    def test_refused_cancel_is_one_line_and_exit_4(self):
        self.stub.routes[("GET", "/api/v1/runs/r1/analysis")] = lambda r: ok(verdict("stop", 0.9))
        self.stub.routes[("POST", "/api/v1/runs/r1/cancel")] = lambda r: problem(409, "Run already finished",
                                                                                  "nothing to cancel")
        p = run(ANALYZER, "r1", "--url", self.stub.url, "--act")
        self.assertEqual(4, p.returncode)
        self.assert_one_line(p.stderr, "409", "nothing to cancel")


if __name__ == "__main__":
    unittest.main()
