#!/usr/bin/env python3
"""flopcast's device calibration: what one GPU (or this CPU) achieves on matmuls, on a memory-bound
triad and on an empty op, the training step timed at each --prediction file's shape, and each step
predicted from those sweeps alone (held out: no step time enters the model).

On a GPU without Java:  python3 probes/torch/calibrate_device.py --device cuda --prediction shapes/*.json
On a CPU, in seconds:   /usr/bin/python3 probes/torch/calibrate_device.py --quick --prediction p.json

It writes OUT/measurements.csv (results/README.md's schema: component matmul_sweep, bandwidth_triad
and empty_op rows with pass probe, and one step row per shape as probe.py writes it) and
OUT/calibrate-device-RUN.json (every sample, and each shape's recorded ops). The held-out model, per
op the step dispatches (views excluded):

  op seconds   = empty op + work / net rate at the nearest swept size
  net rate     = the sweep point's work / (its seconds per call - empty op)
  work         = 2 b m n k FLOPs for mm, addmm, bmm, baddbmm (nearest sweep shape: (b m, n, k), by log
                 distance); otherwise the bytes of every tensor read and written (nearest triad by bytes)
  step seconds = the sum over one step's ops; spread = probe.py's (the JVM's): (lower quartile -
                 fastest) / lower quartile of the timed steps

A shape whose spread exceeds --error-target is undecided: its own noise is larger than the error the
model is held to. Shapes, settings, FLOPs and peaks come from the --prediction files (probe.py's
options.py and prediction.py read them); bad input is one line on stderr, exit 2, nothing written.
"""

import argparse
import datetime
import json
import math
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import adamw  # noqa: E402
import options  # noqa: E402
import prediction as flopcast  # noqa: E402
import probe  # noqa: E402
from options import ROOT, BadInput  # noqa: E402

BENCHMARK = "probes/torch/calibrate_device.py"
KIB = 1024
# (m, n, k) of C[m, n] = A[m, k] B[k, n]: squares, then the skinny shapes of a step (tokens x d x d_ff,
# tokens x d x V, few rows or a short inner dimension)
MATMUL_SHAPES = [(s, s, s) for s in (256, 512, 1024, 2048, 4096, 8192)] + [
    (16384, 768, 3072), (16384, 3072, 768), (8192, 50304, 768), (768, 3072, 16384), (128, 8192, 8192),
    (8192, 8192, 128)]
QUICK_MATMUL_SHAPES = [(s, s, s) for s in (16, 32, 64, 128)] + [(512, 64, 128), (512, 128, 32), (32, 32, 512)]
# bytes of one triad array (three arrays move per call): cache-resident to DRAM
TRIAD_ARRAY_BYTES = [256 * KIB * 4 ** i for i in range(7)]
QUICK_TRIAD_ARRAY_BYTES = [4 * KIB * 4 ** i for i in range(5)]


class Plan:
    """How long each measurement runs: a sweep point's samples, and a step's warmup and samples."""

    def __init__(self, quick):
        self.matmul_shapes = QUICK_MATMUL_SHAPES if quick else MATMUL_SHAPES
        self.triad_array_bytes = QUICK_TRIAD_ARRAY_BYTES if quick else TRIAD_ARRAY_BYTES
        self.sample_seconds = 0.002 if quick else 0.01  # one sweep sample: this long, calls between synchronizations
        self.sweep_samples = 5 if quick else 15
        self.empty_calls = 200 if quick else 2000  # empty ops per sample
        self.warmup_steps = 1 if quick else 3
        self.step_samples = (5, 20) if quick else (10, 200)  # at least, at most
        self.shape_seconds = 0.5 if quick else 25.0  # steps timed per shape past the least, while under this


