#!/usr/bin/env python3
"""flopcast's PyTorch probe: the complete accounting's model trained with torch.optim.AdamW, timed,
and checked against flopcast's prediction.

One process:  python3 probes/torch/probe.py --preset seed-gpt2 --batch 1,2 --device cpu
Ranks:        torchrun --nproc_per_node 2 probes/torch/probe.py --sharding zero1 ...

It writes OUT/measurements.csv (rows in results/README.md's schema, one per batch) and
OUT/probe-RUN.json (raw step times, what autograd saved, each rank's state and traffic against the
prediction). Every prediction and every fact it divides by comes from ``flopcast predict --format
json`` or --prediction FILE (prediction.py lists the keys); the probe restates no formula. Bad input
is one line on stderr, exit 2, nothing written. The parts: model.py (the model), parallel.py (ranks
and their traffic), adamw.py (the precision policies' optimizer), options.py (options and
refusals), prediction.py (flopcast's JSON); here, the run loop and its reports.
"""

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
    "d_model", "num_heads", "d_ff", "batch_size", "attention", "recompute", "precision_policy", "parameters",
    "threads", "predicted_flops", "elementwise_flops", "optimizer_flops", "predicted_bytes", "score_seconds_per_op",
    "score_error_seconds", "samples", "lower_quartile_seconds_per_op", "spread", "achieved_flops_per_second",
    "achieved_bytes_per_second", "peak_flops_per_second_nominal", "peak_flops_per_second_measured",
    "bandwidth_bytes_per_second_measured", "mfu", "valid", "status", "predicted_heap_bytes", "measured_heap_bytes",
    "allocated_bytes_per_op", "host_cpu", "host_cores", "jvm", "git_commit", "utc_time",
]

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import adamw  # noqa: E402
import options  # noqa: E402
import timeline  # noqa: E402
import parallel  # noqa: E402
import prediction as flopcast  # noqa: E402
from options import ROOT, BadInput  # noqa: E402


def main(argv):
    args = options.parse(argv, description=__doc__.split("\n\n")[0])
    torch = options.import_torch(sys.executable)
    import torch.distributed as dist

    ranks = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    options.refuse(args, torch, ranks)
    device = torch.device(args.device)
    if args.device == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
        gpu = torch.cuda.get_device_name(device)
        # one rank per GPU
        capacity, sharing, where = torch.cuda.get_device_properties(device).total_memory, 1, "this GPU's"
    else:
        gpu = None
        # every rank on this host
        capacity, sharing, where = host_memory(), ranks, "this host's"
    catalog = flopcast.catalog_device(args, gpu)
    predictions = flopcast.predictions(args, ranks, catalog)
    options.refuse_memory(args.batch, [flopcast.rank_peak_bytes(p) for p in predictions], capacity, sharing, where)
    if args.timeline and timeline.refusal_for(predictions[0]) is not None:
        raise BadInput("--timeline: " + timeline.refusal_for(predictions[0]))
    kept = kept_rows(args) if rank == 0 else []
    if ranks > 1:
        dist.init_process_group("nccl" if args.device == "cuda" else "gloo")

    run_id = datetime.datetime.now(datetime.timezone.utc).strftime("torch-%Y%m%dT%H%M%SZ")
    results = [run_batch(args, torch, dist, p, device, ranks, rank) for p in predictions]
    if ranks > 1:
        gathered = [None] * ranks
        dist.all_gather_object(gathered, [r["rank_state"] for r in results])
        for index, result in enumerate(results):
            result["ranks"] = [states[index] for states in gathered]
        dist.destroy_process_group()
    if rank != 0:
        return 0
    ok = True
    for p, result in zip(predictions, results):
        ok &= report(p, result, ranks, args)
        if args.timeline:
            measured = timeline.measure(torch, args, p, device, lambda: build(args, torch, p, device))
            timeline.report(p, measured, None)
            result["timeline"] = timeline.document(p, measured)
    write(args, run_id, predictions, results, (gpu or host_cpu(), catalog), torch, kept)
    return 0 if ok else 1


