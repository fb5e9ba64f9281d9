"""The complete accounting's model in PyTorch: the JVM model's layers, in its parameter order.

Token embedding (plus a learned position table where the settings give ``positions``), L pre-norm
blocks (a norm, causal attention with h_kv key and value heads, a norm, the MLP), a final norm and the
LM head (or the token embedding's transpose when tied). The norm is RMSNorm or LayerNorm with a bias
(settings ``norm``), the MLP SwiGLU, GELU's two matrices or GeGLU (``mlp``, GELU in its tanh form),
and the projections add a bias where ``bias`` says (none, qkv, all); no rotary encoding (RoPE adds no
parameters; the JVM model leaves it out too). For the Llama layout (RMSNorm, SwiGLU, no biases or
positions) parameters are registered in the order analytic's DataParallel.tensors lists them, so that
``model.parameters()`` and ZeroRedundancyOptimizer's partition see the same order; the other layouts
register their biases beside their weights, and the probe refuses them under ZeRO.

Under ``experts`` (settings ``{"count", "top_k"}``) each block's MLP is a mixture of experts as transformers'
MixtralSparseMoeBlock runs it (``Experts``), but the ``dense_layers``' MLP, ``dense_d_ff`` wide.

Under ``freeze`` (a list of embeddings, norms, attention, mlp, head) those parameters take no gradient, and under
``freeze_layers`` (``FIRST-LAST``) every parameter of those blocks. Under
``lora`` (settings ``{"rank", "alpha", "targets"}``) every parameter of the model is frozen and each
target projection carries a LoRA adapter beside its frozen x W: + ((x A) * alpha / r) B^T, A of
d_in x r, B stored d_out x r (PEFT's lora_B.weight) and starting at 0, the only parameters that train.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

# RmsNorm.EPSILON and TransformerModel's initial standard deviation on the JVM side
EPSILON = 1e-5
INIT_STD = 0.02


class RmsNorm(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(width))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPSILON) * self.gain


class LayerNorm(nn.Module):
    """LayerNorm with a gain and a bias (GPT-2's), as F.layer_norm: it saves its input, mean and 1 / std."""

    def __init__(self, width):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(width))
        self.bias = nn.Parameter(torch.zeros(width))

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.gain, self.bias, EPSILON)


def norm(kind, width):
    return LayerNorm(width) if kind == "layernorm" else RmsNorm(width)


class Weight(nn.Module):
    """One d_in x d_out matrix, applied as x @ W (the JVM layout), plus a bias (zeros, as the JVM's) where given."""

    def __init__(self, rows, columns, bias=False):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(rows, columns).normal_(0.0, INIT_STD))
        self.bias = nn.Parameter(torch.zeros(columns)) if bias else None
        self.lora_a = None
        self.lora_b = None
        self.lora_scale = None

    def adapt(self, rank, alpha):
        """Adds a LoRA adapter: A (d_in x r, N(0, 0.02)) and B (d_out x r, zeros), scaled by alpha / r."""
        rows, columns = self.weight.shape
        self.lora_a = nn.Parameter(torch.empty(rows, rank).normal_(0.0, INIT_STD))
        self.lora_b = nn.Parameter(torch.zeros(columns, rank))
        self.lora_scale = alpha / rank

    def forward(self, x):
        y = x @ self.weight
        y = y if self.bias is None else y + self.bias
        if self.lora_a is None:
            return y
        # the hidden values are scaled before B, as the JVM's adapter does: B's matmul saves s * (x A)
        return y + ((x @ self.lora_a) * self.lora_scale) @ self.lora_b.t()


class Embedding(nn.Module):
    def __init__(self, vocab, width):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(vocab, width).normal_(0.0, INIT_STD))

    def forward(self, tokens):
        return F.embedding(tokens, self.weight)


def soft_cap(x, cap):
    """cap * tanh(x / cap) where cap is given (Gemma 2's soft-capping, as transformers runs it); x where not."""
    return x if cap is None else torch.tanh(x / cap) * cap