def parser():
    p = options.Parser(prog="calibrate_device.py", description=__doc__.split("\n\n")[0],
                       formatter_class=options.Help)
    p.add_argument("--prediction", nargs="+", required=True, metavar="FILE",
                   help="predict --format json files, one shape each, made where Java is installed; one precision"
                        " policy across them")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where the sweeps and steps run")
    p.add_argument("--budget-seconds", type=options.positive, default=420, metavar="N",
                   help="work stops being added (the rest skipped, said on stderr) before this many seconds")
    p.add_argument("--quick", action="store_true",
                   help="tiny sweeps and few steps, for a CPU run in seconds (default: the GPU sizes)")
    p.add_argument("--error-target", type=fraction, default=0.10, metavar="F",
                   help="the held-out error a step is held to (docs/calibration.md's worst-case 10%%); a shape"
                        " whose spread exceeds it is undecided")
    p.add_argument("--out", default=os.path.join(ROOT, "results", "device"), metavar="DIR",
                   help="where measurements.csv and calibrate-device-RUN.json go")
    p.add_argument("--append", action="store_true",
                   help="keep the rows OUT/measurements.csv already holds (same header) and add this run's")
    p.add_argument("--seed", type=int, default=1, metavar="N", help="seeds the weights, the tokens and the sweeps")
    return p


def fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("'" + text + "' is not a number; a fraction above 0 is allowed (0.1 is 10%)")
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError("must be a fraction above 0 (0.1 is 10%), got " + text)
    return value


def parse(argv):
    """The options, and per --prediction file probe.py's options for it (its shape, settings and catalog)."""
    args = parser().parse_args(argv)
    args.shapes = [options.parse(["--prediction", path, "--device", args.device]) for path in args.prediction]
    policies = sorted({shape.precision_policy for shape in args.shapes})
    if len(policies) > 1:
        raise BadInput("--prediction files mix precision policies " + ", ".join(policies) + ": the sweeps run at one"
                       " dtype; make every file with the same --precision-policy")
    args.precision_policy = policies[0]
    return args


def main(argv):
    args = parse(argv)
    torch = options.import_torch(sys.executable)
    budget = Budget(args.budget_seconds)
    plan = Plan(args.quick)
    for shape in args.shapes:
        options.refuse(shape, torch, 1)
    device = torch.device(args.device)
    if args.device == "cuda":
        device_name = torch.cuda.get_device_name(device)
        capacity, where = torch.cuda.get_device_properties(device).total_memory, "this GPU's"
    else:
        device_name, capacity, where = probe.host_cpu(), probe.host_memory(), "this host's"
    predictions = [flopcast.predictions(shape, 1, None)[0] for shape in args.shapes]
    options.refuse_memory([p["shape"]["batch_size"] for p in predictions],
                          [flopcast.rank_peak_bytes(p) for p in predictions], capacity, 1, where)
    kept = probe.kept_rows(args)

    torch.manual_seed(args.seed)
    dtype = adamw.weight_dtype(torch, args.precision_policy)
    clock = Clock(torch, device)
    sweeps = Sweeps(torch, device, dtype, clock, plan, budget)
    empty = sweeps.empty_op()
    matmuls = sweeps.matmuls()
    triads = sweeps.triads()
    model = SweepModel(statistics.median(empty), matmuls, triads)
    steps = [measure_step(torch, args, p, device, clock, plan, budget, model) for p in predictions]

    run_id = datetime.datetime.now(datetime.timezone.utc).strftime("device-%Y%m%dT%H%M%SZ")
    backend = "torch-cuda" if args.device == "cuda" else "torch-cpu"
    stamp = probe.provenance(torch)
    common = dict(stamp, run_id=run_id, backend=backend, host_cpu=device_name,
                  threads=torch.get_num_threads() if device.type == "cpu" else 1)
    rows = sweep_rows(common, sweeps.element_bytes, empty, matmuls, triads)
    for shape, p, step in zip(args.shapes, predictions, steps):
        if step is not None:
            rows.append(step_row(p, step, run_id, backend, (device_name, shape.catalog_device), stamp))
    report(device_name, dtype, args, empty, matmuls, triads, predictions, steps)
    os.makedirs(args.out, exist_ok=True)
    probe.write_measurements(args.out, kept + rows)
    document = {"run_id": run_id, "backend": backend, "device": device_name, "dtype": str(dtype),
                "precision_policy": args.precision_policy, "torch": torch.__version__, "budget_seconds":
                args.budget_seconds, "spent_seconds": budget.spent(), "skipped": budget.skipped,
                "error_target": args.error_target, "empty_op_seconds": empty,
                "matmul_sweep": [{"m": m, "n": n, "k": k, "seconds": s} for (m, n, k), s in matmuls],
                "bandwidth_triad": [{"array_bytes": b, "seconds": s} for b, s in triads],
                "steps": [dict(step, shape=p["shape"], settings=p["settings"]) if step else None
                          for p, step in zip(predictions, steps)]}
    probe.whole(os.path.join(args.out, "calibrate-" + run_id + ".json"), json.dumps(document, indent=2) + "\n")
    print("calibrate_device: wrote " + os.path.join(args.out, "measurements.csv"))
    return 0


