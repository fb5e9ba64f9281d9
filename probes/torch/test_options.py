"""options.py: what parse fills in and refuses, and the run refusals, without running a model."""

import json
import os
import tempfile
import types
import unittest

import options
from options import BadInput

SMALL = ["--vocab", "50", "--context", "12", "--layers", "3", "--d-model", "24", "--heads", "4", "--d-ff", "40"]


def prediction_file(**changes):
    """A predict --format json document of the keys parse reads, for B = 2 on one device."""
    document = {"shape": {"vocab_size": 50, "context_length": 12, "num_layers": 3, "d_model": 24, "num_heads": 4,
                          "d_ff": 40, "batch_size": 2},
                "settings": {"kv_heads": 2, "tie_embeddings": True, "precision_policy": "bf16",
                             "attention": "eager", "recompute": "selective"},
                "rank_peak": {"bytes": 1, "saved_by": "pytorch"}}
    document.update(changes)
    document = {key: value for key, value in document.items() if value is not None}
    path = os.path.join(tempfile.mkdtemp(), "prediction.json")
    with open(path, "w") as file:
        json.dump(document, file)
    return path


def fake_torch(version="1.13.1", cuda=False, flash=False):
    functional = types.SimpleNamespace(**({"scaled_dot_product_attention": None} if flash else {}))
    return types.SimpleNamespace(__version__=version, cuda=types.SimpleNamespace(is_available=lambda: cuda),
                                 nn=types.SimpleNamespace(functional=functional))


class Parse(unittest.TestCase):

    def refused(self, expected, argv):
        with self.assertRaises(BadInput) as caught:
            options.parse(argv)
        self.assertIn(expected, str(caught.exception))
        self.assertNotIn("\n", str(caught.exception))

    def test_defaults_fill_the_settings(self):
        args = options.parse(SMALL)
        self.assertEqual(("fp32", "eager", "none", [1]), (args.precision_policy, args.attention, args.recompute,
                                                          args.batch))
        self.assertEqual(options.JAR, args.jar)
        self.assertIsNone(args.prediction_json)

    def test_batches_are_positive_integers(self):
        self.assertEqual([1, 2, 8], options.parse(SMALL + ["--batch", "1,2,8"]).batch)
        self.refused("'x' is not an integer", SMALL + ["--batch", "1,x"])
        self.refused("must be a positive integer, got 0", SMALL + ["--steps", "0"])

    def test_every_dimension_or_a_preset(self):
        self.refused("missing --heads, --d-ff", SMALL[:8])
        self.assertEqual("seed-gpt2", options.parse(["--preset", "seed-gpt2"]).preset)

    def test_unknown_choice(self):
        self.refused("invalid choice: 'zero4'", SMALL + ["--sharding", "zero4"])

    def test_a_prediction_supplies_shape_settings_and_batch(self):
        args = options.parse(["--prediction", prediction_file()])
        self.assertEqual((50, 12, 3, 24, 4, 40, 2), (args.vocab, args.context, args.layers, args.d_model, args.heads,
                                                      args.d_ff, args.kv_heads))
        self.assertEqual(("bf16", "eager", "selective", [2], True),
                         (args.precision_policy, args.attention, args.recompute, args.batch, args.tie_embeddings))
        self.assertIsNone(args.catalog_device)

    def test_a_data_parallel_prediction_gives_the_global_batch(self):
        args = options.parse(["--prediction", prediction_file(data_parallel={"global_batch_size": 4})])
        self.assertEqual([4], args.batch)

    def test_options_contradicting_the_prediction(self):
        path = prediction_file(training={"device": "h100-sxm"})
        self.refused("--recompute none contradicts --prediction " + path + ", which is for selective",
                     ["--prediction", path, "--recompute", "none"])
        self.refused("--batch 4 contradicts", ["--prediction", path, "--batch", "4"])
        self.refused("--catalog-device h200 contradicts", ["--prediction", path, "--catalog-device", "h200"])
        self.refused("not both", ["--prediction", path, "--preset", "seed-gpt2"])
        self.assertEqual("h100-sxm", options.parse(["--prediction", path]).catalog_device)

    def test_a_catalog_device_needs_a_prediction_with_a_peak(self):
        self.refused("has no peak to divide by", ["--prediction", prediction_file(), "--catalog-device", "h200"])

    def test_a_prediction_without_the_probes_keys(self):
        self.refused("has no rank_peak", ["--prediction", prediction_file(rank_peak=None)])
        self.refused("is not a readable predict --format json file", ["--prediction", prediction_file(shape=None)])

    def test_a_prediction_for_a_layout_it_does_not_build(self):
        settings = {"kv_heads": 2, "tie_embeddings": True, "precision_policy": "bf16", "attention": "eager",
                    "recompute": "selective", "qk_norm": "head", "head_dim": 8}
        self.refused("model with head_dim 8: the probe does not build it",
                     ["--prediction", prediction_file(settings=settings)])
        settings["qk_norm"] = "none"
        settings["lora"] = {"rank": 8, "alpha": 8.0, "targets": ["query", "value"], "base": "nf4"}
        self.refused("model with an nf4 base, head_dim 8: the probe does not build it",
                     ["--prediction", prediction_file(settings=settings)])
        settings["lora"] = None
        settings["head_dim"] = 6
        self.assertEqual(options.parse(["--prediction", prediction_file(settings=settings)]).kv_heads, 2)

    def test_gpt2s_and_gemmas_layouts_are_built_but_not_partitioned(self):
        settings = {"kv_heads": 4, "tie_embeddings": True, "precision_policy": "fp32", "attention": "eager",
                    "recompute": "none", "bias": "all", "norm": "layernorm", "mlp": "gelu", "positions": 16}
        self.assertEqual("none", options.parse(["--prediction", prediction_file(settings=settings)]).sharding)
        self.refused("model with bias all, norm layernorm, mlp gelu, positions 16: under --sharding zero1 the probe"
                     " builds the Llama layout only", ["--prediction", prediction_file(settings=settings),
                                                        "--sharding", "zero1"])
        experts = dict(settings, bias="none", norm="rmsnorm", mlp="swiglu", positions=None,
                       experts={"count": 4, "top_k": 2})
        self.refused("model with experts 4: under --sharding zero2 the probe builds the Llama layout only",
                     ["--prediction", prediction_file(settings=experts), "--sharding", "zero2"])
        geglu = dict(settings, bias="none", norm="rmsnorm", mlp="geglu", positions=None)
        self.assertEqual("geglu", options.parse(["--prediction", prediction_file(settings=geglu)]).prediction_json[
            "settings"]["mlp"])

    def test_every_option_has_help_and_shows_its_default(self):
        parser = options.parser("probe")
        shown = 0
        for action in parser._actions:
            if action.dest == "help":
                continue
            self.assertTrue(action.help, action.option_strings)
            self.assertIn("(default", parser._get_formatter()._expand_help(action), action.option_strings)
            shown += 1
        self.assertEqual(24, shown)


