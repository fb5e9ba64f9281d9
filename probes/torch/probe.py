#!/usr/bin/env python3
"""flopcast's PyTorch probe: the complete accounting's model trained with torch.optim.AdamW, timed,
and checked against flopcast's prediction.

One process:  python3 probes/torch/probe.py --preset gpt2-small --batch 1,2 --device cpu
Ranks:        torchrun --nproc-per-node 2 probes/torch/probe.py --sharding zero1 ...

It writes OUT/measurements.csv (rows in results/README.md's schema, one per batch) and
OUT/probe-RUN.json (raw step times, what autograd saved, each rank's state and traffic against the
prediction). Predictions come from ``java -jar cli/target/flopcast.jar predict ... --format
json``, or from --prediction FILE where no Java is installed; the probe restates no formula. Bad
input is one line on stderr, exit 2, nothing written.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

# MeasurementsSchema.COLUMNS, in order; MeasurementsSchemaTest checks this list against the Java one.
COLUMNS = [
    "run_id", "benchmark", "component", "pass", "backend", "vocab_size", "context_length", "num_layers",
    "d_model", "num_heads", "d_ff", "batch_size", "parameters", "threads", "predicted_flops",
    "elementwise_flops", "optimizer_flops", "predicted_bytes", "score_seconds_per_op", "score_error_seconds",
    "achieved_flops_per_second", "achieved_bytes_per_second", "peak_flops_per_second_nominal",
    "peak_flops_per_second_measured", "bandwidth_bytes_per_second_measured", "mfu", "valid", "status",
    "predicted_heap_bytes", "measured_heap_bytes", "allocated_bytes_per_op", "host_cpu", "host_cores", "jvm",
    "git_commit", "utc_time",
]

SHAPE_OPTIONS = [("vocab", "--vocab"), ("context", "--context"), ("layers", "--layers"),
                 ("d_model", "--d-model"), ("heads", "--heads"), ("d_ff", "--d-ff"), ("kv_heads", "--kv-heads")]
POLICIES = ["fp32", "bf16-mixed", "bf16-mixed-fp32-grads", "bf16"]
SHARDINGS = ["none", "zero1", "zero2", "zero3"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class BadInput(Exception):
    """One line for the person: what was given and what is allowed."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise BadInput(message)