def run_batch(args, torch, dist, prediction, device, ranks, rank):
    """One batch: the model built and wrapped, what autograd saves counted, one step's state and traffic, then
    --warmup - 1 more steps and --steps timed ones."""
    from model import Transformer
    shape, settings = prediction["shape"], prediction["settings"]
    torch.manual_seed(args.seed)
    model = Transformer(shape, settings).to(device=device, dtype=adamw.weight_dtype(torch, args.precision_policy))
    trained, traffic = parallel.wrap(dist, model, args.sharding, ranks, device)
    try:
        if args.sharding == "zero1":
            optimizer = parallel.zero1(torch, dist, model.parameters(), traffic)
        else:
            # every parameter, or under LoRA the adapters alone (the model's are frozen)
            optimizer = adamw.for_policy(torch, args.precision_policy,
                                         [p for p in trained.parameters() if p.requires_grad])

        generator = torch.Generator().manual_seed(args.seed * 1000 + rank)
        size = (shape["batch_size"], shape["context_length"])
        tokens = torch.randint(0, shape["vocab_size"], size, generator=generator).to(device)
        targets = torch.randint(0, shape["vocab_size"], size, generator=generator).to(device)

        def step():
            optimizer.zero_grad(set_to_none=True)
            loss = trained(tokens, targets)
            loss.backward()
            optimizer.step()
            return loss

        def synchronize():
            if device.type == "cuda":
                torch.cuda.synchronize(device)

        saved = SavedTensors(list(trained.parameters()) + list(model.parameters()))
        with torch.autograd.graph.saved_tensors_hooks(saved.pack, saved.unpack):
            loss = trained(tokens, targets)
        del loss
        optimizer.zero_grad(set_to_none=True)
        traffic.reset()
        step()
        synchronize()
        held = trained if args.sharding in ("zero2", "zero3") else model
        rank_state = parallel.state_of(held, optimizer, args.sharding, rank, traffic.counted())
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
    finally:
        traffic.restore()
    peak_allocated = torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None
    return {"seconds": seconds, "losses": losses, "saved_bytes": saved.bytes(),
            "saved_parameter_uses": saved.parameter_hits, "peak_allocated_bytes": peak_allocated,
            "rank_state": rank_state, "torch": torch.__version__,
            "threads": torch.get_num_threads() if device.type == "cpu" else 1}


def storage_of(tensor):
    """The tensor's storage: untyped_storage() on PyTorch 2 (storage() warns there), storage() on 1.13."""
    return tensor.untyped_storage() if hasattr(tensor, "untyped_storage") else tensor.storage()


class SavedTensors:
    """What autograd saves for backward in one forward pass, de-duplicated by storage, parameters apart."""

    def __init__(self, parameters):
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


def build(args, torch, prediction, device):
    """A fresh model, its AdamW and a batch, as run_batch makes them on one process: what --timeline measures."""
    from model import Transformer
    shape = prediction["shape"]
    torch.manual_seed(args.seed)
    model = Transformer(shape, prediction["settings"]).to(device=device,
                                                          dtype=adamw.weight_dtype(torch, args.precision_policy))
    optimizer = adamw.for_policy(torch, args.precision_policy, [p for p in model.parameters() if p.requires_grad])
    generator = torch.Generator().manual_seed(args.seed * 1000)
    size = (shape["batch_size"], shape["context_length"])
    tokens = torch.randint(0, shape["vocab_size"], size, generator=generator).to(device)
    targets = torch.randint(0, shape["vocab_size"], size, generator=generator).to(device)
    return model, optimizer, tokens, targets


def report(prediction, result, ranks, args):
    """Per rank, predicted beside measured; False where any differs."""
    shape = prediction["shape"]
    data_parallel = prediction.get("data_parallel")
    ok = True
    print("probe: V=%d T=%d L=%d d=%d h=%d d_ff=%d B=%d, %s, median step %.4f s over %d steps, loss %.4f"
          % (shape["vocab_size"], shape["context_length"], shape["num_layers"], shape["d_model"], shape["num_heads"],
             shape["d_ff"], data_parallel["global_batch_size"] if data_parallel else shape["batch_size"],
             args.precision_policy,
             statistics.median(result["seconds"]), len(result["seconds"]), result["losses"][-1]))
    profile = prediction.get("pytorch_saved")
    if profile is None:
        why = "%s attention under %s" % (args.attention, args.precision_policy)
        print("  saved for backward: %s bytes counted; no pytorch profile predicts %s"
              % (format(result["saved_bytes"], ","), why))
    else:
        equal = line("saved for backward (pytorch profile)", profile["bytes"], result["saved_bytes"])
        if not equal and not result["torch"].startswith(profile["torch_version"]):
            print("    (the profile is what PyTorch %s saves; PyTorch %s saves differently, not a failure)"
                  % (profile["torch_version"], result["torch"]))
        else:
            ok &= equal
    peak = flopcast.pytorch_peak_bytes(prediction)
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
    predicted_ranks = data_parallel["per_rank"]
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


# Samples.MIN_FOR_SPREAD: fewer samples tell no spread
MIN_FOR_SPREAD = 5


def quantile(samples, q):
    """The q quantile, interpolated between order statistics as the JVM's Samples does (type 7)."""
    ordered = sorted(samples)
    position = q * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


def spread(samples):
    """The JVM's Samples.spread: (lower quartile - fastest) / lower quartile; None under 5 samples."""
    if len(samples) < MIN_FOR_SPREAD:
        return None
    return (quantile(samples, 0.25) - min(samples)) / quantile(samples, 0.25)


