"""The probe's options and the input it refuses: one line for the person, exit 2, nothing written.

``parse`` reads the command line (and a --prediction file, which supplies what was not given);
``refuse`` checks the run against this PyTorch and these ranks; ``refuse_memory`` the predicted
bytes against the device. Each raises BadInput with what was given and what is allowed.
"""

import argparse
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The one place the jar's path is written (the tests read it from here).
JAR = os.path.join(ROOT, "cli", "target", "flopcast.jar")

# (dest, flopcast's option): the shape, as predict spells it
SHAPE_OPTIONS = [("vocab", "--vocab"), ("context", "--context"), ("layers", "--layers"),
                 ("d_model", "--d-model"), ("heads", "--heads"), ("d_ff", "--d-ff"), ("kv_heads", "--kv-heads")]
GIVEN = " (default: the preset's or the prediction's)"
SHAPE_HELP = {"vocab": "V, the vocabulary" + GIVEN, "context": "T, tokens per sequence" + GIVEN,
              "layers": "L, transformer blocks" + GIVEN, "d_model": "d, the model width" + GIVEN,
              "heads": "h, attention heads" + GIVEN, "d_ff": "d_ff, the FFN width" + GIVEN,
              "kv_heads": "h_kv, key and value heads (default: h, or the preset's or the prediction's)"}
# What the probe runs (model.py, adamw.py, parallel.py implement each); predict refuses what it cannot count.
POLICIES = ["fp32", "bf16-mixed", "bf16-mixed-fp32-grads", "bf16"]
ATTENTIONS = ["eager", "flash"]
RECOMPUTES = ["none", "selective", "full"]
SHARDINGS = ["none", "zero1", "zero2", "zero3"]
# Settings a --prediction file supplies where the option is not given; these where neither is.
SETTING_DEFAULTS = {"precision_policy": "fp32", "attention": "eager", "recompute": "none", "batch": [1]}


class BadInput(Exception):
    """One line for the person: what was given and what is allowed."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise BadInput(message)


class Help(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, unless its help already says it."""

    def _get_help_string(self, action):
        if "(default" in (action.help or "") or action.default is None:
            return action.help
        return super()._get_help_string(action)


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


def parser(description):
    p = Parser(prog="probe.py", description=description, formatter_class=Help)
    p.add_argument("--preset", metavar="NAME",
                   help="a flopcast preset (predict --help lists them) (default: none: give every dimension, or"
                        " --prediction)")
    for name, option in SHAPE_OPTIONS:
        p.add_argument(option, dest=name, type=positive, metavar="N", help=SHAPE_HELP[name])
    p.add_argument("--tie-embeddings", action="store_true", help="the LM head is the token embedding's transpose")
    p.add_argument("--precision-policy", choices=POLICIES,
                   help="what weights, gradients and AdamW state are kept in (default: fp32, or the prediction's)")
    p.add_argument("--attention", choices=ATTENTIONS,
                   help="eager, or flash (PyTorch 2's scaled_dot_product_attention) (default: eager, or the"
                        " prediction's)")
    p.add_argument("--recompute", choices=RECOMPUTES,
                   help="what torch.utils.checkpoint recomputes: the attention core or each block (default: none,"
                        " or the prediction's)")
    p.add_argument("--batch", type=batches, metavar="B[,B...]",
                   help="global batch sizes, one row each; the ranks split each (default: 1, or the prediction's)")
    p.add_argument("--steps", type=positive, default=5, metavar="N", help="timed steps per batch")
    p.add_argument("--warmup", type=positive, default=2, metavar="N", help="untimed steps first")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where the model runs")
    p.add_argument("--catalog-device", metavar="NAME",
                   help="the flopcast device whose peak MFU divides by (default: the row of flopcast devices whose"
                        " cuda_name_pattern the GPU's name matches, or the --prediction file's --device)")
    p.add_argument("--sharding", default="none", choices=SHARDINGS,
                   help="under torchrun: DDP, ZeroRedundancyOptimizer, or FSDP's SHARD_GRAD_OP or FULL_SHARD")
    p.add_argument("--out", default=os.path.join(ROOT, "results", "torch"), metavar="DIR",
                   help="where measurements.csv and probe-RUN.json go")
    p.add_argument("--append", action="store_true",
                   help="keep the rows OUT/measurements.csv already holds (same header) and add this run's")
    p.add_argument("--prediction", metavar="FILE",
                   help="a predict --format json file to use where no Java is installed (default: none: run --jar)")
    p.add_argument("--jar", default=JAR, help="the flopcast jar that predicts")
    p.add_argument("--seed", type=int, default=1, metavar="N", help="seeds the weights and, with the rank, the tokens")
    p.add_argument("--timeline", action="store_true",
                   help="also run one step with its phases marked and print PyTorch's allocations at each phase's most"
                        " beside flopcast's pytorch timeline (torch.profiler's memory events on a CPU,"
                        " memory_allocated on CUDA); one process, no recomputation, fp32 or bf16")
    return p


