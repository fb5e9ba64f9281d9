"""prediction.py: the predict command line, the catalog row a GPU's name matches, and the keys read from
predict's JSON (these tests run the jar options.JAR names; mvn package builds it)."""

import json
import os
import subprocess
import tempfile
import unittest

import options
import prediction
from options import BadInput

SMALL = ["--vocab", "50", "--context", "12", "--layers", "3", "--d-model", "24", "--heads", "4", "--d-ff", "40"]


def predict(*argv):
    run = subprocess.run(["java", "-jar", options.JAR, "predict", *argv, "--format", "json"], capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


class CommandLine(unittest.TestCase):

    def test_options_become_flopcasts_own(self):
        args = options.parse(SMALL + ["--kv-heads", "2", "--tie-embeddings", "--recompute", "full"])
        self.assertEqual(["predict", "--format", "json", "--batch", "4", *SMALL, "--kv-heads", "2", "--tie-embeddings",
                          "--precision-policy", "fp32", "--attention", "eager", "--recompute", "full", "--framework",
                          "pytorch", "--optimizer", "for-loop"],
                         prediction.predict_args(args, 4, 1, None))

    def test_ranks_and_a_catalog_device_ask_for_their_keys(self):
        args = options.parse(["--preset", "seed-gpt2", "--sharding", "zero1"])
        command = prediction.predict_args(args, 8, 2, "h100-sxm")
        self.assertEqual(["--data-parallel", "2", "--sharding", "zero1", "--device", "h100-sxm", "--steps", "1"],
                         command[-8:])

    def test_a_missing_jar_is_one_line(self):
        with self.assertRaises(BadInput) as caught:
            prediction.flopcast("/nonexistent/flopcast.jar", ["devices"])
        self.assertIn("give --prediction FILE", str(caught.exception))

    def test_a_preset_the_probe_does_not_partition_is_refused_under_zero(self):
        args = options.parse(["--preset", "gpt2", "--context", "16", "--batch", "2", "--sharding", "zero1"])
        with self.assertRaises(BadInput) as caught:
            prediction.predictions(args, 2, None)
        self.assertIn("--preset gpt2 is for a model with bias all, norm layernorm, mlp gelu, positions 1024: under"
                      " --sharding zero1", str(caught.exception))
        args = options.parse(["--preset", "qwen3-0.6b", "--context", "16", "--batch", "1"])
        with self.assertRaises(BadInput) as caught:
            prediction.predictions(args, 1, None)
        self.assertIn("--preset qwen3-0.6b is for a model with head_dim 128: the probe does not build it",
                      str(caught.exception))

    def test_predicts_refusal_becomes_ours(self):
        with self.assertRaises(BadInput) as caught:
            prediction.flopcast(options.JAR, ["predict", "--preset", "gpt5"])
        self.assertIn("unknown preset 'gpt5'", str(caught.exception))


class Catalog(unittest.TestCase):

    def device(self, gpu, *argv):
        return prediction.catalog_device(options.parse(SMALL + list(argv)), gpu)

    def test_the_gpus_name_picks_the_row(self):
        self.assertEqual("h100-sxm", self.device("NVIDIA H100 80GB HBM3"))
        self.assertEqual("a100-40gb", self.device("NVIDIA A100-SXM4-40GB"))
        self.assertIsNone(self.device("NVIDIA H100 PCIe"), "a PCIe card has other peaks")
        self.assertIsNone(self.device("NVIDIA GeForce RTX 4090"))

    def test_the_option_wins_and_a_cpu_has_none(self):
        self.assertEqual("h200", self.device("NVIDIA H100 80GB HBM3", "--catalog-device", "h200"))
        self.assertIsNone(self.device(None, "--catalog-device", "h200"))


class Keys(unittest.TestCase):

    def test_one_rank_reads_its_peak_and_the_step_at_the_peak(self):
        p = predict(*SMALL, "--batch", "2", "--device", "h100-sxm", "--steps", "1")
        self.assertEqual(472_396, prediction.rank_peak_bytes(p))
        self.assertEqual(472_396, prediction.pytorch_peak_bytes(p))
        self.assertEqual(67e12, prediction.peak_flops_per_second(p))
        self.assertAlmostEqual(2_661_120 / 67e12, prediction.step_seconds_at_peak(p), delta=1e-22)

    def test_flash_has_no_pytorch_peak_and_no_device_no_peak(self):
        p = predict(*SMALL, "--batch", "2", "--attention", "flash")
        self.assertEqual(p["memory_bytes"]["total"], prediction.rank_peak_bytes(p))
        self.assertIsNone(prediction.pytorch_peak_bytes(p))
        self.assertIsNone(prediction.peak_flops_per_second(p))
        self.assertIsNone(prediction.step_seconds_at_peak(p))

    def test_a_prediction_file_serves_only_its_ranks(self):
        """RankPeakTest's worked example: zero1 on 2 ranks, h_kv = 2, B = 2 per rank."""
        path = os.path.join(tempfile.mkdtemp(), "prediction.json")
        with open(path, "w") as file:
            json.dump(predict(*SMALL, "--kv-heads", "2", "--batch", "4", "--data-parallel", "2", "--sharding",
                              "zero1"), file)
        args = options.parse(["--prediction", path, "--sharding", "zero1"])
        self.assertEqual(377_164, prediction.rank_peak_bytes(prediction.predictions(args, 2, None)[0]))
        with self.assertRaises(BadInput) as caught:
            prediction.predictions(args, 4, None)
        self.assertIn("is for 2 rank(s), sharding zero1; this run has 4", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
