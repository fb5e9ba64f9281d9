"""calibrate_device.py: the CPU path end to end at tiny sizes, its rows against the schema, the spread and
the sweep model on worked examples, the budget, and the refusals."""

import contextlib
import csv
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import calibrate_device
import probe as probe_module
from test_options import prediction_file
from test_probe import SMALL, saved_prediction

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "calibrate_device.py")
# a sweep's time and its rate are the same float divided: equal to the last bits, or the row is wrong
RATE_TOLERANCE = 1e-12


def calibrate(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)


class EndToEnd(unittest.TestCase):
    """One --quick run on two tiny shapes: every row the script writes, and what it prints."""

    @classmethod
    def setUpClass(cls):
        cls.predictions = [saved_prediction(*SMALL, "--batch", "2"),
                           saved_prediction(*SMALL, "--batch", "3", "--kv-heads", "2", "--tie-embeddings")]
        cls.out = tempfile.mkdtemp()
        cls.result = calibrate("--quick", "--prediction", *cls.predictions, "--out", cls.out)
        with open(os.path.join(cls.out, "measurements.csv"), newline="") as file:
            reader = csv.DictReader(file)
            cls.header = reader.fieldnames
            cls.rows = list(reader)

    def rows_of(self, component):
        return [row for row in self.rows if row["component"] == component]

    def test_it_exits_0_and_prints_the_table(self):
        self.assertEqual(0, self.result.returncode, self.result.stdout + self.result.stderr)
        self.assertIn("shape", self.result.stdout)
        for label in ("V=50 T=12 L=3 d=24 h=4 d_ff=40 B=2", "V=50 T=12 L=3 d=24 h=4 d_ff=40 B=3"):
            line = [text for text in self.result.stdout.splitlines() if label in text]
            self.assertEqual(1, len(line), self.result.stdout)
            self.assertRegex(line[0], r"(within|outside|undecided)")
        self.assertNotIn("matmul FLOPs: recorded", self.result.stdout)

    def test_the_header_is_the_schemas(self):
        self.assertEqual(probe_module.COLUMNS, self.header)
        self.assertEqual(len(calibrate_device.QUICK_MATMUL_SHAPES) + len(calibrate_device.QUICK_TRIAD_ARRAY_BYTES)
                         + 1 + 2, len(self.rows))
        for row in self.rows:
            self.assertEqual(("torch-cpu", "true", "ok"), (row["backend"], row["valid"], row["status"]))

    def test_each_matmul_row_is_its_flops_over_its_seconds(self):
        rows = self.rows_of("matmul_sweep")
        self.assertEqual(len(calibrate_device.QUICK_MATMUL_SHAPES), len(rows))
        for row, (m, n, k) in zip(rows, calibrate_device.QUICK_MATMUL_SHAPES):
            self.assertEqual(("probe", "probes/torch/calibrate_device.py matmul %dx%dx%d" % (m, n, k)),
                             (row["pass"], row["benchmark"]))
            self.assertEqual(2 * m * n * k, int(row["predicted_flops"]))
            self.assertEqual((m * k + k * n + m * n) * 4, int(row["predicted_bytes"]))
            seconds = float(row["score_seconds_per_op"])
            self.assertGreater(seconds, 0)
            self.assertAlmostEqual(1.0, float(row["achieved_flops_per_second"]) * seconds / (2 * m * n * k),
                                   delta=RATE_TOLERANCE)

    def test_each_triad_row_is_its_bytes_over_its_seconds(self):
        rows = self.rows_of("bandwidth_triad")
        self.assertEqual([3 * size for size in calibrate_device.QUICK_TRIAD_ARRAY_BYTES],
                         [int(row["predicted_bytes"]) for row in rows])
        for row in rows:
            self.assertEqual(("probe", 0), (row["pass"], int(row["predicted_flops"])))
            self.assertAlmostEqual(1.0, float(row["achieved_bytes_per_second"]) * float(row["score_seconds_per_op"])
                                   / int(row["predicted_bytes"]), delta=RATE_TOLERANCE)

    def test_one_empty_op_row(self):
        rows = self.rows_of("empty_op")
        self.assertEqual(1, len(rows))
        self.assertGreater(float(rows[0]["score_seconds_per_op"]), 0)
        self.assertEqual(("", ""), (rows[0]["achieved_flops_per_second"], rows[0]["achieved_bytes_per_second"]))

    def test_step_rows_are_probe_rows_with_the_median(self):
        rows = self.rows_of("step")
        self.assertEqual(["2", "3"], [row["batch_size"] for row in rows])
        with open([os.path.join(self.out, f) for f in os.listdir(self.out) if f.startswith("calibrate-")][0]) as file:
            document = json.load(file)
        for row, step, path in zip(rows, document["steps"], self.predictions):
            with open(path) as file:
                predicted = json.load(file)
            self.assertEqual(("step", "probes/torch/calibrate_device.py"), (row["pass"], row["benchmark"]))
            self.assertEqual(repr(step["median_seconds"]), row["score_seconds_per_op"])
            self.assertGreaterEqual(len(step["seconds"]), 5)
            self.assertEqual(calibrate_device.spread(step["seconds"]), step["spread"])
            # the ops recorded under the dispatch mode hold exactly the matmul FLOPs flopcast predicts
            self.assertEqual(predicted["flops"]["hardware"], step["recorded_matmul_flops"])
            self.assertEqual(predicted["flops"]["step"], int(row["predicted_flops"]))