def row(prediction, result, run_id, backend, device, provenance):
    """One measurements.csv row: the median step against the prediction; MFU on a catalog device's peak."""
    device_name, catalog = device
    shape = prediction["shape"]
    median = statistics.median(result["seconds"])
    flops = prediction["flops"]["step"]
    peak = flopcast.peak_flops_per_second(prediction) if catalog is not None else None
    at_peak = flopcast.step_seconds_at_peak(prediction) if catalog is not None else None
    mfu = at_peak / median if at_peak is not None else None
    valid = at_peak is None or median >= at_peak
    values = {column: "" for column in COLUMNS}
    values.update(provenance)
    values.update({
        "run_id": run_id, "benchmark": "probes/torch/probe.py", "component": "step", "pass": "step",
        "backend": backend, "vocab_size": shape["vocab_size"], "context_length": shape["context_length"],
        "num_layers": shape["num_layers"], "d_model": shape["d_model"], "num_heads": shape["num_heads"],
        "d_ff": shape["d_ff"], "batch_size": shape["batch_size"], "attention": prediction["settings"]["attention"],
        "recompute": prediction["settings"]["recompute"], "precision_policy": prediction["settings"]["precision_policy"],
        "parameters": prediction["parameters"],
        "threads": result["threads"], "predicted_flops": flops, "elementwise_flops": prediction["flops"]["elementwise"],
        "optimizer_flops": prediction["flops"]["optimizer"], "score_seconds_per_op": repr(median),
        "samples": len(result["seconds"]),
        "lower_quartile_seconds_per_op": repr(quantile(result["seconds"], 0.25)),
        "spread": repr(spread(result["seconds"])) if spread(result["seconds"]) is not None else "",
        "achieved_flops_per_second": repr(flops / median),
        "peak_flops_per_second_nominal": repr(float(peak)) if peak else "",
        "mfu": repr(mfu) if mfu is not None else "", "valid": "true" if valid else "false",
        "status": "ok" if valid else "mfu_out_of_range (%s)" % mfu,
        "predicted_heap_bytes": flopcast.rank_peak_bytes(prediction),
        "measured_heap_bytes": result["peak_allocated_bytes"] if result["peak_allocated_bytes"] is not None else "",
        "host_cpu": device_name})
    return values


def write(args, run_id, predictions, results, device, torch, kept):
    """measurements.csv (whole, through a temporary file) and the raw JSON, in --out."""
    device_name, catalog = device
    backend = "torch-cuda" if args.device == "cuda" else "torch-cpu"
    ranks = int(os.environ.get("WORLD_SIZE", "1"))
    stamp = provenance(torch)
    commit, now = stamp["git_commit"], stamp["utc_time"]
    rows = [row(p, result, run_id, backend, device, stamp) for p, result in zip(predictions, results)]
    os.makedirs(args.out, exist_ok=True)
    document = {"run_id": run_id, "backend": backend, "device": device_name, "catalog_device": catalog,
                "ranks": ranks, "sharding": args.sharding, "precision_policy": args.precision_policy,
                "torch": torch.__version__, "git_commit": commit, "utc_time": now,
                "batches": [dict(result, shape=p["shape"], settings=p["settings"],
                                 predicted={"flops": p["flops"], "memory_bytes": p["memory_bytes"],
                                            "rank_peak": p["rank_peak"], "data_parallel": p.get("data_parallel")})
                            for p, result in zip(predictions, results)]}
    whole(os.path.join(args.out, "probe-" + run_id + ".json"), json.dumps(document, indent=2) + "\n")
    if ranks == 1:
        write_measurements(args.out, kept + rows)
        print("probe: wrote " + os.path.join(args.out, "measurements.csv"))


def provenance(torch):
    """The columns every row of this run shares: cores, commit, time, and PyTorch in the jvm column."""
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"host_cores": os.cpu_count(), "git_commit": git_commit(), "utc_time": now,
            "jvm": "PyTorch %s, Python %s" % (torch.__version__, platform.python_version())}


def write_measurements(out, rows):
    """OUT/measurements.csv, whole: the schema's header, then ``rows`` (dicts keyed by COLUMNS)."""
    import csv
    import io
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    whole(os.path.join(out, "measurements.csv"), text.getvalue())


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


def git_commit():
    try:
        run = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True)
        return run.stdout.strip() if run.returncode == 0 else ""
    except OSError:
        return ""


def host_cpu():
    try:
        with open("/proc/cpuinfo") as file:
            for text in file:
                if text.startswith("model name"):
                    return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def host_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BadInput as error:
        print("probe: " + str(error), file=sys.stderr)
        sys.exit(2)
