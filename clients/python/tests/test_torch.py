"""trainwatch.torch on a tiny model; skipped where PyTorch is not installed (the package itself never needs it)."""
import math
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    import torch
except ImportError:  # the pyenv python3 on PATH, or a machine without Debian's python3-torch
    torch = None


@unittest.skipIf(torch is None, "PyTorch is not installed for this interpreter")
class TorchHelpersTest(unittest.TestCase):
    def setUp(self):
        from trainwatch import torch as tw_torch
        self.tw = tw_torch
        torch.manual_seed(0)
        self.model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
        self.x, self.y = torch.randn(16, 4), torch.randint(0, 2, (16,))

    def backward(self, scale=1.0):
        self.model.zero_grad()
        (torch.nn.functional.cross_entropy(self.model(self.x), self.y) * scale).backward()

    def expected_grad_norm(self):
        return math.sqrt(sum(float(p.grad.pow(2).sum()) for p in self.model.parameters()))

    def test_norms_match_a_direct_computation(self):
        self.backward()
        self.assertAlmostEqual(self.tw.grad_norm(self.model), self.expected_grad_norm(), places=5)
        layers = self.tw.layer_grad_norms(self.model)
        self.assertEqual(list(layers), ["0.weight", "0.bias", "2.weight", "2.bias"])
        self.assertAlmostEqual(layers["0.weight"], float(self.model[0].weight.grad.norm()), places=5)
        expected = math.sqrt(sum(float(p.pow(2).sum()) for p in self.model.parameters()))
        self.assertAlmostEqual(self.tw.param_norm(self.model), expected, places=5)

    def test_epoch_metrics_mean_max_clipping_and_throughput(self):
        metrics = self.tw.EpochMetrics(self.model, budget=None)
        norms = []
        for scale in (1.0, 100.0, 1.0):
            self.backward(scale)
            norms.append(self.expected_grad_norm())
            metrics.clip(max_norm=5.0)
            metrics.count_samples(16)
        out = metrics.collect()
        self.assertAlmostEqual(out["grad_norm"], sum(norms) / 3, places=3)
        self.assertAlmostEqual(out["grad_norm_max"], max(norms), places=3)
        self.assertEqual(out["clipped_steps"], sum(1 for n in norms if n > 5.0))
        self.assertEqual(set(out["layer_grad_norms"]), {"0.weight", "0.bias", "2.weight", "2.bias"})
        self.assertGreater(out["samples_per_second"], 0)
        self.assertGreater(out["memory_bytes"], 0)
        self.assertIn("param_norm", out)
        self.assertEqual(metrics.collect().get("clipped_steps"), None, "collect() starts a new epoch")

    def test_every_n_steps_measures_only_those(self):
        metrics = self.tw.EpochMetrics(self.model, every=2, budget=None, per_layer=False)
        for scale in (1.0, 50.0, 1.0):  # steps 1 and 3 are measured, step 2 (scale 50) is not
            self.backward(scale)
            metrics.after_backward()
        out = metrics.collect()
        self.assertNotIn("layer_grad_norms", out)
        self.backward(1.0)
        self.assertAlmostEqual(out["grad_norm_max"], self.expected_grad_norm(), places=4)

    def test_budget_skips_steps_once_measuring_has_cost_its_share(self):
        metrics = self.tw.EpochMetrics(self.model, budget=1e-9)
        self.backward(1.0)
        first = self.expected_grad_norm()
        metrics.after_backward()  # the first step of an epoch is always measured
        for _ in range(3):
            self.backward(50.0)
            self.assertIsNone(metrics.after_backward(), "over budget: not measured")
        out = metrics.collect()
        self.assertAlmostEqual(out["grad_norm_max"], first, places=4)

    def test_collected_metrics_are_accepted_by_log_epoch(self):
        import tempfile
        import trainwatch
        spool = tempfile.mkdtemp(prefix="trainwatch-test-spool-")
        self.addCleanup(shutil.rmtree, spool, True)
        run = trainwatch.init(project="p", url="http://127.0.0.1:1", spool_dir=spool)
        metrics = self.tw.EpochMetrics(self.model)
        self.backward()
        metrics.after_backward()
        run.log_epoch(0, train_loss=1.0, **metrics.collect())
        self.assertEqual(run._sender.outstanding, 2, "run.started and the epoch were queued")
        run.finish(timeout=0)
        self.assertEqual(self.tw.describe_model(self.model)["parameter_count"], 4 * 8 + 8 + 8 * 2 + 2)


if __name__ == "__main__":
    unittest.main()