class Refuse(unittest.TestCase):

    def refused(self, expected, argv, torch=None, ranks=1):
        with self.assertRaises(BadInput) as caught:
            options.refuse(options.parse(SMALL + argv), torch or fake_torch(), ranks)
        self.assertIn(expected, str(caught.exception))

    def test_a_plain_run_passes(self):
        options.refuse(options.parse(SMALL + ["--batch", "2,4"]), fake_torch(), 2)

    def test_each_refusal(self):
        self.refused("run it under torchrun", ["--sharding", "zero1"])
        self.refused("sees no CUDA device", ["--device", "cuda"])
        self.refused("it needs PyTorch 2", ["--attention", "flash"])
        self.refused("the probe runs this policy on one process", ["--precision-policy", "bf16-mixed-fp32-grads",
                                                                   "--batch", "2"], ranks=2)
        self.refused("the probe shards only the fp32 and bf16 runs", ["--precision-policy", "bf16-mixed",
                                                                      "--sharding", "zero1", "--batch", "2"], ranks=2)
        self.refused("gloo in PyTorch 1.13.1 cannot broadcast", ["--precision-policy", "bf16", "--batch", "2"],
                     ranks=2)
        self.refused("--batch 3 is not divisible by the 2 ranks", ["--batch", "2,3"], ranks=2)

    def test_pytorch_2_runs_what_1_13_refuses(self):
        torch = fake_torch("2.3.0", cuda=True, flash=True)
        options.refuse(options.parse(SMALL + ["--attention", "flash", "--device", "cuda"]), torch, 1)
        options.refuse(options.parse(SMALL + ["--precision-policy", "bf16", "--batch", "2"]), torch, 2)

    def test_memory(self):
        options.refuse_memory([1, 2], [100, 200], 400, 2, "this host's")
        options.refuse_memory([1], [10 ** 20], None, 1, "this host's")
        with self.assertRaises(BadInput) as caught:
            options.refuse_memory([1, 2], [100, 201], 400, 2, "this host's")
        self.assertEqual("--batch 2 needs 402 bytes by the prediction (2 x 201 per rank), more than this host's 400;"
                         " use a smaller shape or --batch", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