class Spread(unittest.TestCase):
    """probe.py's spread: (lower quartile - fastest) / lower quartile, quartiles between order statistics."""

    def test_five_even_samples(self):
        # lower quartile 2 (position 1), fastest 1
        self.assertEqual((2 - 1) / 2, calibrate_device.spread([5.0, 1.0, 3.0, 2.0, 4.0]))

    def test_slow_samples_leave_it_alone(self):
        # sorted 1, 1, 1, 1, 10, 10: the fastest quarter agree, whatever the bursts did
        self.assertEqual(0.0, calibrate_device.spread([1.0, 10.0, 1.0, 1.0, 1.0, 10.0]))

    def test_under_five_samples_have_none(self):
        self.assertTrue(math.isnan(calibrate_device.spread([2.0])))
        self.assertTrue(math.isnan(calibrate_device.spread([1.0, 10.0, 1.0, 1.0])))


class SweepModel(unittest.TestCase):
    """Per op: the empty op, plus its work at the nearest swept point's rate net of the empty op."""

    # empty op 1 us; matmul 100^3 at 1 TFLOP/s net, 1000^3 at 10 TFLOP/s net; triad of 1 kB arrays at 1 GB/s net
    MODEL = calibrate_device.SweepModel(1e-6, [((100, 100, 100), 1e-6 + 2e6 / 1e12),
                                               ((1000, 1000, 1000), 1e-6 + 2e9 / 1e13)], [(1000, 1e-6 + 3000 / 1e9)])

    def test_three_ops_by_hand(self):
        ops = [{"kind": "matmul", "mnk": (100, 100, 200), "batch": 2, "flops": 8e6},  # nearest 100^3: 8 us
               {"kind": "matmul", "mnk": (900, 1000, 1000), "batch": 1, "flops": 1.8e9},  # nearest 1000^3: 180 us
               {"kind": "memory", "bytes": 6000}]  # 6 us
        parts = self.MODEL.seconds(ops)
        self.assertAlmostEqual(8e-6 + 180e-6, parts["matmul"], delta=1e-15)
        self.assertAlmostEqual(6e-6, parts["memory"], delta=1e-15)
        self.assertAlmostEqual(3e-6, parts["overhead"], delta=1e-15)
        self.assertAlmostEqual(197e-6, parts["total"], delta=1e-15)

    def test_a_point_no_slower_than_the_empty_op_costs_only_the_op(self):
        model = calibrate_device.SweepModel(1e-5, [((8, 8, 8), 1e-6)], [(64, 2e-6)])
        parts = model.seconds([{"kind": "matmul", "mnk": (8, 8, 8), "batch": 1, "flops": 1024},
                               {"kind": "memory", "bytes": 192}])
        self.assertEqual((0.0, 0.0, 2e-5), (parts["matmul"], parts["memory"], parts["total"]))


class Budget(unittest.TestCase):

    def test_work_past_the_budget_is_skipped_and_said(self):
        budget = calibrate_device.Budget(60)
        said = io.StringIO()
        with contextlib.redirect_stderr(said):
            self.assertTrue(budget.allows("the first", 1.0))
            self.assertFalse(budget.allows("the matmul sweep", 61.0))
        self.assertEqual(["the matmul sweep"], budget.skipped)
        self.assertEqual(1, said.getvalue().count("\n"))
        self.assertIn("--budget-seconds 60: skipping the matmul sweep", said.getvalue())


class BadInput(unittest.TestCase):

    def refused(self, expected, *args):
        out = os.path.join(tempfile.mkdtemp(), "never")
        run = calibrate(*args, "--out", out)
        self.assertEqual(2, run.returncode, run.stdout + run.stderr)
        self.assertEqual("", run.stdout)
        self.assertEqual(1, run.stderr.count("\n"), run.stderr)
        self.assertTrue(run.stderr.startswith("calibrate_device: "), run.stderr)
        self.assertIn(expected, run.stderr)
        self.assertFalse(os.path.exists(out), "nothing written")

    def test_a_budget_of_zero(self):
        self.refused("argument --budget-seconds: must be a positive integer, got 0", "--prediction", prediction_file(),
                     "--budget-seconds", "0")

    def test_an_error_target_that_is_not_a_fraction(self):
        self.refused("argument --error-target: 'ten' is not a number", "--prediction", prediction_file(),
                     "--error-target", "ten")

    def test_no_prediction(self):
        self.refused("the following arguments are required: --prediction", "--quick")

    def test_predictions_of_two_policies(self):
        fp32 = prediction_file(settings={"kv_heads": 4, "tie_embeddings": False, "precision_policy": "fp32",
                                         "attention": "eager", "recompute": "none"})
        self.refused("--prediction files mix precision policies bf16, fp32", "--prediction", prediction_file(), fp32)

    def test_a_file_that_is_not_a_prediction(self):
        path = os.path.join(tempfile.mkdtemp(), "empty.json")
        with open(path, "w") as file:
            file.write("{}")
        self.refused("--prediction " + path + " is not a readable predict --format json file", "--prediction", path)

    def test_no_cuda(self):
        self.refused("--device cuda: this PyTorch", "--prediction", prediction_file(), "--device", "cuda")


if __name__ == "__main__":
    unittest.main()