class Budget:
    """Seconds since the start against --budget-seconds; work that would pass it is skipped, once said."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.start = time.perf_counter()
        self.skipped = []

    def spent(self):
        return time.perf_counter() - self.start

    def allows(self, what, estimate_seconds):
        """True where ``what`` (estimated) fits what is left; else it is skipped, said on stderr."""
        if self.spent() + estimate_seconds <= self.seconds:
            return True
        self.skipped.append(what)
        print("calibrate_device: --budget-seconds %d: skipping %s (%.1f s spent, about %.3g s more needed)"
              % (self.seconds, what, self.spent(), estimate_seconds), file=sys.stderr)
        return False


class Clock:
    """Seconds per call of a callable: perf_counter around ``calls`` calls, CUDA synchronized at both ends."""

    def __init__(self, torch, device):
        self.torch = torch
        self.cuda = device.type == "cuda"

    def synchronize(self):
        if self.cuda:
            self.torch.cuda.synchronize()

    def per_call(self, work, calls):
        self.synchronize()
        start = time.perf_counter()
        for _ in range(calls):
            work()
        self.synchronize()
        return (time.perf_counter() - start) / calls

    def samples(self, work, sample_seconds, count):
        """``count`` samples of seconds per call, each of as many calls as fill ``sample_seconds``."""
        self.per_call(work, 1)  # the warm call (cuBLAS's first call sets itself up)
        once = self.per_call(work, 1)
        calls = max(1, int(sample_seconds / max(once, 1e-9)))
        return [self.per_call(work, calls) for _ in range(count)]


class Sweeps:
    """The three hardware sweeps at the run's dtype; each point is skipped where the budget or memory has no room."""

    def __init__(self, torch, device, dtype, clock, plan, budget):
        self.torch, self.device, self.dtype, self.clock, self.plan, self.budget = \
            torch, device, dtype, clock, plan, budget
        self.element_bytes = torch.tensor([], dtype=dtype).element_size()

    def point_seconds(self):
        return 2 * self.plan.sample_seconds * (self.plan.sweep_samples + 1)

    def free_bytes(self):
        if self.device.type == "cuda":
            return self.torch.cuda.mem_get_info(self.device)[0]
        return probe.host_memory()

    def fits(self, what, tensor_bytes):
        """Half the free memory at most: the sweep must not be what runs out."""
        free = self.free_bytes()
        if free is None or tensor_bytes <= free // 2:
            return True
        print("calibrate_device: skipping %s: %s bytes, above half of the %s free" % (what, format(tensor_bytes, ","),
                                                                                      format(free, ",")),
              file=sys.stderr)
        return False

    def empty_op(self):
        """Seconds per call of an add on one-element tensors: the launch and dispatch cost every op pays."""
        a = self.torch.ones(1, device=self.device, dtype=self.dtype)
        b = self.torch.ones(1, device=self.device, dtype=self.dtype)
        calls = self.plan.empty_calls
        self.clock.per_call(lambda: a.add(b), calls)
        return [self.clock.per_call(lambda: a.add(b), calls) for _ in range(self.plan.sweep_samples)]

    def matmuls(self):
        """[((m, n, k), median seconds per call)] of C = A B at each shape that fits."""
        points = []
        for m, n, k in self.plan.matmul_shapes:
            what = "matmul %dx%dx%d and the sizes after it" % (m, n, k)
            if not self.budget.allows(what, self.point_seconds()):
                break
            if not self.fits("matmul %dx%dx%d" % (m, n, k), (m * k + k * n + m * n) * self.element_bytes):
                continue
            a = self.torch.randn(m, k, device=self.device, dtype=self.dtype)
            b = self.torch.randn(k, n, device=self.device, dtype=self.dtype)
            points.append(((m, n, k), statistics.median(
                self.clock.samples(lambda: a @ b, self.plan.sample_seconds, self.plan.sweep_samples))))
            del a, b
        return points

    def triads(self):
        """[(bytes of one array, median seconds per call)] of a = b + s c (two arrays read, one written)."""
        points = []
        for array_bytes in self.plan.triad_array_bytes:
            if not self.budget.allows("triad of %s-byte arrays and the sizes after it" % format(array_bytes, ","),
                                      self.point_seconds()):
                break
            if not self.fits("triad of %s-byte arrays" % format(array_bytes, ","), 3 * array_bytes):
                continue
            elements = array_bytes // self.element_bytes
            a, b, c = (self.torch.rand(elements, device=self.device, dtype=self.dtype) for _ in range(3))
            points.append((array_bytes, statistics.median(self.clock.samples(
                lambda: self.torch.add(b, c, alpha=2.0, out=a), self.plan.sample_seconds, self.plan.sweep_samples))))
            del a, b, c
        return points