def causal_attention(q, k, v, flash, window=None, cap=None):
    """softmax(masked Q K^T / sqrt(d_k)) V per head; q is [B, h, T, d_k], k and v [B, h_kv, T, d_k]; a window
    shorter than T masks the keys more than window - 1 positions back too (Mistral's i - j < w); a cap bounds
    the scaled scores to cap * tanh(s / cap) first (eager only: PyTorch 1.13 has no fused form)."""
    groups = q.shape[1] // k.shape[1]
    if groups > 1:
        k = k.repeat_interleave(groups, dim=1)
        v = v.repeat_interleave(groups, dim=1)
    t = q.shape[2]
    windowed = window is not None and window < t
    if flash and not windowed:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
    mask = torch.ones(t, t, dtype=torch.bool, device=q.device).triu(1)
    if windowed:
        mask = mask | torch.ones(t, t, dtype=torch.bool, device=q.device).tril(-window)
    if flash:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=~mask)
    scores = soft_cap((q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1]), cap)
    probabilities = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
    return probabilities @ v


class Attention(nn.Module):
    def __init__(self, width, heads, kv_heads, flash, selective, bias, window=None, cap=None, qk_norm="none"):
        super().__init__()
        self.window = window
        self.cap = cap
        # QK-norm: an RMSNorm over each head's queries and keys (Qwen3's) or over each whole projection (OLMo 2's)
        self.qk_norm = qk_norm
        norm_width = {"head": (width // heads, width // heads), "projection": (width, kv_heads * (width // heads))}
        self.query_norm = RmsNorm(norm_width[qk_norm][0]) if qk_norm != "none" else None
        self.key_norm = RmsNorm(norm_width[qk_norm][1]) if qk_norm != "none" else None
        self.heads = heads
        self.kv_heads = kv_heads
        self.flash = flash
        self.selective = selective
        head_dim = width // heads
        self.query = Weight(width, width, bias != "none")
        self.key = Weight(width, kv_heads * head_dim, bias != "none")
        self.value = Weight(width, kv_heads * head_dim, bias != "none")
        self.output = Weight(width, width, bias == "all")

    def forward(self, x):
        b, t, width = x.shape
        head_dim = width // self.heads
        q = self.query(x)
        k = self.key(x)
        if self.qk_norm == "projection":
            q, k = self.query_norm(q), self.key_norm(k)
        q = q.view(b, t, self.heads, head_dim)
        k = k.view(b, t, self.kv_heads, head_dim)
        if self.qk_norm == "head":
            q, k = self.query_norm(q), self.key_norm(k)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        v = self.value(x).view(b, t, self.kv_heads, head_dim).transpose(1, 2)
        if self.selective:
            core = checkpoint(causal_attention, q, k, v, self.flash, self.window, self.cap, use_reentrant=False)
        else:
            core = causal_attention(q, k, v, self.flash, self.window, self.cap)
        return self.output(core.transpose(1, 2).reshape(b, t, width))


class FeedForward(nn.Module):
    """SwiGLU's W2 (SiLU(x W1) * x W3), GeGLU's W2 (GELU(x W1) * x W3), or GELU's W2 GELU(x W1)."""

    def __init__(self, width, d_ff, kind, bias):
        super().__init__()
        self.kind = kind
        self.w1 = Weight(width, d_ff, bias)
        self.w3 = Weight(width, d_ff, bias) if kind != "gelu" else None
        self.w2 = Weight(d_ff, width, bias)

    def forward(self, x):
        if self.kind == "gelu":
            return self.w2(F.gelu(self.w1(x), approximate="tanh"))
        gate = F.gelu(self.w1(x), approximate="tanh") if self.kind == "geglu" else F.silu(self.w1(x))
        return self.w2(gate * self.w3(x))


class Experts(nn.Module):
    """A mixture of experts as transformers' MixtralSparseMoeBlock runs it: a d x E router, a softmax over
    the E logits in float32, the top k divided by their sum and cast back, and for each expert its tokens
    found by torch.where, gathered, run through its MLP, multiplied by their gates and index_add_-ed into
    the output. Where the gates are unnormalized (Qwen2MoeSparseMoeBlock's norm_topk_prob false) the top k
    of the softmax are not divided by their sum; a shared expert (Qwen2-MoE's) is one more MLP every token
    runs, scaled by the sigmoid of its own d x 1 gate and added. Its parameters are registered expert by
    expert (W1, W3, W2), then the router, then the shared expert and its gate: not the order
    ZeroRedundancyOptimizer's partition would need, so options.refuse keeps experts off ZeRO.
    """

    def __init__(self, width, d_ff, kind, count, top_k, normalized=True, shared_d_ff=0):
        super().__init__()
        self.experts = nn.ModuleList(FeedForward(width, d_ff, kind, False) for _ in range(count))
        self.router = Weight(width, count)
        self.top_k = top_k
        self.normalized = normalized
        self.shared_expert = FeedForward(width, shared_d_ff, kind, False) if shared_d_ff else None
        self.shared_gate = Weight(width, 1) if shared_d_ff else None

    def forward(self, x):
        shape = x.shape
        h = x.reshape(-1, shape[-1])
        probabilities = F.softmax(self.router(h), dim=-1, dtype=torch.float)
        gates, chosen = torch.topk(probabilities, self.top_k, dim=-1)
        if self.normalized:
            gates = gates / gates.sum(dim=-1, keepdim=True)
        gates = gates.to(h.dtype)
        out = torch.zeros_like(h)
        mask = F.one_hot(chosen, num_classes=len(self.experts)).permute(2, 1, 0)
        for e, expert in enumerate(self.experts):
            choice, token = torch.where(mask[e])
            routed = expert(h[None, token].reshape(-1, shape[-1])) * gates[token, choice, None]
            out.index_add_(0, token, routed.to(h.dtype))
        if self.shared_expert is not None:
            out = out + torch.sigmoid(self.shared_gate(h)) * self.shared_expert(h)
        return out.reshape(shape)


class Block(nn.Module):
    def __init__(self, width, heads, kv_heads, d_ff, flash, selective, settings, layer=0):
        super().__init__()
        # the norms before each sublayer (Llama's), after it (OLMo 2's), or both (Gemma 2's sandwich)
        placement = settings.get("norm_placement", "pre")
        kind = settings.get("norm", "rmsnorm")
        self.attention_norm = norm(kind, width) if placement != "post" else None
        # a window pattern k leaves every k-th layer global (Gemma 2's 2: its odd layers)
        pattern = settings.get("window_pattern")
        window = None if pattern is not None and (layer + 1) % pattern == 0 else settings.get("sliding_window")
        self.attention = Attention(width, heads, kv_heads, flash, selective, settings.get("bias", "none"), window,
                                   settings.get("attention_softcap"), settings.get("qk_norm", "none"))
        self.attention_post_norm = RmsNorm(width) if placement != "pre" else None
        self.ffn_norm = norm(kind, width) if placement != "post" else None
        self.ffn_post_norm = RmsNorm(width) if placement != "pre" else None
        experts = settings.get("experts")
        if experts is not None and layer in (experts.get("dense_layers") or []):
            # a layer that stays dense among the experts (DeepSeek's first layers, Qwen's mlp_only_layers)
            self.ffn = FeedForward(width, experts["dense_d_ff"], settings.get("mlp", "swiglu"), False)
        elif experts is not None:
            self.ffn = Experts(width, d_ff, settings.get("mlp", "swiglu"), experts["count"], experts["top_k"],
                               experts.get("gates", "normalized") == "normalized",
                               experts.get("shared_expert_d_ff") or 0)
        else:
            self.ffn = FeedForward(width, d_ff, settings.get("mlp", "swiglu"), settings.get("bias", "none") == "all")

    def norms(self):
        """Every norm of the block, the query and key norms' included."""
        return [n for n in (self.attention_norm, self.attention.query_norm, self.attention.key_norm,
                            self.attention_post_norm, self.ffn_norm, self.ffn_post_norm) if n is not None]

    def forward(self, x):
        h = self.attention(x if self.attention_norm is None else self.attention_norm(x))
        x = x + (h if self.attention_post_norm is None else self.attention_post_norm(h))
        h = self.ffn(x if self.ffn_norm is None else self.ffn_norm(x))
        return x + (h if self.ffn_post_norm is None else self.ffn_post_norm(h))


class Transformer(nn.Module):
    """The model at ``shape`` (flopcast's JSON shape and settings objects), float32 or bfloat16."""

    def __init__(self, shape, settings):
        super().__init__()
        width = shape["d_model"]
        self.recompute = settings["recompute"]
        flash = settings["attention"] == "flash"
        self.token_embedding = Embedding(shape["vocab_size"], width)
        positions = settings.get("positions")
        self.position_embedding = Embedding(positions, width) if positions is not None else None
        self.layers = nn.ModuleList(
            Block(width, shape["num_heads"], settings["kv_heads"], shape["d_ff"], flash,
                  self.recompute == "selective", settings, layer)
            for layer in range(shape["num_layers"]))
        self.final_norm = norm(settings.get("norm", "rmsnorm"), width)
        self.tied = settings["tie_embeddings"]
        self.logit_cap = settings.get("logit_softcap")
        if not self.tied:
            self.lm_head = Weight(width, shape["vocab_size"])
        # --freeze: each kind's parameters keep their weights and take no gradient
        kinds = {"embeddings": [self.token_embedding, self.position_embedding],
                 "norms": [self.final_norm] + [n for b in self.layers for n in b.norms()],
                 "attention": [w for b in self.layers for w in (b.attention.query, b.attention.key, b.attention.value,
                                                                b.attention.output)],
                 "mlp": [b.ffn for b in self.layers],
                 "head": [] if self.tied else [self.lm_head]}
        for kind in settings.get("freeze") or []:
            for module in kinds[kind]:
                if module is not None:
                    module.requires_grad_(False)
        # --freeze-layers FIRST-LAST: every parameter of those blocks keeps its weight and takes no gradient
        frozen_layers = settings.get("freeze_layers")
        if frozen_layers is not None:
            first, _, last = frozen_layers.partition("-")
            for block in self.layers[int(first):int(last or first) + 1]:
                block.requires_grad_(False)
        lora = settings.get("lora")
        if lora is not None:
            self.requires_grad_(False)
            for block in self.layers:
                projections = {"query": [block.attention.query], "key": [block.attention.key],
                               "value": [block.attention.value], "output": [block.attention.output]}
                # under experts each expert's W1, W3 and W2 carries its own adapter, as PEFT wraps each
                mlps = block.ffn.experts if isinstance(block.ffn, Experts) else [block.ffn]
                for target in ("w1", "w3", "w2"):
                    projections[target] = [getattr(mlp, target) for mlp in mlps]
                for target in lora["targets"]:
                    for projection in projections[target]:
                        projection.adapt(lora["rank"], lora["alpha"])

    def forward(self, tokens, targets):
        x = self.token_embedding(tokens)
        if self.position_embedding is not None:
            # each token's position's row added: embedding saves the positions' int64 indices
            x = x + self.position_embedding(torch.arange(tokens.shape[1], device=tokens.device))
        for block in self.layers:
            if self.recompute == "full":
                x = checkpoint(block, x, use_reentrant=False)
            else:
                x = block(x)
        h = self.final_norm(x)
        logits = soft_cap(h @ self.token_embedding.weight.t() if self.tied else self.lm_head(h), self.logit_cap)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1))
