"""What flopcast says, read from its JSON: ``predict --format json`` per batch (or the --prediction
file), and ``devices --format json`` for the catalog row of this GPU. The probe holds no formula and
no hardware number: every prediction it compares with, and every fact it divides by, is a key here.

  rank_peak.bytes                   one rank's peak: its state, what autograd saves, the workspace
  rank_peak.saved_by                pytorch where the profile covers the settings, else complete
  pytorch_saved.bytes               what PyTorch's autograd saves (the profile), and its torch_version
  memory_bytes, data_parallel       each rank's weights, gradients, master weights, AdamW state, payloads
  flops.step                        model FLOPs of one rank's step
  training.peak_flops_per_second    the catalog peak at the policy's precision (with --device)
  training.step_seconds_at_peak     the step at MFU 1: MFU = it / the measured step; a faster step is invalid
  devices[].cuda_name_pattern       the regular expression CUDA's name for a catalog device matches
  timeline                          the bytes alive at each phase's most, for the pytorch framework (--timeline)
"""

import json
import os
import re
import subprocess

from options import SHAPE_OPTIONS, BadInput, require_buildable


def predict_args(args, batch, ranks, catalog):
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
    # the step this probe runs: PyTorch's (its AdamW's default is foreach on CUDA, the for-loop on a CPU)
    command += ["--framework", "pytorch", "--optimizer", "foreach" if args.device == "cuda" else "for-loop"]
    if ranks > 1 or args.sharding != "none":
        command += ["--data-parallel", str(ranks), "--sharding", args.sharding]
    if catalog is not None:
        # one step on the catalog device: its training object carries the peak and the step at MFU 1
        command += ["--device", catalog, "--steps", "1"]
    return command


def flopcast(jar, command):
    """``java -jar JAR command``'s JSON; its one-line refusal as ours."""
    if not os.path.exists(jar):
        raise BadInput("no " + jar + ": build it with mvn install, or give --prediction FILE")
    run = subprocess.run(["java", "-jar", jar] + command, capture_output=True, text=True)
    if run.returncode != 0:
        raise BadInput((run.stderr.strip().splitlines() or [command[0] + " failed"])[0].replace("flopcast: ", ""))
    return json.loads(run.stdout)


def predictions(args, ranks, catalog):
    """One prediction per batch: the --prediction file (for the ranks and sharding it was made for), or predict's."""
    if args.prediction_json is None:
        made = [flopcast(args.jar, predict_args(args, batch, ranks, catalog)) for batch in args.batch]
        for prediction in made:
            require_buildable(prediction, "--preset " + args.preset if args.preset else "the shape given",
                              args.sharding)
        return made
    data_parallel = args.prediction_json.get("data_parallel")
    predicted_ranks = data_parallel["ranks"] if data_parallel else 1
    predicted_sharding = data_parallel["sharding"] if data_parallel else "none"
    if (predicted_ranks, predicted_sharding) != (ranks, args.sharding):
        raise BadInput("--prediction " + args.prediction + " is for " + str(predicted_ranks) + " rank(s), sharding "
                       + predicted_sharding + "; this run has " + str(ranks) + ", sharding " + args.sharding
                       + " (predict --data-parallel N --sharding MODE makes one)")
    return [args.prediction_json]


def catalog_device(args, gpu_name):
    """The catalog device MFU divides by: --catalog-device (or the --prediction file's --device), else the row
    of ``flopcast devices`` whose cuda_name_pattern this GPU's name matches; None on a CPU or an unknown GPU."""
    if gpu_name is None:
        return None  # a CPU has no catalog peak
    if args.catalog_device is not None or args.prediction_json is not None:
        return args.catalog_device  # given, or the file's --device (options.settle_from_prediction)
    for row in flopcast(args.jar, ["devices", "--format", "json"])["devices"]:
        if re.search(row["cuda_name_pattern"], gpu_name):
            return row["device"]
    return None


def rank_peak_bytes(prediction):
    """One rank's predicted peak: what a batch must fit, the row's predicted_heap_bytes."""
    return prediction["rank_peak"]["bytes"]


def pytorch_peak_bytes(prediction):
    """The peak torch.cuda.max_memory_allocated is compared with; None where no pytorch profile covers the run."""
    peak = prediction["rank_peak"]
    return peak["bytes"] if peak["saved_by"] == "pytorch" else None


def peak_flops_per_second(prediction):
    """The catalog peak at the policy's precision; None without a catalog device."""
    return (prediction.get("training") or {}).get("peak_flops_per_second")


def step_seconds_at_peak(prediction):
    """The step's seconds at MFU 1; None without a catalog device."""
    return (prediction.get("training") or {}).get("step_seconds_at_peak")
