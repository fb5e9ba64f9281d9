"""The model wrapped for its ranks, and what each rank holds and hands to each collective in a step.

  none   DistributedDataParallel; its gradient buckets counted through a comm hook
  zero1  DDP and ZeroRedundancyOptimizer; the broadcasts of each rank's updated tensors counted
  zero2  FSDP's SHARD_GRAD_OP, one unit per block and the root (analytic's units)
  zero3  FSDP's FULL_SHARD, the same units; both count their all-gathers and reduce-scatters

Collectives are counted by the names analytic's DataParallel.Collective gives them, as the payload
this rank hands over (what predict's data_parallel.per_rank[].communication.*.payload_bytes holds).
"""

import functools

from adamw import HYPER

DDP_COLLECTIVES = ["gradient_all_reduce", "parameter_broadcast"]
FSDP_COLLECTIVES = ["parameter_all_gather", "gradient_reduce_scatter"]


def tensor_bytes(tensor):
    return tensor.numel() * tensor.element_size()


class Traffic:
    """Bytes this rank hands to each collective, counted by wrapping torch.distributed's functions in place."""

    def __init__(self, dist, collectives):
        self.dist = dist
        self.bytes = {name: 0 for name in collectives}
        self.originals = []

    def count(self, function, collective, payload):
        """Wrap ``dist.<function>`` (where this PyTorch has it): ``payload(*its arguments)`` is what this rank
        hands over, or None where it hands nothing."""
        original = getattr(self.dist, function, None)
        if original is None:
            return

        def counting(*arguments, **keywords):
            tensor = payload(*arguments, **keywords)
            if tensor is not None:
                self.bytes[collective] += tensor_bytes(tensor)
            return original(*arguments, **keywords)

        self.originals.append((function, original))
        setattr(self.dist, function, counting)

    def add(self, collective, tensor):
        self.bytes[collective] += tensor_bytes(tensor)

    def reset(self):
        for name in self.bytes:
            self.bytes[name] = 0

    def counted(self):
        return dict(self.bytes)

    def restore(self):
        """torch.distributed as it was."""
        for function, original in reversed(self.originals):
            setattr(self.dist, function, original)
        self.originals = []


def wrap(dist, model, sharding, ranks, device):
    """(the module to train, its Traffic): the model itself on one process."""
    if sharding in ("zero2", "zero3"):
        return fsdp(dist, model, sharding, device)
    traffic = Traffic(dist, DDP_COLLECTIVES if ranks > 1 else [])
    if ranks == 1:
        return model, traffic
    from torch.nn.parallel import DistributedDataParallel
    from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
    trained = DistributedDataParallel(model, device_ids=None if device.type == "cpu" else [device.index])

    def counting_hook(state, bucket):
        traffic.add("gradient_all_reduce", bucket.buffer())
        return default_hooks.allreduce_hook(None, bucket)

    trained.register_comm_hook(None, counting_hook)
    return trained, traffic


def zero1(torch, dist, parameters, traffic):
    """ZeroRedundancyOptimizer over AdamW; the tensors this rank broadcasts after its step counted."""
    from torch.distributed.optim import ZeroRedundancyOptimizer
    optimizer = ZeroRedundancyOptimizer(parameters, optimizer_class=torch.optim.AdamW, **HYPER)
    traffic.count("broadcast", "parameter_broadcast",
                  lambda tensor, src, *rest, **keywords: tensor if src == dist.get_rank() else None)
    return optimizer


def fsdp(dist, model, sharding, device):
    """FSDP with one unit per block and the root unit (analytic's units); its gathers and reduce-scatters counted.

    Written for PyTorch 2 (FSDP does not import under Debian's 1.13), and not run where this was written: on
    a PyTorch 2 machine the per-rank lines say whether its shards and payloads match the prediction."""
    from torch.distributed.fsdp import FullyShardedDataParallel, ShardingStrategy
    from torch.distributed.fsdp.wrap import lambda_auto_wrap_policy
    from model import Block
    strategy = ShardingStrategy.SHARD_GRAD_OP if sharding == "zero2" else ShardingStrategy.FULL_SHARD
    policy = functools.partial(lambda_auto_wrap_policy, lambda_fn=lambda module: isinstance(module, Block))
    trained = FullyShardedDataParallel(model, sharding_strategy=strategy, auto_wrap_policy=policy,
                                       device_id=device if device.type == "cuda" else None)
    traffic = Traffic(dist, FSDP_COLLECTIVES)
    count_fsdp_traffic(traffic)
    return trained, traffic


def count_fsdp_traffic(traffic):
    """What this rank hands over: its shard, the gather's input and the reduce-scatter's output."""
    for function in ("all_gather_into_tensor", "_all_gather_base"):
        traffic.count(function, "parameter_all_gather", lambda output, input, *rest, **keywords: input)
    for function in ("reduce_scatter_tensor", "_reduce_scatter_base"):
        traffic.count(function, "gradient_reduce_scatter", lambda output, input, *rest, **keywords: output)


def state_of(model, optimizer, sharding, rank, communication):
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
    gradients = optimizer.gradients() if hasattr(optimizer, "gradients") else [p.grad for p in parameters]
    return {"rank": rank,
            "parameters_bytes": sum(tensor_bytes(p) for p in parameters),
            "gradients_bytes": sum(tensor_bytes(g) for g in gradients if g is not None),
            "master_weights_bytes": sum(tensor_bytes(m) for m in getattr(optimizer, "masters", [])),
            "optimizer_state_bytes": moments,
            "step_counter_bytes": counters,
            "communication": communication}
