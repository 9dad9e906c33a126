"""docs/examples/pytorch/train_digits.py against the stub: it reports every epoch and stops within one epoch of a
cancel. Needs torch and scikit-learn (Debian's python3-torch, python3-sklearn); skipped without them."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
EXAMPLE = os.path.join(HERE, "..", "..", "..", "docs", "examples", "pytorch", "train_digits.py")

from stub import Stub  # noqa: E402

try:
    import sklearn  # noqa: F401
    import torch  # noqa: F401
    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False


@unittest.skipUnless(HAVE_TORCH, "needs torch and scikit-learn for this interpreter")
class TrainDigitsExampleTest(unittest.TestCase):
    def setUp(self):
        self.stub = Stub()
        self.spool = tempfile.mkdtemp(prefix="trainwatch-test-spool-")
        self.addCleanup(shutil.rmtree, self.spool, True)
        self.addCleanup(self.stub.close)

    def train(self, *args):
        env = dict(os.environ, TRAINWATCH_SPOOL_DIR=self.spool, PYTHONDONTWRITEBYTECODE="1")
        return subprocess.run([sys.executable, EXAMPLE, "--url", self.stub.url, "--quiet"] + list(args), env=env,
                              capture_output=True, text=True, timeout=120)

    def test_reports_every_epoch_in_order(self):
        done = self.train("--epochs", "4")
        self.assertEqual(done.returncode, 0, done.stderr)
        first = done.stdout.splitlines()[0]
        run_id = first.partition("=")[2]
        self.assertEqual(first, "run_id=" + run_id)
        started, = self.stub.events("start")
        self.assertEqual((started["run_id"], started["project"], started["total_epochs"]), (run_id, "digits", 4))
        epochs = self.stub.events("epoch")
        self.assertEqual([e["epoch"] for e in epochs], [0, 1, 2, 3])
        for field in ("train_loss", "val_loss", "val_accuracy", "grad_norm", "layer_grad_norms", "param_norm",
                      "samples_per_second", "memory_bytes", "duration_ms"):
            self.assertIn(field, epochs[-1])
        self.assertEqual(self.stub.finished()["status"], "completed")

    def test_stops_within_one_epoch_of_a_cancel(self):
        def cancel_at_epoch_2(kind, event):
            if kind == "epoch" and event["epoch"] == 2:
                self.stub._cancel("overfitting since epoch 1", "agent:test")
        self.stub.on_store = cancel_at_epoch_2
        done = self.train("--overfit", "--epochs", "50", "--pace", "0.3")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("stopping: cancelled by agent:test: overfitting since epoch 1", done.stdout)
        epochs = [e["epoch"] for e in self.stub.events("epoch")]
        self.assertIn(epochs, ([0, 1, 2], [0, 1, 2, 3]))
        finished = self.stub.finished()
        self.assertEqual((finished["status"], finished["reason"], finished["requested_by"], finished["epochs_completed"]),
                         ("cancelled", "overfitting since epoch 1", "agent:test", len(epochs)))


if __name__ == "__main__":
    unittest.main()