def matmul_flops(m, n, k, batch=1):
    """2 b m n k: one multiply and one add per term of each of the b m n outputs."""
    return 2 * batch * m * n * k


def matmul_bytes(m, n, k, element_bytes):
    """A, B read once and C written once."""
    return (m * k + k * n + m * n) * element_bytes


def triad_bytes(array_bytes):
    """b and c read, a written."""
    return 3 * array_bytes


class SweepModel:
    """The step predicted from the sweeps alone (the module docstring's formula)."""

    def __init__(self, empty_seconds, matmuls, triads):
        self.empty_seconds = empty_seconds
        # (log m, log n, log k, net seconds per FLOP); (log bytes, net seconds per byte)
        self.matmuls = [((math.log(m), math.log(n), math.log(k)), self.net(s) / matmul_flops(m, n, k))
                        for (m, n, k), s in matmuls]
        self.triads = [(math.log(triad_bytes(b)), self.net(s) / triad_bytes(b)) for b, s in triads]

    def net(self, seconds):
        return max(seconds - self.empty_seconds, 0.0)

    def seconds(self, ops):
        """{'matmul', 'memory', 'overhead', 'total'} seconds of one step's ``ops`` (OpLog's records)."""
        parts = {"matmul": 0.0, "memory": 0.0, "overhead": self.empty_seconds * len(ops)}
        for op in ops:
            if op["kind"] == "matmul" and self.matmuls:
                m, n, k = op["mnk"]
                at = (math.log(op["batch"] * m), math.log(n), math.log(k))
                rate = min(self.matmuls, key=lambda p: sum(abs(x - y) for x, y in zip(p[0], at)))[1]
                parts["matmul"] += op["flops"] * rate
            elif op["kind"] == "memory" and self.triads and op["bytes"] > 0:
                rate = min(self.triads, key=lambda p: abs(p[0] - math.log(op["bytes"])))[1]
                parts["memory"] += op["bytes"] * rate
        parts["total"] = parts["matmul"] + parts["memory"] + parts["overhead"]
        return parts


MATMULS = {"mm": (0, 1), "addmm": (1, 2), "bmm": (0, 1), "baddbmm": (1, 2)}  # op name: (A, B) argument positions
VIEWS = {"_unsafe_view"}  # views whose schema does not say so


