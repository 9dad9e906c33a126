"""Every event the client sends validates against the contract's JSON Schemas (contracts/src/main/resources/schemas).
Needs the jsonschema package (Debian: python3-jsonschema); skipped without it."""
import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]
SCHEMAS = os.path.join(HERE, "..", "..", "..", "contracts", "src", "main", "resources", "schemas")

import trainwatch  # noqa: E402
from stub import Stub  # noqa: E402

try:
    import jsonschema
except ImportError:
    jsonschema = None

SCHEMA_OF = {"start": "run.started", "epoch": "epoch.completed", "step": "step.sampled", "finish": "run.finished"}


@unittest.skipIf(jsonschema is None, "needs the jsonschema package for this interpreter")
class ContractTest(unittest.TestCase):
    def test_every_event_validates_against_its_schema(self):
        stub = Stub()
        spool = tempfile.mkdtemp(prefix="trainwatch-test-spool-")
        self.addCleanup(shutil.rmtree, spool, True)
        self.addCleanup(stub.close)
        run = trainwatch.init(project="Ünïcødé 学习", name="mlp adam/v2", url=stub.url, spool_dir=spool,
                              config={"lr": 1e-3, "layers": [64, 128], "nested": {"a": float("nan")}},
                              total_epochs=3, monitor={"patience": 5, "min_delta": 0.001,
                                                       "thresholds": {"gradients.exploding": 50}},
                              tags=["example", "🚀"], device="cpu",
                              model={"architecture": "mlp 64-128-10", "parameter_count": 9610},
                              dataset={"name": "digits", "train_size": 1437, "val_size": 360})
        run.log_epoch(0, train_loss=float("nan"), val_loss=float("inf"), train_accuracy=0.5, val_accuracy=0.4,
                      learning_rate=1e-3, duration_ms=12.7, samples_per_second=float("inf"), grad_norm=1.0,
                      grad_norm_max=2.0, layer_grad_norms={"0.weight": float("nan")}, param_norm=3.0,
                      clipped_steps=1, memory_bytes=123456789, global_step=23, val_f1=float("-inf"))
        run.log_step(23, loss=0.5, learning_rate=1e-3, grad_norm=1.0, epoch=0)
        run.finish("stopped_early", reason="patience of 5 epochs ran out")
        self.assertEqual(len(stub.stored), 4)
        checker = jsonschema.FormatChecker()
        for kind, event in stub.stored:
            with open(os.path.join(SCHEMAS, SCHEMA_OF[kind] + ".schema.json"), encoding="utf-8") as f:
                schema = json.load(f)
            validator = jsonschema.validators.validator_for(schema)(schema, format_checker=checker)
            errors = ["%s: %s" % ("/".join(map(str, e.path)), e.message) for e in validator.iter_errors(event)]
            self.assertEqual(errors, [], "%s event %s" % (kind, event))
        # a project and name outside the run id's characters still give a valid id (the schemas checked the pattern)
        self.assertRegex(run.run_id, r"-mlp-adam-v2-[0-9a-f]{8}$")


if __name__ == "__main__":
    unittest.main()