def parse(argv, description=None):
    """The options, every setting filled: from the command line, the --prediction file, or SETTING_DEFAULTS."""
    args = parser(description).parse_args(argv)
    dimensions = [(name, option) for name, option in SHAPE_OPTIONS if name != "kv_heads"]
    missing = [option for name, option in dimensions if getattr(args, name) is None]
    if args.preset is None and args.prediction is None and missing:
        raise BadInput("missing " + ", ".join(missing) + ": give --preset NAME or every dimension")
    args.prediction_json = None
    if args.prediction is not None:
        if args.preset is not None:
            raise BadInput("give --preset " + args.preset + " or --prediction " + args.prediction + ", not both: the"
                           " prediction holds its shape")
        settle_from_prediction(args)
    for name, default in SETTING_DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    return args


def require_buildable(prediction, source, sharding):
    """Refuses, in one line, a prediction for a model the probe does not build: a head width other than d / h or an
    NF4 base; and under ZeRO any layout but the Llama one, the only one whose parameters model.py registers in
    DataParallel.tensors' order (the partition's)."""
    shape, settings = prediction["shape"], prediction["settings"]
    unbuilt = []
    lora = settings.get("lora")
    if lora is not None and lora.get("base") == "nf4":
        unbuilt.append("an nf4 base")
    head_dim = settings.get("head_dim")
    if head_dim is not None and head_dim * shape["num_heads"] != shape["d_model"]:
        unbuilt.append("head_dim " + str(head_dim))
    if unbuilt:
        raise BadInput(source + " is for a model with " + ", ".join(unbuilt) + ": the probe does not build it"
                       " (allowed: a prediction with no nf4 base and head_dim d_model / num_heads)")
    layout = []
    if settings.get("bias", "none") != "none":
        layout.append("bias " + str(settings["bias"]))
    for key, llama in (("norm", "rmsnorm"), ("mlp", "swiglu"), ("qk_norm", "none"), ("norm_placement", "pre")):
        if settings.get(key, llama) != llama:
            layout.append(key + " " + str(settings[key]))
    if settings.get("positions") is not None:
        layout.append("positions " + str(settings["positions"]))
    if settings.get("experts") is not None:
        layout.append("experts " + str(settings["experts"]["count"]))
    if layout and sharding.startswith("zero"):
        raise BadInput(source + " is for a model with " + ", ".join(layout) + ": under --sharding " + sharding
                       + " the probe builds the Llama layout only, whose parameter order is the partition's"
                       " (allowed: --sharding none, which is DDP under torchrun, or a prediction with bias none,"
                       " norm rmsnorm, mlp swiglu, qk_norm none, norm_placement pre, no positions and no experts)")