def parse(argv):
    parser = Parser(prog="probe.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset")
    for name, option in SHAPE_OPTIONS:
        parser.add_argument(option, dest=name, type=positive)
    parser.add_argument("--tie-embeddings", action="store_true")
    parser.add_argument("--precision-policy", choices=POLICIES, help="default fp32")
    parser.add_argument("--attention", choices=["eager", "flash"], help="default eager")
    parser.add_argument("--recompute", choices=["none", "selective", "full"], help="default none")
    parser.add_argument("--batch", type=batches,
                        help="global batch sizes, comma separated: one row each (ranks split each); default 1")
    parser.add_argument("--steps", type=positive, default=5, help="timed steps per batch (default 5)")
    parser.add_argument("--warmup", type=positive, default=2, help="untimed steps first (default 2)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--catalog-device",
                        help="the flopcast device whose peak MFU divides by (default: matched by the GPU's name)")
    parser.add_argument("--sharding", default="none", choices=SHARDINGS)
    parser.add_argument("--out", default=os.path.join(ROOT, "results", "torch"))
    parser.add_argument("--append", action="store_true",
                        help="keep the rows OUT/measurements.csv already holds (same header) and add this run's")
    parser.add_argument("--prediction", help="a predict --format json file, where no Java is installed")
    parser.add_argument("--jar", default=os.path.join(ROOT, "cli", "target", "flopcast.jar"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    given = [option for name, option in SHAPE_OPTIONS if getattr(args, name) is not None and name != "kv_heads"]
    if args.preset is None and args.prediction is None and len(given) < len(SHAPE_OPTIONS) - 1:
        missing = [option for name, option in SHAPE_OPTIONS if name != "kv_heads" and getattr(args, name) is None]
        raise BadInput("missing " + ", ".join(missing) + ": give --preset NAME or every dimension")
    args.prediction_json = None
    if args.prediction is not None:
        if args.preset is not None:
            raise BadInput("give --preset " + args.preset + " or --prediction " + args.prediction + ", not both: the"
                           " prediction holds its shape")
        settle_from_prediction(args)
    for name, default in SETTING_DEFAULTS:
        if getattr(args, name) is None:
            setattr(args, name, default)
    return args


SETTING_DEFAULTS = [("precision_policy", "fp32"), ("attention", "eager"), ("recompute", "none"), ("batch", [1])]


def settle_from_prediction(args):
    """Read --prediction FILE; every option given must agree with it, every one not given is taken from it."""
    try:
        with open(args.prediction) as file:
            prediction = json.load(file)
        shape, settings = prediction["shape"], prediction["settings"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BadInput("--prediction " + args.prediction + " is not a readable predict --format json file: "
                       + (str(error).splitlines() or [type(error).__name__])[0])
    data_parallel = prediction.get("data_parallel")
    known = {"precision_policy": settings["precision_policy"], "attention": settings["attention"],
             "recompute": settings["recompute"],
             "batch": [data_parallel["global_batch_size"] if data_parallel else shape["batch_size"]],
             "kv_heads": settings["kv_heads"], "vocab": shape["vocab_size"], "context": shape["context_length"],
             "layers": shape["num_layers"], "d_model": shape["d_model"], "heads": shape["num_heads"],
             "d_ff": shape["d_ff"]}
    for name, value in known.items():
        given = getattr(args, name)
        if given is not None and given != value:
            shown = ",".join(map(str, given)) if isinstance(given, list) else given
            raise BadInput("--" + name.replace("_", "-") + " " + str(shown) + " contradicts --prediction "
                           + args.prediction + ", which is for " + (str(value[0]) if isinstance(value, list) else
                                                                   str(value)))
        setattr(args, name, value)
    if args.tie_embeddings and not settings["tie_embeddings"]:
        raise BadInput("--tie-embeddings contradicts --prediction " + args.prediction + ", whose LM head is untied")
    args.tie_embeddings = settings["tie_embeddings"]
    args.prediction_json = prediction


def positive(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("'" + text + "' is not an integer; a positive integer is allowed")
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive integer, got " + text)
    return value


def batches(text):
    return [positive(part) for part in text.split(",")]


def predict_args(args, batch, ranks):
    """The predict command line for this batch, in flopcast's own option names."""
    command = ["predict", "--format", "json", "--batch", str(batch)]
    if args.preset:
        command += ["--preset", args.preset]
    for name, option in SHAPE_OPTIONS:
        if getattr(args, name) is not None:
            command += [option, str(getattr(args, name))]
    if args.tie_embeddings:
        command.append("--tie-embeddings")
    command += ["--precision-policy", args.precision_policy, "--attention", args.attention,
                "--recompute", args.recompute]
    if ranks > 1 or args.sharding != "none":
        command += ["--data-parallel", str(ranks), "--sharding", args.sharding]
    return command


def prediction_for(args, batch, ranks):
    if args.prediction_json is not None:
        data_parallel = args.prediction_json.get("data_parallel")
        predicted_ranks = data_parallel["ranks"] if data_parallel else 1
        predicted_sharding = data_parallel["sharding"] if data_parallel else "none"
        if (predicted_ranks, predicted_sharding) != (ranks, args.sharding):
            raise BadInput("--prediction " + args.prediction + " is for " + str(predicted_ranks) + " rank(s), sharding "
                           + predicted_sharding + "; this run has " + str(ranks) + ", sharding " + args.sharding
                           + " (predict --data-parallel N --sharding MODE makes one)")
        return args.prediction_json
    if not os.path.exists(args.jar):
        raise BadInput("no " + args.jar + ": build it with mvn install, or give --prediction FILE")
    run = subprocess.run(["java", "-jar", args.jar] + predict_args(args, batch, ranks), capture_output=True,
                         text=True)
    if run.returncode != 0:
        raise BadInput((run.stderr.strip().splitlines() or ["predict failed"])[0].replace("flopcast: ", ""))
    return json.loads(run.stdout)


def fsdp_importable():
    try:
        import torch.distributed.fsdp  # noqa: F401
        return None
    except Exception as error:  # PyTorch 1.13 under Python 3.11 fails in a dataclass of torch.distributed._shard
        return type(error).__name__ + ": " + str(error).splitlines()[0]


def git_commit():
    try:
        run = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True)
        return run.stdout.strip() if run.returncode == 0 else ""
    except OSError:
        return ""


def host_cpu():
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def tensor_bytes(tensor):
    return tensor.numel() * tensor.element_size()


def storage_of(tensor):
    """The tensor's storage: untyped_storage() on PyTorch 2 (storage() warns there), storage() on 1.13."""
    return tensor.untyped_storage() if hasattr(tensor, "untyped_storage") else tensor.storage()


class SavedTensors:
    """What autograd saves for backward in one forward pass, de-duplicated by storage, parameters apart."""

    def __init__(self, torch, parameters):
        self.torch = torch
        self.parameter_storages = {storage_of(p).data_ptr() for p in parameters}
        self.storages = {}
        self.parameter_hits = 0

    def pack(self, tensor):
        storage = storage_of(tensor)
        key = storage.data_ptr()
        if key in self.parameter_storages:
            self.parameter_hits += 1
        else:
            self.storages[key] = storage.nbytes()
        return tensor

    @staticmethod
    def unpack(tensor):
        return tensor

    def bytes(self):
        return sum(self.storages.values())


def main(argv):
    args = parse(argv)
    try:
        import torch
    except ImportError:
        raise BadInput(sys.executable + " has no torch: on Debian, apt-get install python3-torch and run"
                       " /usr/bin/python3; elsewhere, pip install torch")
    import torch.distributed as dist
    from model import Transformer

    ranks = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if ranks == 1 and args.sharding != "none":
        raise BadInput("--sharding " + args.sharding + " shards across ranks: run it under torchrun --nproc_per_node N"
                       " (WORLD_SIZE is 1 here)")
    if args.sharding in ("zero2", "zero3"):
        reason = fsdp_importable()
        if reason is not None:
            raise BadInput("--sharding " + args.sharding + " runs FSDP, which PyTorch " + torch.__version__
                           + " cannot import here (" + reason + "); it needs PyTorch 2")
    if args.device == "cuda" and not torch.cuda.is_available():
        raise BadInput("--device cuda: this PyTorch " + torch.__version__ + " sees no CUDA device; --device cpu runs"
                       " on the CPU")
    if args.attention == "flash" and not hasattr(torch.nn.functional, "scaled_dot_product_attention"):
        raise BadInput("--attention flash runs scaled_dot_product_attention, which PyTorch " + torch.__version__
                       + " lacks; it needs PyTorch 2")
    if args.precision_policy == "bf16-mixed-fp32-grads" and ranks > 1:
        raise BadInput("--precision-policy bf16-mixed-fp32-grads on " + str(ranks) + " ranks: DDP would all-reduce the"
                       " bfloat16 gradients before they reach the float32 buffers; the probe runs this policy on one"
                       " process")
    if args.precision_policy.startswith("bf16-mixed") and args.sharding in ("zero1", "zero2", "zero3"):
        raise BadInput("--precision-policy " + args.precision_policy + " with --sharding " + args.sharding + ": the probe shards only the"
                       " fp32 and bf16 runs (its fp32 masters sit beside the sharded optimizer, not in it)")
    if ranks > 1 and args.device == "cpu" and args.precision_policy != "fp32" \
            and int(torch.__version__.split(".")[0]) < 2:
        raise BadInput("--precision-policy bf16 on " + str(ranks) + " CPU ranks: gloo in PyTorch " + torch.__version__
                       + " cannot broadcast or all-reduce bfloat16; run fp32 here, or bf16 on CUDA (nccl)")
    for batch in args.batch:
        if batch % ranks != 0:
            raise BadInput("--batch " + str(batch) + " is not divisible by the " + str(ranks)
                           + " ranks: each rank runs B / N sequences")
    predictions = [prediction_for(args, batch, ranks) for batch in args.batch]
    kept = kept_rows(args) if rank == 0 else []
    device = torch.device(args.device)
    if args.device == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
        # one rank per GPU
        capacity, sharing, where = torch.cuda.get_device_properties(device).total_memory, 1, "this GPU's"
    else:
        # every rank on this host
        capacity, sharing, where = host_memory(), ranks, "this host's"
    for batch, prediction in zip(args.batch, predictions):
        need = needed_bytes(prediction) * sharing
        if capacity is not None and need > capacity:
            raise BadInput("--batch " + str(batch) + " needs " + format(need, ",") + " bytes by the prediction ("
                           + str(sharing) + " x " + format(need // sharing, ",") + " per rank), more than " + where
                           + " " + format(capacity, ",") + "; use a smaller shape or --batch")
    peak = catalog_peak(args, torch, device, predictions[0])
    if ranks > 1:
        dist.init_process_group("nccl" if args.device == "cuda" else "gloo")

    run_id = datetime.datetime.now(datetime.timezone.utc).strftime("torch-%Y%m%dT%H%M%SZ")
    results = [run_batch(args, torch, dist, Transformer, prediction, device, ranks, rank) for prediction in predictions]
    if ranks > 1:
        gathered = [None] * ranks
        dist.all_gather_object(gathered, [r["rank_state"] for r in results])
        for index, result in enumerate(results):
            result["ranks"] = [states[index] for states in gathered]
        dist.destroy_process_group()
    if rank != 0:
        return 0
    ok = True
    for prediction, result in zip(predictions, results):
        ok &= report(prediction, result, ranks, args)
    write(args, run_id, predictions, results, peak, torch, kept)
    return 0 if ok else 1


def state_bytes(prediction):
    """One device's weights, gradients, master weights and AdamW state, or the heaviest rank's with its gathers."""
    memory = prediction["memory_bytes"]
    data_parallel = prediction.get("data_parallel")
    if data_parallel is None:
        return memory["parameters"] + memory["gradients"] + memory["master_weights"] + memory["optimizer_state"]
    return max(rank["state_bytes"] + rank["gathered_bytes"] for rank in data_parallel["per_rank"])


def per_rank_total(prediction):
    """The complete accounting's bytes for one rank: its total with the state replaced by the rank's."""
    memory = prediction["memory_bytes"]
    one_device = memory["parameters"] + memory["gradients"] + memory["master_weights"] + memory["optimizer_state"]
    return memory["total"] - one_device + state_bytes(prediction)


def needed_bytes(prediction):
    """One rank's predicted bytes: the PyTorch peak where a profile covers the settings, else the complete total."""
    peak = predicted_peak(prediction)
    return peak if peak is not None else per_rank_total(prediction)


def predicted_peak(prediction):
    """What PyTorch should hold at its peak: the rank's weights, gradients, master and AdamW state, what
    autograd saves (the pytorch profile), and the largest transient, taken as the complete accounting's
    backward workspace. None where no pytorch profile covers the settings."""
    profile = prediction.get("pytorch_saved")
    if profile is None:
        return None
    return state_bytes(prediction) + profile["bytes"] + prediction["memory_bytes"]["workspace"]


def host_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def catalog_peak(args, torch, device, prediction):
    """(device name, catalog name, peak FLOP/s) for a CUDA device the catalog has; the CPU has none here.

    The peak comes from `flopcast devices`, or, where no Java is installed, from a --prediction made with
    --device NAME --steps N (its training.peak_flops_per_second, at the policy's precision)."""
    if args.device != "cuda":
        return (host_cpu(), None, None)
    name = torch.cuda.get_device_name(device)
    catalog = args.catalog_device
    if catalog is None and "PCIe" not in name:
        for key, words in (("h200", "H200"), ("h100-sxm", "H100"), ("a100-80gb", "A100-SXM4-80GB"),
                           ("a100-40gb", "A100-SXM4-40GB")):
            if words in name:
                catalog = key
                break
    training = prediction.get("training") or {}
    if not os.path.exists(args.jar):
        if training.get("device") is not None and (catalog is None or training["device"] == catalog):
            return (name, training["device"], training["peak_flops_per_second"])
        return (name, catalog, None)
    if catalog is None:
        return (name, None, None)
    run = subprocess.run(["java", "-jar", args.jar, "devices", "--format", "json"], capture_output=True, text=True)
    if run.returncode != 0:
        return (name, catalog, None)
    precision = "fp32" if args.precision_policy == "fp32" else "bf16"
    for item in json.loads(run.stdout)["devices"]:
        if item.get("device") == catalog:
            return (name, catalog, item[precision + "_flops_per_second"])
    return (name, catalog, None)


def run_batch(args, torch, dist, Transformer, prediction, device, ranks, rank):
    shape, settings = prediction["shape"], prediction["settings"]
    torch.manual_seed(args.seed)
    dtype = torch.float32 if args.precision_policy == "fp32" else torch.bfloat16
    model = Transformer(shape, settings).to(device=device, dtype=dtype)
    trained = model
    patches = []
    if args.sharding in ("zero2", "zero3"):
        trained, traffic = fsdp(args, torch, dist, model, device, patches)
    elif ranks > 1:
        traffic = {"gradient_all_reduce": 0, "parameter_broadcast": 0}
        from torch.nn.parallel import DistributedDataParallel
        from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
        trained = DistributedDataParallel(model, device_ids=None if args.device == "cpu" else [device.index])

        def counting_hook(state, bucket):
            traffic["gradient_all_reduce"] += tensor_bytes(bucket.buffer())
            return default_hooks.allreduce_hook(None, bucket)

        trained.register_comm_hook(None, counting_hook)
    else:
        traffic = {}
    hyper = dict(lr=3e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    if args.sharding == "zero1":
        from torch.distributed.optim import ZeroRedundancyOptimizer
        optimizer = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=torch.optim.AdamW, **hyper)
        broadcast = dist.broadcast

        def counting_broadcast(tensor, src, *rest, **keywords):
            if src == dist.get_rank():
                traffic["parameter_broadcast"] += tensor_bytes(tensor)
            return broadcast(tensor, src, *rest, **keywords)

        patches.append(("broadcast", broadcast))
        dist.broadcast = counting_broadcast
    elif args.precision_policy.startswith("bf16-mixed"):
        optimizer = MixedAdamW(torch, trained.parameters(), args.precision_policy == "bf16-mixed-fp32-grads", **hyper)
    else:
        optimizer = torch.optim.AdamW(trained.parameters(), **hyper)

    batch = shape["batch_size"]
    generator = torch.Generator().manual_seed(args.seed * 1000 + rank)
    tokens = torch.randint(0, shape["vocab_size"], (batch, shape["context_length"]), generator=generator).to(device)
    targets = torch.randint(0, shape["vocab_size"], (batch, shape["context_length"]), generator=generator).to(device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = trained(tokens, targets)
        loss.backward()
        optimizer.step()
        return loss

    def synchronize():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    saved = SavedTensors(torch, list(trained.parameters()) + list(model.parameters()))
    with torch.autograd.graph.saved_tensors_hooks(saved.pack, saved.unpack):
        loss = trained(tokens, targets)
    del loss
    optimizer.zero_grad(set_to_none=True)
    for key in traffic:
        traffic[key] = 0
    step()
    synchronize()
    counted_traffic = dict(traffic)
    rank_state = state_of(trained if args.sharding in ("zero2", "zero3") else model, optimizer, args.sharding, rank,
                          counted_traffic)
    for _ in range(args.warmup - 1):
        step()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    seconds = []
    losses = []
    for _ in range(args.steps):
        synchronize()
        start = time.perf_counter()
        loss = step()
        synchronize()
        seconds.append(time.perf_counter() - start)
        losses.append(float(loss))
    for name, original in patches:
        setattr(dist, name, original)
    peak_allocated = torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None
    return {"seconds": seconds, "losses": losses, "saved_bytes": saved.bytes(),
            "saved_parameter_uses": saved.parameter_hits, "peak_allocated_bytes": peak_allocated,
            "rank_state": rank_state, "torch": torch.__version__, "threads": torch.get_num_threads() if device.type == "cpu" else 1}


def fsdp(args, torch, dist, model, device, patches):
    """FSDP with one unit per block and the root unit (analytic's units); its gathers and reduce-scatters counted.

    Written for PyTorch 2 (FSDP does not import under Debian's 1.13), and not run where this was written: on
    a PyTorch 2 machine the per-rank lines say whether its shards and payloads match the prediction."""
    import functools
    from torch.distributed.fsdp import FullyShardedDataParallel, ShardingStrategy
    from torch.distributed.fsdp.wrap import lambda_auto_wrap_policy
    from model import Block
    strategy = ShardingStrategy.SHARD_GRAD_OP if args.sharding == "zero2" else ShardingStrategy.FULL_SHARD
    policy = functools.partial(lambda_auto_wrap_policy, lambda_fn=lambda module: isinstance(module, Block))
    trained = FullyShardedDataParallel(model, sharding_strategy=strategy, auto_wrap_policy=policy,
                                       device_id=device if device.type == "cuda" else None)
    traffic = {"parameter_all_gather": 0, "gradient_reduce_scatter": 0}
    for name, key, payload in (("all_gather_into_tensor", "parameter_all_gather", 1),
                               ("_all_gather_base", "parameter_all_gather", 1),
                               ("reduce_scatter_tensor", "gradient_reduce_scatter", 0),
                               ("_reduce_scatter_base", "gradient_reduce_scatter", 0)):
        original = getattr(dist, name, None)
        if original is None:
            continue

        def counting(output, input, *rest, _original=original, _key=key, _payload=payload, **keywords):
            # what this rank hands over: its shard (the gather's input, the reduce-scatter's output)
            traffic[_key] += tensor_bytes(input if _payload else output)
            return _original(output, input, *rest, **keywords)

        patches.append((name, original))
        setattr(dist, name, counting)
    return trained, traffic


class MixedAdamW:
    """The mixed policies as flopcast counts them: bfloat16 weights, a float32 master of each weight that
    torch.optim.AdamW updates (its m and v float32), the weights rounded from the masters after each step.
    bf16-mixed keeps bfloat16 gradients and makes each master's float32 gradient for the step only;
    bf16-mixed-fp32-grads (Megatron's main_grad) moves each gradient into a float32 buffer right after
    backward and keeps that one, dropping the bfloat16 gradient."""

    def __init__(self, torch, parameters, fp32_gradients, **hyper):
        self.torch = torch
        self.parameters = list(parameters)
        self.fp32_gradients = fp32_gradients
        self.masters = [p.detach().float() for p in self.parameters]
        self.optimizer = torch.optim.AdamW(self.masters, **hyper)
        self.state = self.optimizer.state

    def zero_grad(self, set_to_none=True):
        for p, master in zip(self.parameters, self.masters):
            p.grad = None
            master.grad = None

    def step(self):
        for p, master in zip(self.parameters, self.masters):
            master.grad = p.grad.float()
            if self.fp32_gradients:
                p.grad = None
        self.optimizer.step()
        with self.torch.no_grad():
            for p, master in zip(self.parameters, self.masters):
                p.copy_(master)
                if not self.fp32_gradients:
                    master.grad = None

    def gradients(self):
        """The gradients the policy keeps: the float32 buffers, or the bfloat16 gradients."""
        return [m.grad for m in self.masters] if self.fp32_gradients else [p.grad for p in self.parameters]


def state_of(model, optimizer, sharding, rank, traffic):
    """The bytes this rank holds after one step: weights, gradients, AdamW's m and v, its step counters."""
    parameters = list(model.parameters())
    local = optimizer.optim.state if sharding == "zero1" else optimizer.state
    moments = 0
    counters = 0
    for state in local.values():
        moments += tensor_bytes(state["exp_avg"]) + tensor_bytes(state["exp_avg_sq"])
        step = state.get("step")
        if hasattr(step, "numel"):
            counters += tensor_bytes(step)
    return {"rank": rank,
            "parameters_bytes": sum(tensor_bytes(p) for p in parameters),
            "gradients_bytes": sum(tensor_bytes(g) for g in (optimizer.gradients() if hasattr(optimizer, "gradients")
                                                               else [p.grad for p in parameters]) if g is not None),
            "master_weights_bytes": sum(tensor_bytes(m) for m in getattr(optimizer, "masters", [])),
            "optimizer_state_bytes": moments,
            "step_counter_bytes": counters,
            "communication": traffic}


def report(prediction, result, ranks, args):
    """Per rank, predicted beside measured; False where any differs."""
    shape = prediction["shape"]
    ok = True
    print("probe: V=%d T=%d L=%d d=%d h=%d d_ff=%d B=%d, %s, median step %.4f s over %d steps, loss %.4f"
          % (shape["vocab_size"], shape["context_length"], shape["num_layers"], shape["d_model"], shape["num_heads"],
             shape["d_ff"], shape["batch_size"] * ranks, args.precision_policy,
             statistics.median(result["seconds"]), len(result["seconds"]), result["losses"][-1]))
    profile = prediction.get("pytorch_saved")
    if profile is None:
        print("  saved for backward: %s bytes counted; no pytorch profile predicts %s attention under %s"
              % (format(result["saved_bytes"], ","), args.attention, args.precision_policy))
    else:
        equal = line("saved for backward (pytorch profile)", profile["bytes"], result["saved_bytes"])
        if not equal and not result["torch"].startswith("1.13"):
            print("    (the profile is what PyTorch 1.13 saves; PyTorch %s saves differently, not a failure)"
                  % result["torch"])
        else:
            ok &= equal
    peak = predicted_peak(prediction)
    if result["peak_allocated_bytes"] is not None and peak is not None:
        print("    %-38s predicted %16s measured %16s  ratio %.4f (torch.cuda.max_memory_allocated)"
              % ("peak allocated", format(peak, ","), format(result["peak_allocated_bytes"], ","),
                 result["peak_allocated_bytes"] / peak))
    if ranks == 1 and args.sharding == "none":
        memory = prediction["memory_bytes"]
        state = result["rank_state"]
        for key, predicted in (("parameters_bytes", memory["parameters"]), ("gradients_bytes", memory["gradients"]),
                               ("master_weights_bytes", memory["master_weights"]),
                               ("optimizer_state_bytes", memory["optimizer_state"])):
            ok &= line(key, predicted, state[key])
        return ok
    predicted_ranks = prediction["data_parallel"]["per_rank"]
    for measured in result.get("ranks", [result["rank_state"]]):
        predicted = predicted_ranks[measured["rank"]]
        print("  rank %d (%s)" % (measured["rank"], args.sharding))
        for key in ("parameters_bytes", "gradients_bytes", "master_weights_bytes", "optimizer_state_bytes"):
            ok &= line(key, predicted[key], measured[key])
        for collective, counted in measured["communication"].items():
            expected = predicted["communication"].get(collective, {}).get("payload_bytes", 0)
            ok &= line(collective + " payload", expected, counted)
        print("    %-38s %16s  not predicted: one scalar tensor per parameter tensor"
              % ("AdamW step counters", format(measured["step_counter_bytes"], ",")))
    return ok


def line(what, predicted, measured):
    verdict = "equal" if predicted == measured else "differs by " + format(measured - predicted, ",")
    print("    %-38s predicted %16s measured %16s  %s" % (what, format(predicted, ","), format(measured, ","), verdict))
    return predicted == measured


def write(args, run_id, predictions, results, peak, torch, kept):
    """measurements.csv (whole, through a temporary file) and the raw JSON, in --out."""
    device_name, catalog, peak_flops = peak
    backend = "torch-cuda" if args.device == "cuda" else "torch-cpu"
    ranks = int(os.environ.get("WORLD_SIZE", "1"))
    commit = git_commit()
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    rows = []
    for prediction, result in zip(predictions, results):
        shape = prediction["shape"]
        median = statistics.median(result["seconds"])
        flops = prediction["flops"]["step"]
        achieved = flops / median
        mfu = achieved / peak_flops if peak_flops else None
        row = {column: "" for column in COLUMNS}
        row.update({
            "run_id": run_id, "benchmark": "probes/torch/probe.py", "component": "step", "pass": "step",
            "backend": backend, "vocab_size": shape["vocab_size"], "context_length": shape["context_length"],
            "num_layers": shape["num_layers"], "d_model": shape["d_model"], "num_heads": shape["num_heads"],
            "d_ff": shape["d_ff"], "batch_size": shape["batch_size"], "parameters": prediction["parameters"],
            "threads": result["threads"], "predicted_flops": flops,
            "elementwise_flops": prediction["flops"]["elementwise"],
            "optimizer_flops": prediction["flops"]["optimizer"], "score_seconds_per_op": repr(median),
            "achieved_flops_per_second": repr(achieved),
            "peak_flops_per_second_nominal": repr(float(peak_flops)) if peak_flops else "",
            "mfu": repr(mfu) if mfu is not None else "", "valid": "true" if mfu is None or 0 < mfu <= 1 else "false",
            "status": "ok" if mfu is None or 0 < mfu <= 1 else "mfu_out_of_range (%s)" % mfu,
            "predicted_heap_bytes": needed_bytes(prediction),
            "measured_heap_bytes": result["peak_allocated_bytes"] if result["peak_allocated_bytes"] is not None else "",
            "host_cpu": device_name, "host_cores": os.cpu_count(),
            "jvm": "PyTorch %s, Python %s" % (torch.__version__, platform.python_version()),
            "git_commit": commit, "utc_time": now})
        rows.append(row)
    os.makedirs(args.out, exist_ok=True)
    document = {"run_id": run_id, "backend": backend, "device": device_name, "catalog_device": catalog,
                "ranks": ranks, "sharding": args.sharding, "precision_policy": args.precision_policy,
                "torch": torch.__version__, "git_commit": commit, "utc_time": now,
                "batches": [dict(result, shape=prediction["shape"], settings=prediction["settings"],
                                 predicted={"flops": prediction["flops"], "memory_bytes": prediction["memory_bytes"],
                                            "data_parallel": prediction.get("data_parallel")})
                            for prediction, result in zip(predictions, results)]}
    whole(os.path.join(args.out, "probe-" + run_id + ".json"), json.dumps(document, indent=2) + "\n")
    if ranks == 1:
        import csv
        import io
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept + rows)
        whole(os.path.join(args.out, "measurements.csv"), text.getvalue())
        print("probe: wrote " + os.path.join(args.out, "measurements.csv"))


def kept_rows(args):
    """With --append, the rows already in OUT/measurements.csv; refused where its header is not this schema's."""
    path = os.path.join(args.out, "measurements.csv")
    if not args.append or not os.path.exists(path):
        return []
    import csv
    with open(path, newline="") as file:
        reader = csv.DictReader(file)
        if reader.fieldnames != COLUMNS:
            raise BadInput("--append: " + path + " is not a flopcast measurements.csv (its header differs)")
        return list(reader)


def whole(path, text):
    temporary = path + ".tmp"
    with open(temporary, "w") as file:
        file.write(text)
    os.replace(temporary, path)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        sys.exit(main(sys.argv[1:]))
    except BadInput as error:
        print("probe: " + str(error), file=sys.stderr)
        sys.exit(2)
