"""The probe's checks, run by .ci/run: /usr/bin/python3 -m unittest discover -s probes/torch

Each run asks the jar options.JAR names for its prediction (mvn install builds it), trains one
timed step on the CPU, and must find every count equal: the bytes autograd saves against the
pytorch profile, each rank's weights, gradients and AdamW state, and each collective's payload.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import options
import probe as probe_module

HERE = os.path.dirname(os.path.abspath(__file__))
PROBE = os.path.join(HERE, "probe.py")
SMALL = ["--vocab", "50", "--context", "12", "--layers", "3", "--d-model", "24", "--heads", "4", "--d-ff", "40"]
QUICK = ["--steps", "1", "--warmup", "1"]


def probe(*args, env=None):
    return subprocess.run([sys.executable, PROBE, *args], capture_output=True, text=True, env=env)


def torchrun(ranks, *args):
    # Debian's torchrun 1.13 under Python 3.11 cannot parse its own default --redirects 0 / --tee 0
    # (enum.IntFlag no longer iterates over 0), so both are given as 1: stdout to a log and the console.
    launcher = shutil.which("torchrun")
    command = [launcher] if launcher else [sys.executable, "-m", "torch.distributed.run"]
    return subprocess.run(command + ["--standalone", "--nproc_per_node", str(ranks), "--redirects", "1", "--tee", "1",
                                     PROBE, *args], capture_output=True, text=True)


def fsdp_importable():
    run = subprocess.run([sys.executable, "-c", "import torch.distributed.fsdp"], capture_output=True)
    return run.returncode == 0


class OneProcess(unittest.TestCase):

    def run_probe(self, *settings, batches="1,2", equal_lines=5):
        out = tempfile.mkdtemp()
        run = probe(*SMALL, *settings, *QUICK, "--batch", batches, "--out", out)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertNotIn("differs", run.stdout)
        # per batch: saved bytes, weights, gradients, master weights, AdamW state
        self.assertEqual(equal_lines * len(batches.split(",")), run.stdout.count(" equal"), run.stdout)
        with open(os.path.join(out, "measurements.csv")) as file:
            rows = list(csv.DictReader(file))
        self.assertEqual(len(batches.split(",")), len(rows))
        for row in rows:
            self.assertEqual("torch-cpu", row["backend"])
            self.assertGreater(float(row["score_seconds_per_op"]), 0)
            self.assertGreater(int(row["predicted_flops"]), 0)
        return run

    def test_the_timeline_beside_pytorchs_allocations(self):
        """PyTorch's allocations phase by phase (torch.profiler's memory events) against flopcast's pytorch timeline.
        A 2,048-token vocabulary puts the peak at the loss's backward. Where the model is exact the two agree to
        1 KiB, what the profiler's phase marks allocate for their names and the step's few scalars (the loss, its
        divisor); the optimizer's phase also holds AdamW's step counters, one scalar a tensor (4 KiB here). The
        blocks' forward holds a transient row or two more than the kept set (1%); a backward phase holds its
        block's rows, its new gradients and the gradients of activations together, so the timeline is its
        upper bound."""
        out = tempfile.mkdtemp()
        shape = ["--vocab", "2048", "--context", "64", "--layers", "2", "--d-model", "64", "--heads", "4", "--d-ff",
                 "128"]
        run = probe(*shape, *QUICK, "--batch", "2", "--timeline", "--out", out)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        rows = {}
        for line in run.stdout.splitlines():
            parts = line.split()
            if "predicted" in parts and "ratio" in parts:
                name = " ".join(parts[:parts.index("predicted")])
                rows[name] = (int(parts[parts.index("predicted") + 1].replace(",", "")),
                              int(parts[parts.index("measured") + 1].replace(",", "")))
        phases = ["forward: embedding", "forward: block 0", "forward: block 1", "forward: head", "backward: head",
                  "backward: block 1", "backward: block 0", "backward: embedding", "optimizer"]
        self.assertEqual(phases, [name for name in rows if name in phases], run.stdout)
        for name in ("forward: head", "backward: head"):
            predicted, measured = rows[name]
            self.assertLessEqual(abs(measured - predicted), 1024, name + "\n" + run.stdout)
        predicted, measured = rows["optimizer"]
        self.assertLessEqual(abs(measured - predicted), 4096, run.stdout)
        for name in ("forward: embedding", "forward: block 0", "forward: block 1"):
            predicted, measured = rows[name]
            self.assertLessEqual(abs(measured - predicted), 0.01 * predicted, name + "\n" + run.stdout)
        for name in ("backward: block 1", "backward: block 0", "backward: embedding"):
            predicted, measured = rows[name]
            self.assertLessEqual(measured, predicted, name + "\n" + run.stdout)
        raw = [name for name in os.listdir(out) if name.startswith("probe-")]
        with open(os.path.join(out, raw[0])) as file:
            recorded = json.load(file)["batches"][0]["timeline"]
        self.assertEqual("pytorch", recorded["framework"])
        self.assertEqual(phases, [phase["phase"] for phase in recorded["phases"]])
        self.assertEqual(rows["backward: head"], (recorded["phases"][4]["predicted_bytes"],
                                                  recorded["phases"][4]["measured_bytes"]))
        self.assertIn("at backward: head, measured", run.stdout)
        self.assertTrue(run.stdout.split("at backward: head, measured")[1].split("\n")[0].endswith("backward: head"),
                        run.stdout)

    def test_fp32_eager(self):
        self.run_probe()

    def test_gqa_tied_bf16(self):
        self.run_probe("--kv-heads", "2", "--tie-embeddings", "--precision-policy", "bf16")

    def test_bf16_mixed_masters(self):
        run = self.run_probe("--precision-policy", "bf16-mixed", "--tie-embeddings", batches="2", equal_lines=5)
        self.assertIn("master_weights_bytes", run.stdout)

    def test_bf16_mixed_fp32_gradients(self):
        self.run_probe("--precision-policy", "bf16-mixed-fp32-grads", "--recompute", "full", batches="2")

    def test_selective_recomputation(self):
        self.run_probe("--recompute", "selective", "--kv-heads", "1")

    def test_full_recomputation(self):
        self.run_probe("--recompute", "full", "--tie-embeddings", batches="3")

    def run_prediction(self, *predict_args):
        out = tempfile.mkdtemp()
        run = probe("--prediction", saved_prediction(*SMALL, "--batch", "2", *predict_args), *QUICK, "--out", out)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertNotIn("differs", run.stdout)
        self.assertEqual(5, run.stdout.count(" equal"), run.stdout)

    def test_gpt2s_layout(self):
        # LayerNorm, a bias on every projection, learned positions, GELU's two matrices, tied: autograd's saves
        # (layer_norm's input, mean and 1 / std; gelu's input; the positions' indices) and the state, equal
        self.run_prediction("--bias", "all", "--norm", "layernorm", "--positions", "16", "--mlp", "gelu",
                            "--tie-embeddings")
        self.run_prediction("--bias", "all", "--norm", "layernorm", "--positions", "12", "--mlp", "gelu",
                            "--precision-policy", "bf16-mixed", "--recompute", "selective")

    def test_a_sliding_window_shorter_than_the_context(self):
        # eager attention masks the keys more than w - 1 back: the same T x T mask saved, the state equal
        self.run_prediction("--sliding-window", "5", "--kv-heads", "2")
        self.run_prediction("--sliding-window", "3", "--recompute", "selective", "--precision-policy", "bf16-mixed")
        # on the local layers only, every second layer global (Gemma 2's pattern)
        self.run_prediction("--sliding-window", "4", "--window-pattern", "2", "--attention-softcap", "2")

    def test_lora_on_the_frozen_model(self):
        # a frozen matmul saves no input and a frozen gain no normalized rows; block 0 (its input the frozen
        # embedding's) saves only what its adapters need; the adapters' gradients, masters and AdamW state alone
        self.run_prediction("--lora-rank", "2")
        self.run_prediction("--lora-rank", "3", "--lora-targets", "key,output,w2", "--kv-heads", "2",
                            "--precision-policy", "bf16-mixed", "--tie-embeddings")
        self.run_prediction("--lora-rank", "2", "--lora-targets", "w1", "--recompute", "selective")
        self.run_prediction("--lora-rank", "2", "--lora-targets", "all", "--recompute", "full", "--precision-policy",
                            "bf16")
        self.run_prediction("--lora-rank", "2", "--lora-targets", "query,w1,w2", "--bias", "all", "--norm",
                            "layernorm", "--positions", "16", "--mlp", "gelu", "--tie-embeddings")
        self.run_prediction("--lora-rank", "2", "--lora-targets", "value,w3", "--mlp", "geglu")

    def test_a_mixture_of_experts(self):
        # transformers' MixtralSparseMoeBlock: the float32 softmax, topk's indices, the top k and their sum, each
        # expert's torch.where pairs, gathered rows, MLP rows, output, gate and index_add_ source; under bf16 the
        # router's rows stay float32; experts without a token save empty tensors; the state of every expert equal
        self.run_prediction("--experts", "4", "--top-k", "2")
        self.run_prediction("--experts", "3", "--top-k", "1", "--precision-policy", "bf16-mixed", "--recompute",
                            "selective", "--kv-heads", "2")
        self.run_prediction("--experts", "5", "--top-k", "5", "--mlp", "gelu", "--tie-embeddings", "--recompute",
                            "full")
        self.run_prediction("--experts", "6", "--top-k", "2", "--mlp", "geglu", "--norm", "layernorm", "--bias", "qkv",
                            "--positions", "16", "--precision-policy", "bf16")
        out = tempfile.mkdtemp()
        lonely = saved_prediction("--vocab", "50", "--context", "2", "--layers", "2", "--d-model", "24", "--heads", "4",
                                  "--d-ff", "40", "--batch", "1", "--experts", "8", "--top-k", "2")
        run = probe("--prediction", lonely, *QUICK, "--out", out)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertEqual(5, run.stdout.count(" equal"), run.stdout)

    def test_qwen2_moes_gates_and_shared_expert(self):
        # unnormalized gates (no division by the top k's sum: neither saved), a shared expert (its MLP's rows at
        # its width, its sigmoid gate's result and its output saved by their mul), both with Q/K/V biases in
        # bf16-mixed (the gate in the model's type), and the MLP frozen beside them: the saved bytes and the state
        # equal
        for layout in (("--top-k", "2", "--expert-gates", "unnormalized"),
                       ("--top-k", "2", "--shared-expert-ffn", "24"),
                       ("--top-k", "2", "--expert-gates", "unnormalized", "--shared-expert-ffn", "16", "--bias", "qkv",
                        "--precision-policy", "bf16-mixed"),
                       ("--top-k", "2", "--shared-expert-ffn", "20", "--freeze", "mlp", "--mlp", "gelu"),
                       ("--top-k", "1", "--shared-expert-ffn", "12", "--freeze", "mlp", "--mlp", "geglu",
                        "--precision-policy", "bf16-mixed")):
            self.run_prediction("--experts", "4", *layout)

    def test_dense_layers_among_experts(self):
        # a dense MLP of its own width in some layers, the experts in the rest: each block saves its own kind's
        # rows (the router's and the experts' in the sparse ones), with a frozen range over both kinds, and in
        # bf16-mixed beside a shared expert; the saved bytes and the state equal
        self.run_prediction("--experts", "4", "--top-k", "2", "--dense-layers", "0", "--dense-ffn", "64")
        self.run_prediction("--experts", "4", "--top-k", "2", "--dense-layers", "1", "--dense-ffn", "16",
                            "--freeze-layers", "0-1", "--freeze", "embeddings")
        self.run_prediction("--experts", "4", "--top-k", "2", "--dense-layers", "0,2", "--dense-ffn", "32",
                            "--shared-expert-ffn", "24", "--precision-policy", "bf16-mixed")

    def test_fine_tuning_a_mixture_of_experts(self):
        # LoRA on the attention beside experts (the gathered rows and the FFN norm's output no longer saved: only
        # the frozen experts' and router's weight gradients read them), on every projection (each expert's w1, w3
        # and w2 an adapter of its own, its scale saved once an expert), on W2 alone in bf16-mixed (block 0's
        # router and gates need no gradient), and a frozen MLP; the saved bytes and the state equal
        self.run_prediction("--experts", "4", "--top-k", "2", "--lora-rank", "4", "--lora-targets", "query,value")
        self.run_prediction("--experts", "4", "--top-k", "2", "--lora-rank", "2", "--lora-targets", "all")
        self.run_prediction("--experts", "4", "--top-k", "2", "--lora-rank", "3", "--lora-targets", "w2",
                            "--precision-policy", "bf16-mixed")
        self.run_prediction("--experts", "4", "--top-k", "2", "--freeze", "mlp")
        self.run_prediction("--experts", "3", "--top-k", "1", "--freeze", "embeddings,attention,norms,mlp")

    def test_frozen_blocks(self):
        # a range of blocks that train nothing: below the first block that trains, with the embeddings frozen,
        # autograd builds no graph and saves nothing; a frozen block above a training one saves its inputs'
        # gradients' operands; with the attention frozen by kind too, in bf16-mixed; the state equal
        self.run_prediction("--freeze-layers", "0", "--freeze", "embeddings")
        self.run_prediction("--freeze-layers", "1", "--recompute", "selective")
        self.run_prediction("--freeze-layers", "0-1", "--freeze", "embeddings,attention",
                            "--precision-policy", "bf16-mixed")

    def test_frozen_kinds(self):
        # block 0's input needs no gradient where the embeddings are frozen; LayerNorm saves where its gain trains
        self.run_prediction("--freeze", "embeddings")
        self.run_prediction("--freeze", "attention,norms", "--kv-heads", "2", "--precision-policy", "bf16-mixed")
        self.run_prediction("--freeze", "embeddings,mlp,head", "--tie-embeddings", "--recompute", "selective")
        self.run_prediction("--freeze", "embeddings,attention,mlp,head", "--recompute", "full")
        self.run_prediction("--freeze", "embeddings,attention,mlp", "--norm", "layernorm", "--bias", "all",
                            "--positions", "16", "--mlp", "gelu")
        self.run_prediction("--freeze", "embeddings,norms,mlp", "--mlp", "geglu", "--precision-policy", "bf16")

    def test_soft_capped_scores_and_logits(self):
        # Gemma 2's caps: tanh's result and the cap twice as a float64 scalar (div, mul) saved for the scores of
        # each layer and for the logits; under selective recomputation the scores' go with the core; LoRA and
        # frozen kinds save them where the scores need a gradient
        self.run_prediction("--attention-softcap", "2", "--logit-softcap", "3")
        self.run_prediction("--attention-softcap", "2", "--recompute", "selective", "--precision-policy", "bf16-mixed",
                            "--kv-heads", "2")
        self.run_prediction("--logit-softcap", "3", "--lora-rank", "2", "--tie-embeddings")
        self.run_prediction("--attention-softcap", "1", "--freeze", "embeddings,attention")
        self.run_prediction("--logit-softcap", "3", "--attention-softcap", "2", "--precision-policy", "bf16",
                            "--norm-placement", "sandwich")

    def test_norms_after_each_sublayer_and_qk_norm(self):
        # OLMo 2's norms after each sublayer and QK-norm over each projection; Gemma 2's sandwich with QK-norm
        # per head and soft-caps; each norm's input, square, rsqrt and normalized rows, the residual stream saved
        # by the matmuls where no norm precedes them, and none of it where nothing upstream needs a gradient
        self.run_prediction("--norm-placement", "post", "--qk-norm", "projection")
        self.run_prediction("--norm-placement", "sandwich", "--qk-norm", "--kv-heads", "2", "--mlp", "geglu",
                            "--tie-embeddings", "--attention-softcap", "2", "--logit-softcap", "3")
        self.run_prediction("--norm-placement", "post", "--recompute", "selective", "--precision-policy", "bf16-mixed")
        self.run_prediction("--norm-placement", "post", "--lora-rank", "2", "--lora-targets", "output,w2")
        self.run_prediction("--norm-placement", "sandwich", "--qk-norm", "projection", "--freeze", "embeddings,norms")
        self.run_prediction("--norm-placement", "post", "--experts", "4", "--top-k", "2", "--recompute", "full")

    def test_gemmas_mlp_and_qwen2s_biases(self):
        self.run_prediction("--mlp", "geglu", "--kv-heads", "1", "--tie-embeddings", "--recompute", "full")
        self.run_prediction("--bias", "qkv", "--kv-heads", "2", "--precision-policy", "bf16")


def saved_prediction(*args):
    """A predict --format json file, as one made where Java is installed."""
    run = subprocess.run(["java", "-jar", options.JAR, "predict", *args, "--format", "json"], capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    path = os.path.join(tempfile.mkdtemp(), "prediction.json")
    with open(path, "w") as file:
        file.write(run.stdout)
    return path


class WithoutJava(unittest.TestCase):

    def test_a_saved_prediction_gives_shape_settings_and_batch(self):
        path = saved_prediction(*SMALL, "--batch", "2", "--precision-policy", "bf16", "--kv-heads", "2")
        out = tempfile.mkdtemp()
        run = probe("--prediction", path, "--jar", os.path.join(out, "no.jar"), *QUICK, "--out", out)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertIn("B=2, bf16", run.stdout)
        self.assertEqual(5, run.stdout.count(" equal"), run.stdout)


class BadInput(unittest.TestCase):

    def refused(self, expected, *args, env=None):
        out = os.path.join(tempfile.mkdtemp(), "never")
        run = probe(*args, "--out", out, env=env)
        self.assertEqual(2, run.returncode, run.stdout + run.stderr)
        self.assertEqual("", run.stdout)
        self.assertEqual(1, run.stderr.count("\n"), run.stderr)
        self.assertTrue(run.stderr.startswith("probe: "), run.stderr)
        self.assertIn(expected, run.stderr)
        self.assertFalse(os.path.exists(out), "nothing written")

    def test_a_timeline_of_lora(self):
        path = saved_prediction(*SMALL, "--batch", "2", "--lora-rank", "4")
        self.refused("--timeline: LoRA or frozen parameters leave the embedding's backward unmarked", "--prediction",
                     path, "--timeline")

    def test_a_timeline_under_recomputation(self):
        self.refused("--timeline: a checkpoint runs its blocks' forward again in backward", *SMALL, "--recompute",
                     "full", "--timeline")

    def test_unknown_preset(self):
        self.refused("unknown preset 'gpt5'", "--preset", "gpt5")

    def test_shape_beyond_memory(self):
        self.refused("bytes by the prediction", "--preset", "llama3-8b")

    def test_no_cuda(self):
        self.refused("--device cuda", *SMALL, "--device", "cuda")

    def test_ranks_not_dividing_batch(self):
        env = dict(os.environ, WORLD_SIZE="2", RANK="0")
        self.refused("--batch 3 is not divisible by the 2 ranks", *SMALL, "--batch", "3", env=env)

    def test_missing_dimension(self):
        self.refused("missing --d-ff", *SMALL[:-2])

    def test_fp32_gradients_on_ranks(self):
        env = dict(os.environ, WORLD_SIZE="2", RANK="0")
        self.refused("the probe runs this policy on one process", *SMALL, "--batch", "2", "--precision-policy",
                     "bf16-mixed-fp32-grads", env=env)

    def test_option_contradicting_the_prediction(self):
        path = saved_prediction(*SMALL, "--batch", "2")
        self.refused("--precision-policy bf16 contradicts --prediction", "--prediction", path, "--precision-policy",
                     "bf16")
        self.refused("--batch 4 contradicts --prediction", "--prediction", path, "--batch", "4")
        env = dict(os.environ, WORLD_SIZE="2", RANK="0")
        self.refused("is for 1 rank(s), sharding none; this run has 2", "--prediction", path, env=env)

    def test_sharding_needs_ranks(self):
        self.refused("run it under torchrun", *SMALL, "--sharding", "zero1")

    @unittest.skipIf(fsdp_importable(), "this PyTorch has FSDP")
    def test_fsdp_needs_pytorch_2(self):
        env = dict(os.environ, WORLD_SIZE="2", RANK="0")
        self.refused("it needs PyTorch 2", *SMALL, "--sharding", "zero3", env=env)


class Rows(unittest.TestCase):
    """A row's MFU and validity read the prediction's step at the peak: MFU = it / the median step."""

    PREDICTION = {"shape": {"vocab_size": 50, "context_length": 12, "num_layers": 3, "d_model": 24, "num_heads": 4,
                            "d_ff": 40, "batch_size": 2}, "parameters": 18120,
                  "settings": {"attention": "flash", "recompute": "selective", "precision_policy": "bf16-mixed"},
                  "flops": {"step": 2000, "elementwise": 30, "optimizer": 40},
                  "rank_peak": {"bytes": 472396, "saved_by": "pytorch"},
                  "training": {"device": "h100-sxm", "peak_flops_per_second": 1000.0, "step_seconds_at_peak": 2.0}}

    def row(self, seconds, catalog="h100-sxm"):
        result = {"seconds": seconds, "threads": 1, "peak_allocated_bytes": None}
        return probe_module.row(self.PREDICTION, result, "torch-test", "torch-cuda", ("NVIDIA H100 80GB HBM3", catalog),
                                {"host_cores": 2})

    def test_mfu_is_the_step_at_the_peak_over_the_median(self):
        row = self.row([4.0, 8.0, 5.0])
        self.assertEqual(list(probe_module.COLUMNS), list(row))
        self.assertEqual(("0.4", "true", "ok"), (row["mfu"], row["valid"], row["status"]))
        self.assertEqual(("5.0", "400.0", "1000.0"), (row["score_seconds_per_op"], row["achieved_flops_per_second"],
                                                      row["peak_flops_per_second_nominal"]))
        self.assertEqual(472396, row["predicted_heap_bytes"])
        self.assertEqual("NVIDIA H100 80GB HBM3", row["host_cpu"])

    def test_the_lower_quartile_spread_and_settings_ride_along(self):
        row = self.row([5.0, 3.0, 4.0, 6.0, 7.0])
        # lower quartile 4 (position 1 of 0..4), fastest 3: the fastest quarter lie 1/4 apart; the score stays the median
        self.assertEqual((5, "4.0", repr(0.25), "5.0"), (row["samples"], row["lower_quartile_seconds_per_op"],
                                                         row["spread"], row["score_seconds_per_op"]))
        self.assertEqual(("flash", "selective", "bf16-mixed"), (row["attention"], row["recompute"],
                                                                 row["precision_policy"]))
        self.assertEqual("", self.row([5.0, 3.0, 4.0, 6.0])["spread"], "under 5 samples no spread")

    def test_a_step_faster_than_the_peak_allows_is_invalid(self):
        row = self.row([1.0])
        self.assertEqual(("2.0", "false", "mfu_out_of_range (2.0)"), (row["mfu"], row["valid"], row["status"]))
        self.assertEqual(("1.0", "true"), (self.row([2.0])["mfu"], self.row([2.0])["valid"]))

    def test_no_catalog_device_no_mfu(self):
        row = self.row([1.0], catalog=None)
        self.assertEqual(("", "", "true", "ok"), (row["mfu"], row["peak_flops_per_second_nominal"], row["valid"],
                                                  row["status"]))


class TwoRanks(unittest.TestCase):

    def check(self, sharding, *settings):
        run = torchrun(2, *SMALL, *settings, *QUICK, "--batch", "4", "--sharding", sharding, "--out",
                       tempfile.mkdtemp())
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertNotIn("differs", run.stdout)
        # per rank: weights, gradients, master weights, AdamW state and two collectives; the saved bytes once
        self.assertEqual(2 * 6 + 1, run.stdout.count(" equal"), run.stdout)

    def test_ddp(self):
        self.check("none")

    def test_zero1(self):
        self.check("zero1", "--kv-heads", "2", "--tie-embeddings")

    @unittest.skipUnless(fsdp_importable(), "FSDP does not import here (PyTorch 1.13 under Python 3.11)")
    def test_zero2_and_zero3(self):
        self.check("zero2")
        self.check("zero3")


if __name__ == "__main__":
    unittest.main()
