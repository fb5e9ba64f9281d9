"""AdamW under each precision policy the probe runs: what the model's weights are stored in and which
optimizer updates them. The bytes each policy keeps are flopcast's to predict; this file only runs it.

  fp32                   float32 weights, gradients, m and v: torch.optim.AdamW
  bf16                   bfloat16 weights, gradients, m and v: torch.optim.AdamW on the bfloat16 weights
  bf16-mixed             bfloat16 weights and gradients, a float32 master of each weight with float32 m, v
  bf16-mixed-fp32-grads  as bf16-mixed, the gradients moved into kept float32 buffers (Megatron's main_grad)
"""

# The JVM's AdamW hyperparameters (measure's AdamW.Hyperparameters defaults); no count depends on them.
HYPER = dict(lr=3e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)


def weight_dtype(torch, policy):
    """What the model's weights (and so its activations) are stored in."""
    return torch.float32 if policy == "fp32" else torch.bfloat16


def for_policy(torch, policy, parameters):
    """The optimizer that trains ``parameters`` under ``policy`` (on one process, or under DDP)."""
    if policy.startswith("bf16-mixed"):
        return MixedAdamW(torch, parameters, policy == "bf16-mixed-fp32-grads")
    return torch.optim.AdamW(parameters, **HYPER)


class MixedAdamW:
    """The mixed policies as flopcast counts them: bfloat16 weights, a float32 master of each weight that
    torch.optim.AdamW updates (its m and v float32), the weights rounded from the masters after each step.
    bf16-mixed keeps bfloat16 gradients and makes each master's float32 gradient for the step only;
    bf16-mixed-fp32-grads (Megatron's main_grad) moves each gradient into a float32 buffer right after
    backward and keeps that one, dropping the bfloat16 gradient."""

    def __init__(self, torch, parameters, fp32_gradients):
        self.torch = torch
        self.parameters = list(parameters)
        self.fp32_gradients = fp32_gradients
        self.masters = [p.detach().float() for p in self.parameters]
        self.optimizer = torch.optim.AdamW(self.masters, **HYPER)
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
