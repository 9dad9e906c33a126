"""The client against a local stub of metrics-api (tests/stub.py): batching, retries, spool, exit, cancel.

Run: python3 -m unittest discover -s clients/python/tests -p 'test_*.py'   (Maven runs it in clients/python's test phase)
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_ROOT = os.path.dirname(HERE)
sys.path.insert(0, CLIENT_ROOT)
sys.path.insert(0, HERE)

import trainwatch  # noqa: E402
from stub import Stub, wait_until  # noqa: E402


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return "http://127.0.0.1:%d" % port


def ids(body):
    events = json.loads(body.decode("utf-8"))
    return [e["event_id"] for e in (events if isinstance(events, list) else [events])]


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.stub = Stub()
        self.spool = tempfile.mkdtemp(prefix="trainwatch-test-spool-")
        self.runs = []

    def tearDown(self):
        for run in self.runs:
            run.finish(timeout=0.5)
        self.stub.close()
        shutil.rmtree(self.spool, ignore_errors=True)

    def start(self, **kwargs):
        options = dict(project="digits", name="mlp", url=self.stub.url, spool_dir=self.spool, total_epochs=50)
        options.update(kwargs)
        run = trainwatch.init(**options)
        self.runs.append(run)
        return run

    def metrics_requests(self):
        with self.stub.lock:
            return [r for r in self.stub.requests if r[1].endswith("/metrics")]

    # --- what log_* sends ---------------------------------------------------------------------------------------

    def test_events_carry_the_contract_fields(self):
        run = self.start(config={"lr": 1e-3, "batch_size": 64}, monitor={"patience": 10, "min_delta": 0.001})
        run.log_epoch(0, train_loss=0.9, val_loss=float("nan"), train_accuracy=0.5, val_accuracy=0.4,
                      learning_rate=1e-3, duration_ms=412.6, samples_per_second=3000.0, grad_norm=1.5,
                      layer_grad_norms={"fc1.weight": 1.0}, clipped_steps=2, val_f1=0.41)
        run.log_step(7, loss=float("inf"), learning_rate=1e-3, epoch=0)
        self.assertTrue(run.finish())
        started, = self.stub.events("start")
        self.assertEqual(started["run_id"], run.run_id)
        self.assertRegex(run.run_id, r"^digits-mlp-[0-9a-f]{8}$")
        self.assertEqual(started["hyperparameters"], {"lr": 1e-3, "batch_size": 64})
        self.assertEqual(started["monitor"], {"patience": 10, "min_delta": 0.001})
        self.assertEqual(started["total_epochs"], 50)
        epoch, = self.stub.events("epoch")
        self.assertEqual(epoch["val_loss"], "NaN")
        self.assertEqual(epoch["duration_ms"], 413)
        self.assertEqual(epoch["layer_grad_norms"], {"fc1.weight": 1.0})
        self.assertEqual(epoch["clipped_steps"], 2)
        self.assertEqual(epoch["extra"], {"val_f1": 0.41})
        self.assertRegex(epoch["emitted_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        step, = self.stub.events("step")
        self.assertEqual((step["global_step"], step["loss"], step["epoch"]), (7, "Infinity", 0))
        self.assertEqual(self.stub.finished()["status"], "completed")
        self.assertEqual(self.stub.finished()["epochs_completed"], 1)

    def test_bad_values_are_refused_at_the_call_naming_the_field(self):
        run = self.start()
        cases = [(lambda: run.log_epoch(-3), "epoch: must be >= 0 and <= 10000000, was -3"),
                 (lambda: run.log_epoch(1.5), "epoch: must be an integer, was 1.5"),
                 (lambda: run.log_epoch(0, learning_rate=-0.1), "learning_rate: must be >= 0"),
                 (lambda: run.log_epoch(0, train_loss="low"), "train_loss: must be a number, was str"),
                 (lambda: run.log_epoch(0, val_auc="high"), "extra.val_auc: must be a number, was str"),
                 (lambda: run.log_step(-1), "step: must be >= 0")]
        for call, message in cases:
            with self.assertRaises(ValueError) as caught:
                call()
            self.assertIn(message, str(caught.exception))
        with self.assertRaisesRegex(ValueError, "on_cancel"):
            trainwatch.init(url=self.stub.url, on_cancel="explode")
        with self.assertRaisesRegex(ValueError, "monitor.stall_after_seconds: must be >= 1 and <= 604800, was 0"):
            trainwatch.init(url=self.stub.url, monitor={"stall_after_seconds": 0})

    def test_events_after_finish_are_ignored_with_one_warning(self):
        run = self.start()
        self.assertTrue(run.finish())
        with self.assertLogs("trainwatch", level="WARNING") as logs:
            run.log_epoch(0, train_loss=1.0)
            run.log_step(1, loss=1.0)
        self.assertEqual(len(logs.output), 1, logs.output)
        self.assertEqual(self.stub.events("epoch"), [])

    def test_token_is_sent_as_bearer(self):
        run = self.start(token="s3cret")
        run.finish()
        self.assertTrue(all(r[3].get("Authorization") == "Bearer s3cret" for r in self.stub.requests))

    def test_url_and_token_default_to_the_environment(self):
        os.environ["TRAINWATCH_URL"], os.environ["TRAINWATCH_TOKEN"] = self.stub.url, "from-env"
        try:
            run = trainwatch.init(project="p", spool_dir=self.spool)
            self.runs.append(run)
            self.assertTrue(run.finish())
        finally:
            del os.environ["TRAINWATCH_URL"], os.environ["TRAINWATCH_TOKEN"]
        self.assertEqual(self.stub.requests[0][3].get("Authorization"), "Bearer from-env")

    # --- batching -----------------------------------------------------------------------------------------------

    def test_batches_hold_at_most_500_events(self):
        self.stub.gate.clear()  # the server holds the first request: the epochs pile up in the queue
        run = self.start()
        for epoch in range(1200):
            run.log_epoch(epoch, train_loss=1.0)
        self.stub.gate.set()
        self.assertTrue(run.flush(10))
        sizes = [len(ids(r[2])) for r in self.metrics_requests()]
        self.assertTrue(all(size <= 500 for size in sizes), sizes)
        self.assertGreaterEqual(len(sizes), 3)
        self.assertEqual([e["epoch"] for e in self.stub.events("epoch")], list(range(1200)))

    def test_batches_hold_at_most_one_mebibyte(self):
        self.stub.gate.clear()
        run = self.start()
        layers = {"layer%04d.weight" % i: 0.5 for i in range(2000)}  # ~50 KB an epoch
        for epoch in range(40):
            run.log_epoch(epoch, layer_grad_norms=layers)
        self.stub.gate.set()
        self.assertTrue(run.flush(10))
        sizes = [len(r[2]) for r in self.metrics_requests()]
        self.assertTrue(all(size <= 1024 * 1024 for size in sizes), sizes)
        self.assertGreaterEqual(len(sizes), 2)
        self.assertEqual([e["epoch"] for e in self.stub.events("epoch")], list(range(40)))

    def test_413_splits_the_batch(self):
        self.stub.max_events = 100
        self.stub.gate.clear()
        run = self.start()
        for epoch in range(450):
            run.log_epoch(epoch, train_loss=1.0)
        self.stub.gate.set()
        self.assertTrue(run.flush(10))
        self.assertEqual([e["epoch"] for e in self.stub.events("epoch")], list(range(450)))
        self.assertEqual(run.stats["refused"], 0)

    # --- failures -----------------------------------------------------------------------------------------------

    def test_retries_reuse_the_event_ids(self):
        run = self.start()
        self.assertTrue(run.flush(5))
        self.stub.fail_suffix, self.stub.fail_next = "/metrics", 3
        for epoch in range(5):
            run.log_epoch(epoch, train_loss=1.0)
        self.assertTrue(run.flush(15))
        attempts = [ids(r[2]) for r in self.metrics_requests()]
        self.assertGreaterEqual(len(attempts), 4)
        stored = [e["event_id"] for e in self.stub.events("epoch")]
        self.assertEqual(len(stored), 5)
        self.assertEqual({i for attempt in attempts for i in attempt}, set(stored))  # no id was ever re-made
        self.assertEqual([e["epoch"] for e in self.stub.events("epoch")], list(range(5)))

    def test_outage_spools_and_replays_each_kind_in_order(self):
        run = self.start()
        self.assertTrue(run.flush(5))
        self.stub.down()
        for epoch in range(20):
            for step in range(epoch * 10, epoch * 10 + 10):
                run.log_step(step, loss=1.0)
            run.log_epoch(epoch, train_loss=1.0)
        wait_until(lambda: run.stats["spool_events"] == 220, message="every event in the spool")
        spool_dir = os.path.join(self.spool, run.run_id)
        self.assertTrue(any(name.endswith(".jsonl") for name in os.listdir(spool_dir)))
        requests_before = len(self.stub.requests)
        self.stub.up()
        self.assertTrue(run.flush(20))
        self.assertEqual([e["epoch"] for e in self.stub.events("epoch")], list(range(20)))
        self.assertEqual([e["global_step"] for e in self.stub.events("step")], list(range(200)))
        # 220 interleaved events replay as one window of 500: one request for the epochs, one for the steps
        self.assertEqual(len(self.stub.requests) - requests_before, 2)
        self.assertTrue(run.finish())
        self.assertFalse(os.path.exists(spool_dir), "an empty spool is removed")

    def test_full_spool_drops_oldest_steps_keeps_epochs_and_warns_once(self):
        run = self.start(spool_max_bytes=20_000)
        self.assertTrue(run.flush(5))
        self.stub.down()
        with self.assertLogs("trainwatch", level="WARNING") as logs:
            for epoch in range(20):
                for step in range(epoch * 20, epoch * 20 + 20):
                    run.log_step(step, loss=1.0, learning_rate=0.001)
                run.log_epoch(epoch, train_loss=1.0, val_loss=1.1)
            wait_until(lambda: run.stats["spool_events"] + run.stats["dropped_steps"] == 420,
                       message="every event spooled or dropped")
            self.stub.up()
            self.assertTrue(run.flush(20))
        full = [line for line in logs.output if "is full" in line]
        self.assertEqual(len(full), 1, logs.output)
        self.assertEqual([e["epoch"] for e in self.stub.events("epoch")], list(range(20)))
        steps = [e["global_step"] for e in self.stub.events("step")]
        self.assertGreater(run.stats["dropped_steps"], 0)
        self.assertEqual(len(steps) + run.stats["dropped_steps"], 400)
        self.assertEqual(steps, list(range(400 - len(steps), 400)), "the oldest steps are the ones dropped")

    def test_refused_batch_is_dropped_and_logged_once(self):
        self.stub.refuse["/steps"] = 422
        run = self.start()
        with self.assertLogs("trainwatch", level="ERROR") as logs:
            for epoch in range(3):
                run.log_step(epoch, loss=1.0)
                self.assertTrue(run.flush(5))
                run.log_epoch(epoch, train_loss=1.0)
            self.assertTrue(run.finish())
        self.assertEqual(len(logs.output), 1, logs.output)
        self.assertIn("HTTP 422", logs.output[0])
        self.assertEqual([e["epoch"] for e in self.stub.events("epoch")], [0, 1, 2])
        self.assertEqual(run.stats["refused"], 3)

    def heartbeat_requests(self):
        with self.stub.lock:
            return [r for r in self.stub.requests if r[1].endswith("/heartbeat")]

    def test_heartbeats_fill_a_long_epoch_and_stop_at_finish(self):
        run = self.start(heartbeat_every=0.2)
        run.log_epoch(0, train_loss=1.0)
        # a "long epoch": the loop logs nothing while the sender keeps the run alive
        wait_until(lambda: len(self.stub.heartbeats) >= 2, message="two heartbeats during the long epoch")
        run.log_epoch(1, train_loss=0.9)
        self.assertTrue(run.finish())
        with self.stub.lock:
            paths = [r[1] for r in self.stub.requests]
        self.assertTrue(paths[-1].endswith("/finish"), "nothing after run.finished: %s" % paths[-3:])
        self.assertEqual([r[2] for r in self.heartbeat_requests()][0], b"{}")
        self.assertTrue(all(p == "/api/v1/runs/%s/heartbeat" % run.run_id for p in paths if p.endswith("/heartbeat")))
        self.assertGreaterEqual(run.stats["heartbeats"], 2)
        self.assertEqual([e["epoch"] for e in self.stub.events("epoch")], [0, 1])

    def test_failed_heartbeats_are_neither_retried_nor_spooled(self):
        self.stub.refuse["/heartbeat"] = 503
        run = self.start(heartbeat_every=0.1)
        wait_until(lambda: len(self.heartbeat_requests()) >= 3, message="heartbeats tried")
        self.assertEqual(run.stats["heartbeats"], 0)
        self.assertEqual(run.stats["failed_requests"], 0)
        self.assertEqual(run.stats["spool_events"], 0)
        self.assertTrue(run.finish())

    def test_heartbeat_every_none_or_zero_disables_them(self):
        for off in (None, 0):
            run = self.start(heartbeat_every=off)
            self.assertIsNone(run._sender._heartbeat_due_in(), off)
        with self.assertRaisesRegex(ValueError, "heartbeat_every: must be a number of seconds >= 0, or None, was -1"):
            trainwatch.init(url=self.stub.url, heartbeat_every=-1)

    def test_finish_with_a_dead_server_returns_in_bounded_time(self):
        run = trainwatch.init(project="p", url=closed_port_url(), spool_dir=self.spool)
        for epoch in range(10):
            run.log_epoch(epoch, train_loss=1.0)
        started = time.monotonic()
        self.assertFalse(run.finish(timeout=1.0))
        self.assertLess(time.monotonic() - started, 2.5)
        # what could not be sent is on disk
        wait_until(lambda: run.stats["spool_events"] == 12, message="start, 10 epochs and finish in the spool")

    def test_finish_with_a_hanging_server_returns_in_bounded_time(self):
        run = self.start()
        self.assertTrue(run.flush(5))
        self.stub.hang = True
        run.log_epoch(0, train_loss=1.0)
        wait_until(lambda: len(self.metrics_requests()) == 1, message="the request in flight")
        started = time.monotonic()
        self.assertFalse(run.finish(timeout=1.0))
        self.assertLess(time.monotonic() - started, 2.5)

    # --- cancel -------------------------------------------------------------------------------------------------

    def test_cancel_arrives_with_an_ingest_answer(self):
        self.stub.control_enabled = False  # no long-poll: only the ingest answers can tell
        run = self.start()
        self.assertTrue(run.flush(5))
        self.assertFalse(run.should_stop)
        self.stub.cancel("val loss rising", "agent:supervisor")
        run.log_epoch(0, train_loss=1.0)
        wait_until(lambda: run.should_stop, message="should_stop")
        self.assertEqual((run.stop_reason, run.requested_by), ("val loss rising", "agent:supervisor"))
        self.assertTrue(run.finish())
        finished = self.stub.finished()
        self.assertEqual((finished["status"], finished["reason"], finished["requested_by"]),
                         ("cancelled", "val loss rising", "agent:supervisor"))

    def test_cancel_arrives_by_long_poll_without_logging(self):
        run = self.start()
        run.log_epoch(0, train_loss=1.0)
        self.assertTrue(run.flush(5))
        wait_until(lambda: self.stub.polls >= 1, message="a long-poll waiting")
        requests_before = len(self.stub.requests)
        self.stub.cancel("overfitting since epoch 30")
        wait_until(lambda: run.should_stop, timeout=3, message="should_stop")
        self.assertEqual(run.stop_reason, "overfitting since epoch 30")
        self.assertEqual(len(self.stub.requests), requests_before, "learnt without any ingest request")

    def test_on_cancel_raise_raises_once_from_the_next_log_call(self):
        run = self.start(on_cancel="raise")
        run.log_epoch(0, train_loss=1.0)
        self.stub.cancel("stop now")
        wait_until(lambda: run.should_stop, message="should_stop")
        with self.assertRaises(trainwatch.RunCancelled) as caught:
            run.log_epoch(1, train_loss=1.0)
        self.assertEqual((caught.exception.run_id, caught.exception.reason), (run.run_id, "stop now"))
        run.log_step(10, loss=1.0)  # once only
        self.assertTrue(run.finish())
        self.assertEqual([e["epoch"] for e in self.stub.events("epoch")], [0, 1], "the raising call's epoch is kept")
        self.assertEqual(self.stub.finished()["status"], "cancelled")

    def test_with_block_and_raise_ends_cancelled_quietly(self):
        with self.start(on_cancel="raise") as run:
            self.stub.cancel("enough")
            wait_until(lambda: run.should_stop, message="should_stop")
            for epoch in range(100):
                run.log_epoch(epoch, train_loss=1.0)
            self.fail("RunCancelled should have left the loop")
        self.assertEqual((self.stub.finished()["status"], self.stub.finished()["reason"]), ("cancelled", "enough"))

    def test_with_block_exception_ends_the_run_failed(self):
        with self.assertRaises(ZeroDivisionError):
            with self.start() as run:
                run.log_epoch(0, train_loss=1.0)
                1 / 0
        finished = self.stub.finished()
        self.assertEqual((finished["status"], finished["reason"]), ("failed", "ZeroDivisionError: division by zero"))
        self.assertTrue(run.finished)

    def test_verdict_is_the_analysis_or_none(self):
        run = self.start()
        self.assertEqual(run.verdict(), {"recommendation": {"action": "continue"}})
        dead = trainwatch.init(project="p", url=closed_port_url(), spool_dir=self.spool)
        self.assertIsNone(dead.verdict(timeout=1))
        dead.finish(timeout=0.2)


class ProcessExitTest(unittest.TestCase):
    """Exit without finish(): the atexit hook and the SIGTERM handler, in a child process."""

    def setUp(self):
        self.stub = Stub()
        self.spool = tempfile.mkdtemp(prefix="trainwatch-test-spool-")

    def tearDown(self):
        self.stub.close()
        shutil.rmtree(self.spool, ignore_errors=True)

    def child(self, body, url=None):
        script = textwrap.dedent("""
            import sys, time, threading
            sys.path.insert(0, %r)
            import trainwatch
            run = trainwatch.init(project="p", name="exit", url=%r, spool_dir=%r, exit_timeout=1.0)
            for epoch in range(50):
                run.log_epoch(epoch, train_loss=1.0)
        """) % (CLIENT_ROOT, url or self.stub.url, self.spool)
        return subprocess.Popen([sys.executable, "-c", script + textwrap.dedent(body)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def finish_child(self, process):
        with process:
            out, err = process.communicate(timeout=20)
        return process.returncode, out, err

    def test_exit_flushes_and_completes(self):
        code, _, err = self.finish_child(self.child(""))
        self.assertEqual(code, 0, err)
        self.assertEqual([e["epoch"] for e in self.stub.events("epoch")], list(range(50)))
        self.assertEqual(self.stub.finished()["status"], "completed")

    def test_uncaught_exception_ends_the_run_failed(self):
        code, _, _ = self.finish_child(self.child("raise RuntimeError('out of memory')\n"))
        self.assertEqual(code, 1)
        finished = self.stub.finished()
        self.assertEqual((finished["status"], finished["reason"]), ("failed", "RuntimeError: out of memory"))

    def test_exit_with_a_dead_server_is_bounded(self):
        started = time.monotonic()
        code, _, err = self.finish_child(self.child("", url=closed_port_url()))
        self.assertEqual(code, 0, err)
        # python start-up plus the 1 s exit_timeout; a hang would take the full 20 s wait
        self.assertLess(time.monotonic() - started, 8)
        self.assertIn("could not be sent", err)

    def test_sigterm_flushes_then_dies_of_the_signal(self):
        process = self.child("print('ready', flush=True)\nthreading.Event().wait()\n")
        self.assertEqual(process.stdout.readline().strip(), "ready")
        wait_until(lambda: len(self.stub.events("epoch")) == 50, message="epochs delivered")
        process.send_signal(signal.SIGTERM)
        code, _, _ = self.finish_child(process)
        self.assertEqual(code, -signal.SIGTERM)
        finished = self.stub.finished()
        self.assertEqual((finished["status"], finished["reason"]), ("failed", "terminated by SIGTERM"))

    def test_sigterm_chains_to_the_previous_handler(self):
        script = textwrap.dedent("""
            import signal, sys
            signal.signal(signal.SIGTERM, lambda n, f: (print('previous handler ran', flush=True), sys.exit(3)))
        """)
        process = subprocess.Popen(
            [sys.executable, "-c", script + textwrap.dedent("""
            sys.path.insert(0, %r)
            import threading, trainwatch
            run = trainwatch.init(project="p", url=%r, spool_dir=%r, exit_timeout=1.0)
            run.log_epoch(0, train_loss=1.0)
            print('ready', flush=True)
            threading.Event().wait()
            """) % (CLIENT_ROOT, self.stub.url, self.spool)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        self.assertEqual(process.stdout.readline().strip(), "ready")
        process.send_signal(signal.SIGTERM)
        code, out, _ = self.finish_child(process)
        self.assertEqual(code, 3)
        self.assertEqual(out.strip(), "previous handler ran")
        self.assertEqual(self.stub.finished()["status"], "failed")


if __name__ == "__main__":
    unittest.main()