def record_ops(torch, step):
    """Every aten op one call of ``step`` dispatches (backward's and the optimizer's too), views left out."""
    from torch.utils._python_dispatch import TorchDispatchMode

    def tensors(value):
        if isinstance(value, torch.Tensor):
            return [value]
        if isinstance(value, (list, tuple)):
            return [t for item in value for t in tensors(item)]
        return []

    ops = []

    class OpLog(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            schema = func._schema
            namespace, name = schema.name.split("::")
            returns = schema.returns
            view = bool(returns) and returns[0].alias_info is not None and not returns[0].alias_info.is_write
            if namespace != "aten" or view or name in VIEWS:
                return out
            if name in MATMULS:
                a, b = (args[i] for i in MATMULS[name])
                batch = a.shape[0] if a.dim() == 3 else 1
                m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
                ops.append({"op": name, "kind": "matmul", "mnk": (m, n, k), "batch": batch,
                            "flops": matmul_flops(m, n, k, batch)})
            else:
                moved = sum(t.numel() * t.element_size() for t in tensors(list(args) + list((kwargs or {}).values()))
                            + tensors(out))
                ops.append({"op": name, "kind": "memory", "bytes": moved})
            return out

    with OpLog():
        step()
    return ops


def measure_step(torch, args, prediction, device, clock, plan, budget, model):
    """One shape's step: its ops recorded, warmed up, then timed; None where the budget has no room for it."""
    from model import Transformer
    shape, settings = prediction["shape"], prediction["settings"]
    label = probe_label(shape)
    if not budget.allows("the steps of " + label, 0):
        return None
    torch.manual_seed(args.seed)
    network = Transformer(shape, settings).to(device=device, dtype=adamw.weight_dtype(torch, args.precision_policy))
    optimizer = adamw.for_policy(torch, args.precision_policy, network.parameters())
    generator = torch.Generator().manual_seed(args.seed * 1000)
    size = (shape["batch_size"], shape["context_length"])
    tokens = torch.randint(0, shape["vocab_size"], size, generator=generator).to(device)
    targets = torch.randint(0, shape["vocab_size"], size, generator=generator).to(device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        network(tokens, targets).backward()
        optimizer.step()

    ops = record_ops(torch, step)  # AdamW's state exists from here on: the steps after it are all alike
    predicted = model.seconds(ops)
    least, most = plan.step_samples
    if not budget.allows("the steps of " + label, (plan.warmup_steps + least) * predicted["total"]):
        return None
    warm = [clock.per_call(step, 1) for _ in range(plan.warmup_steps)]
    if not budget.allows("the steps of " + label, (least + 1) * warm[-1]):
        return None
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    seconds = []
    started = time.perf_counter()
    while len(seconds) < most and (len(seconds) < least or time.perf_counter() - started < plan.shape_seconds):
        if len(seconds) >= least and not budget.allows("more steps of " + label, 2 * statistics.median(seconds)):
            break
        seconds.append(clock.per_call(step, 1))
    peak = torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None
    return {"seconds": seconds, "warmup_seconds": warm, "median_seconds": statistics.median(seconds),
            "spread": spread(seconds), "predicted_seconds": predicted, "ops": len(ops),
            "recorded_matmul_flops": sum(op["flops"] for op in ops if op["kind"] == "matmul"),
            "memory_bound_bytes": sum(op["bytes"] for op in ops if op["kind"] == "memory"),
            "peak_allocated_bytes": peak, "threads": torch.get_num_threads() if device.type == "cpu" else 1}


def spread(seconds):
    """probe.py's spread of the timed steps (the JVM's Samples: IQR / median); NaN under its five samples."""
    value = probe.spread(seconds)
    return math.nan if value is None else value


def probe_label(shape):
    return "V=%d T=%d L=%d d=%d h=%d d_ff=%d B=%d" % (
        shape["vocab_size"], shape["context_length"], shape["num_layers"], shape["d_model"], shape["num_heads"],
        shape["d_ff"], shape["batch_size"])


def held_out_error(step):
    return step["predicted_seconds"]["total"] / step["median_seconds"] - 1


def verdict(step, target):
    if not step["spread"] <= target:
        return "undecided (spread above %.0f%%)" % (100 * target)
    return "within %.0f%%" % (100 * target) if abs(held_out_error(step)) <= target else "outside %.0f%%" % (100 * target)


def report(device_name, dtype, args, empty, matmuls, triads, predictions, steps):
    """The answer (held-out errors of the decided shapes), then the sweeps' best, then one line per shape."""
    decided = [abs(held_out_error(s)) for s in steps if s is not None and s["spread"] <= args.error_target]
    if decided:
        print("calibrate_device: held out on %d of %d shapes: median |error| %.1f%%, worst %.1f%% (target %.0f%%)"
              % (len(decided), len(steps), 100 * statistics.median(decided), 100 * max(decided),
                 100 * args.error_target))
    else:
        print("calibrate_device: no shape decided: every step's spread is above %.0f%%, or none ran"
              % (100 * args.error_target))
    if matmuls:
        (m, n, k), s = max(matmuls, key=lambda p: matmul_flops(*p[0]) / p[1])
        print("  %s, %s: matmul up to %.3g FLOP/s (%dx%dx%d)" % (device_name, dtype, matmul_flops(m, n, k) / s,
                                                                  m, n, k))
    if triads:
        b, s = max(triads, key=lambda p: triad_bytes(p[0]) / p[1])
        print("  triad up to %.3g B/s (%s-byte arrays); empty op %.2f us" % (triad_bytes(b) / s, format(b, ","),
                                                                               1e6 * statistics.median(empty)))
    print("  %-44s %10s %10s %8s %7s  %s" % ("shape", "measured", "predicted", "error", "spread", "verdict"))
    for p, step in zip(predictions, steps):
        if step is None:
            print("  %-44s skipped (budget)" % probe_label(p["shape"]))
            continue
        print("  %-44s %8.4f s %8.4f s %+7.1f%% %6.1f%%  %s" % (
            probe_label(p["shape"]), step["median_seconds"], step["predicted_seconds"]["total"], 100 * held_out_error(step),
            100 * step["spread"], verdict(step, args.error_target)))
        if step["recorded_matmul_flops"] != p["flops"]["hardware"]:
            print("    matmul FLOPs: recorded %s, predicted flops.hardware %s (a kernel such as flash attention is"
                  " not a matmul here)" % (format(step["recorded_matmul_flops"], ","),
                                           format(p["flops"]["hardware"], ",")))


def sweep_rows(common, element_bytes, empty, matmuls, triads):
    """The probe rows: one per swept matmul shape and triad size, and the empty op."""
    rows = []

    def probe_row(component, benchmark, seconds, flops, moved):
        values = {column: "" for column in probe.COLUMNS}
        values.update(common)
        values.update({"benchmark": benchmark, "component": component, "pass": "probe", "predicted_flops": flops,
                       "elementwise_flops": 0, "optimizer_flops": 0, "predicted_bytes": moved,
                       "score_seconds_per_op": repr(seconds), "valid": "true", "status": "ok"})
        if flops:
            values["achieved_flops_per_second"] = repr(flops / seconds)
        if moved:
            values["achieved_bytes_per_second"] = repr(moved / seconds)
        rows.append(values)

    for (m, n, k), seconds in matmuls:
        probe_row("matmul_sweep", "%s matmul %dx%dx%d" % (BENCHMARK, m, n, k), seconds, matmul_flops(m, n, k),
                  matmul_bytes(m, n, k, element_bytes))
    for array_bytes, seconds in triads:
        probe_row("bandwidth_triad", "%s triad" % BENCHMARK, seconds, 0, triad_bytes(array_bytes))
    probe_row("empty_op", "%s empty_op" % BENCHMARK, statistics.median(empty), 0, 0)
    return rows


def step_row(prediction, step, run_id, backend, device, stamp):
    """probe.py's step row for this shape, named as this script's."""
    values = probe.row(prediction, step, run_id, backend, device, stamp)
    values["benchmark"] = BENCHMARK
    return values


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BadInput as error:
        print("calibrate_device: " + str(error), file=sys.stderr)
        sys.exit(2)