def settle_from_prediction(args):
    """Read --prediction FILE; every option given must agree with it, every one not given is taken from it."""
    try:
        with open(args.prediction) as file:
            prediction = json.load(file)
        shape, settings = prediction["shape"], prediction["settings"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BadInput("--prediction " + args.prediction + " is not a readable predict --format json file: "
                       + (str(error).splitlines() or [type(error).__name__])[0])
    require_buildable(prediction, "--prediction " + args.prediction, args.sharding or "none")
    if "rank_peak" not in prediction:
        raise BadInput("--prediction " + args.prediction + " has no rank_peak: make it again with this flopcast's"
                       " predict --format json (and --accounting complete)")
    data_parallel = prediction.get("data_parallel")
    training = prediction.get("training") or {}
    known = {"precision_policy": settings["precision_policy"], "attention": settings["attention"],
             "recompute": settings["recompute"],
             "batch": [data_parallel["global_batch_size"] if data_parallel else shape["batch_size"]],
             "kv_heads": settings["kv_heads"], "vocab": shape["vocab_size"], "context": shape["context_length"],
             "layers": shape["num_layers"], "d_model": shape["d_model"], "heads": shape["num_heads"],
             "d_ff": shape["d_ff"]}
    if training.get("device") is not None:
        known["catalog_device"] = training["device"]
    elif args.catalog_device is not None:
        raise BadInput("--catalog-device " + args.catalog_device + ": --prediction " + args.prediction + " has no"
                       " peak to divide by; make it with predict --device " + args.catalog_device + " --steps 1")
    for name, value in known.items():
        given = getattr(args, name)
        if given is not None and given != value:
            shown = ",".join(map(str, given)) if isinstance(given, list) else given
            made = str(value[0]) if isinstance(value, list) else str(value)
            raise BadInput("--" + name.replace("_", "-") + " " + str(shown) + " contradicts --prediction "
                           + args.prediction + ", which is for " + made)
        setattr(args, name, value)
    if args.tie_embeddings and not settings["tie_embeddings"]:
        raise BadInput("--tie-embeddings contradicts --prediction " + args.prediction + ", whose LM head is untied")
    args.tie_embeddings = settings["tie_embeddings"]
    args.prediction_json = prediction


def import_torch(executable):
    try:
        import torch
    except ImportError:
        raise BadInput(executable + " has no torch: on Debian, apt-get install python3-torch and run"
                       " /usr/bin/python3; elsewhere, pip install torch")
    return torch


def fsdp_importable():
    """None where FSDP imports, else why not."""
    try:
        import torch.distributed.fsdp  # noqa: F401
        return None
    except Exception as error:  # PyTorch 1.13 under Python 3.11 fails in a dataclass of torch.distributed._shard
        return type(error).__name__ + ": " + str(error).splitlines()[0]


def refuse(args, torch, ranks):
    """What this PyTorch, these ranks and these options cannot run together."""
    if args.timeline:
        import timeline
        reason = timeline.refusal(args, ranks)
        if reason is not None:
            raise BadInput("--timeline: " + reason)
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
    if args.precision_policy.startswith("bf16-mixed") and args.sharding != "none":
        raise BadInput("--precision-policy " + args.precision_policy + " with --sharding " + args.sharding
                       + ": the probe shards only the fp32 and bf16 runs (its fp32 masters sit beside the sharded"
                       " optimizer, not in it)")
    if ranks > 1 and args.device == "cpu" and args.precision_policy != "fp32" \
            and int(torch.__version__.split(".")[0]) < 2:
        raise BadInput("--precision-policy bf16 on " + str(ranks) + " CPU ranks: gloo in PyTorch " + torch.__version__
                       + " cannot broadcast or all-reduce bfloat16; run fp32 here, or bf16 on CUDA (nccl)")
    for batch in args.batch:
        if batch % ranks != 0:
            raise BadInput("--batch " + str(batch) + " is not divisible by the " + str(ranks)
                           + " ranks: each rank runs B / N sequences")


def refuse_memory(batch_sizes, needs, capacity, sharing, where):
    """A batch whose predicted peak (``needs``: one rank's bytes each) times the ranks sharing the memory exceeds it."""
    if capacity is None:
        return
    for batch, need in zip(batch_sizes, needs):
        if need * sharing > capacity:
            raise BadInput("--batch " + str(batch) + " needs " + format(need * sharing, ",") + " bytes by the"
                           " prediction (" + str(sharing) + " x " + format(need, ",") + " per rank), more than " + where
                           + " " + format(capacity, ",") + "; use a smaller shape or --batch")
