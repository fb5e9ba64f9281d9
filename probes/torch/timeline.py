"""PyTorch's own allocations over the phases of one step, beside flopcast's timeline for the pytorch framework.

flopcast's ``predict --framework pytorch`` gives the bytes alive at each phase's most (``timeline.phases``):
the embedding's, each block's and the head's forward; the head's, each block's and the embedding's backward;
the optimizer. Here the same step runs, each phase's start marked, and PyTorch says what it holds:

  CPU    torch.profiler with profile_memory=True records every allocation and free with the allocator's
         running total; a phase's figure is the most that total reaches between its mark and the next
  CUDA   torch.cuda.memory_allocated at each mark and max_memory_allocated since the mark before, and the
         caching allocator's reserve (memory_reserved, max_memory_reserved) beside it; no GPU has run this yet

Phases are marked by hooks, not by the model: a forward pre-hook on the token embedding, each block and the
final norm; the head's backward begins with ``loss.backward()``; a block's backward when the gradient of its
output arrives (a hook on that tensor), the embedding's when the gradient of its output does; the optimizer's
with ``optimizer.step()``. The step measured is the second, so that AdamW's m and v exist (the first creates
them), and everything from the model's weights on is allocated under the profiler, so its running total is
what the process holds. One process, the whole model (no ZeRO or FSDP), no recomputation (a checkpoint runs
its blocks' forward again inside backward, which would mark them twice), float32 or bf16 (the mixed policies'
MixedAdamW is the probe's own, not PyTorch's).
"""

import gc
import os
import sys

MARK = "flopcast phase: "


def refusal_for(prediction):
    """Why a prediction's model cannot be marked phase by phase: under LoRA or freezing the embedding's output
    takes no gradient, so its backward is never marked; None where it can."""
    settings = prediction["settings"]
    if settings.get("lora") or settings.get("freeze") or settings.get("freeze_layers"):
        return "LoRA or frozen parameters leave the embedding's backward unmarked; train the whole model"
    return None


def refusal(args, ranks):
    """Why this run's timeline is not measured; None where it is."""
    if ranks > 1 or args.sharding != "none":
        return "one process without sharding only"
    if args.recompute != "none":
        return "a checkpoint runs its blocks' forward again in backward, marking them twice"
    if args.precision_policy not in ("fp32", "bf16"):
        return "the mixed policies' AdamW is the probe's own (MixedAdamW), not PyTorch's"
    return None


class Marks:
    """Marks each phase's start: a profiler range named for it on the CPU, the allocator's figures on CUDA."""

    def __init__(self, torch, device):
        self.torch = torch
        self.cuda = device.type == "cuda"
        self.device = device
        self.on = False
        self.names = []
        self.cuda_rows = []

    def mark(self, name):
        if not self.on:
            return
        self.names.append(name)
        if self.cuda:
            self.torch.cuda.synchronize(self.device)
            self.cuda_rows.append((name, self.torch.cuda.memory_allocated(self.device),
                                   self.torch.cuda.max_memory_allocated(self.device),
                                   self.torch.cuda.memory_reserved(self.device),
                                   self.torch.cuda.max_memory_reserved(self.device)))
            self.torch.cuda.reset_peak_memory_stats(self.device)
        else:
            with self.torch.profiler.record_function(MARK + name):
                pass

    def install(self, model):
        """The hooks on ``model`` (probes/torch/model.py's Transformer) that mark its phases."""
        layers = len(model.layers)
        model.token_embedding.register_forward_pre_hook(lambda module, inputs: self.mark("forward: embedding"))
        model.token_embedding.register_forward_hook(
            lambda module, inputs, output: self.on_gradient(output, "backward: embedding"))
        for index, block in enumerate(model.layers):
            block.register_forward_pre_hook(lambda module, inputs, i=index: self.mark("forward: block %d" % i))
            block.register_forward_hook(
                lambda module, inputs, output, i=index: self.on_gradient(output, "backward: block %d" % i))
        model.final_norm.register_forward_pre_hook(lambda module, inputs: self.mark("forward: head"))
        return layers

    def on_gradient(self, tensor, name):
        if self.on and tensor.requires_grad:
            tensor.register_hook(lambda gradient: self.mark(name))


def measure(torch, args, prediction, device, build):
    """The second step's phases: (name, bytes at the phase's most), in order. ``build()`` makes the model, the
    optimizer and the batch; on the CPU it runs under the profiler, so that its allocations are counted."""
    marks = Marks(torch, device)
    if device.type == "cuda":
        model, optimizer, tokens, targets = build()
        marks.install(model)
        return run(torch, marks, model, optimizer, tokens, targets)
    from torch.profiler import ProfilerActivity, profile
    gc.collect()  # nothing of an earlier batch freed while this one is profiled
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        model, optimizer, tokens, targets = build()
        marks.install(model)
        run(torch, marks, model, optimizer, tokens, targets)
    return phases_from(prof.profiler.kineto_results.experimental_event_tree(), marks.names)


def run(torch, marks, model, optimizer, tokens, targets):
    """Two steps, the second marked; on CUDA its rows: each phase's most is the peak since its mark."""
    for second in (False, True):
        marks.on = second
        optimizer.zero_grad(set_to_none=True)
        loss = model(tokens, targets)
        marks.mark("backward: head")
        loss.backward()
        marks.mark("optimizer")
        optimizer.step()
        marks.mark("end")
        marks.on = False
        del loss
    if not marks.cuda:
        return None
    return cuda_phases(marks.cuda_rows)


def cuda_phases(rows):
    """Each phase's most from the marks' rows (name, allocated, peak allocated since the mark before, reserved,
    peak reserved since it): the peak since a mark is read at the next one, and a phase holds at least what it
    started with; the caching allocator's reserve beside it."""
    return [(rows[i][0], max(rows[i][1], rows[i + 1][2]), max(rows[i][3], rows[i + 1][4]))
            for i in range(len(rows) - 1)]


def phases_from(tree, names):
    """Each marked phase's most from the profiler's allocation events (their allocator total, in time order)."""
    events = []
    stack = list(tree)
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        fields = node.extra_fields
        if hasattr(fields, "total_allocated") and fields.device.type == "cpu":
            events.append((node.start_time_ns, 1, (fields.total_allocated, fields.alloc_size)))
        elif node.name.startswith(MARK):
            events.append((node.start_time_ns, 0, node.name[len(MARK):]))
    events.sort(key=lambda event: (event[0], event[1]))
    # the allocator's total carries over from an earlier profiler session (frees made between sessions are not
    # taken off): what this session holds is the total less what it read before its first allocation
    allocations = [value for _, kind, value in events if kind == 1]
    baseline = allocations[0][0] - allocations[0][1] if allocations else 0
    live = 0
    phases = []
    for _, kind, value in events:
        if kind == 0:
            phases.append([value, live])
        else:
            live = value[0] - baseline
            if phases:
                phases[-1][1] = max(phases[-1][1], live)
    found = [name for name, _ in phases]
    if found != names:
        raise RuntimeError("the profiler's marks %s are not the marks made %s" % (found, names))
    return [(name, most, None) for name, most in phases[:-1]]  # "end" closes the optimizer's phase


def document(prediction, measured):
    """The raw JSON's record of the timeline: each phase measured (allocated at its most, and reserved on CUDA)
    beside the prediction's total where the prediction has the pytorch framework's timeline."""
    predicted = {phase["phase"]: phase["total"] for phase in (prediction.get("timeline") or {}).get("phases", [])}
    return {"framework": (prediction.get("timeline") or {}).get("framework"),
            "phases": [{"phase": name, "measured_bytes": most, "measured_reserved_bytes": reserved,
                        "predicted_bytes": predicted.get(name)} for name, most, reserved in measured]}


def report(prediction, measured, why_not):
    """Predicted beside measured per phase: flopcast's pytorch timeline and PyTorch's allocations."""
    predicted = prediction.get("timeline")
    if why_not is not None:
        print("  timeline: not measured (%s)" % why_not)
        return
    if predicted is None or predicted.get("framework") != "pytorch":
        print("  timeline: measured, but the prediction has no pytorch timeline (predict --framework pytorch)")
        return
    phases = predicted["phases"]
    names = [phase["phase"] for phase in phases]
    if names != [row[0] for row in measured]:
        print("  timeline: the phases differ: predicted %s, measured %s" % (names, [row[0] for row in measured]))
        return
    print("  timeline, pytorch framework (%s, AdamW %s): bytes at each phase's most"
          % (predicted["gradients"], predicted["optimizer"]))
    for phase, (name, most, reserved) in zip(phases, measured):
        print("    %-24s predicted %14s measured %14s  ratio %.4f%s"
              % (name, format(phase["total"], ","), format(most, ","), most / phase["total"],
                 "" if reserved is None else "  reserved %s" % format(reserved, ",")))
    peak = max(measured, key=lambda row: row[1])
    print("    %-24s predicted %14s at %s, measured %14s at %s"
          % ("peak", format(predicted["peak"]["total"], ","), predicted["peak"]["phase"], format(peak[1], ","),
             peak[0]))


if __name__ == "__main__":
    sys.exit("timeline.py is a part of probe.py (python3 %s --timeline)" % os.path.join("probes", "torch", "probe.py"))
