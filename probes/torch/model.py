"""The complete accounting's model in PyTorch: the JVM model's layers, in its parameter order.

Token embedding, L pre-norm blocks (RMSNorm, causal attention with h_kv key and value heads,
RMSNorm, SwiGLU FFN), a final RMSNorm and the LM head (or the token embedding's transpose when
tied); no biases, no positional encoding (RoPE adds no parameters; the JVM model leaves it out
too). Parameters are registered in the order analytic's DataParallel.tensors lists them, so that
``model.parameters()`` and ZeroRedundancyOptimizer's partition see the same order.
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


class Weight(nn.Module):
    """One d_in x d_out matrix, applied as x @ W (the JVM layout)."""

    def __init__(self, rows, columns):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(rows, columns).normal_(0.0, INIT_STD))

    def forward(self, x):
        return x @ self.weight


class Embedding(nn.Module):
    def __init__(self, vocab, width):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(vocab, width).normal_(0.0, INIT_STD))

    def forward(self, tokens):
        return F.embedding(tokens, self.weight)


def causal_attention(q, k, v, flash):
    """softmax(masked Q K^T / sqrt(d_k)) V per head; q is [B, h, T, d_k], k and v [B, h_kv, T, d_k]."""
    groups = q.shape[1] // k.shape[1]
    if groups > 1:
        k = k.repeat_interleave(groups, dim=1)
        v = v.repeat_interleave(groups, dim=1)
    if flash:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
    t = q.shape[2]
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    mask = torch.ones(t, t, dtype=torch.bool, device=q.device).triu(1)
    probabilities = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
    return probabilities @ v


class Attention(nn.Module):
    def __init__(self, width, heads, kv_heads, flash, selective):
        super().__init__()
        self.heads = heads
        self.kv_heads = kv_heads
        self.flash = flash
        self.selective = selective
        head_dim = width // heads
        self.query = Weight(width, width)
        self.key = Weight(width, kv_heads * head_dim)
        self.value = Weight(width, kv_heads * head_dim)
        self.output = Weight(width, width)

    def forward(self, x):
        b, t, width = x.shape
        head_dim = width // self.heads
        q = self.query(x).view(b, t, self.heads, head_dim).transpose(1, 2)
        k = self.key(x).view(b, t, self.kv_heads, head_dim).transpose(1, 2)
        v = self.value(x).view(b, t, self.kv_heads, head_dim).transpose(1, 2)
        if self.selective:
            core = checkpoint(causal_attention, q, k, v, self.flash, use_reentrant=False)
        else:
            core = causal_attention(q, k, v, self.flash)
        return self.output(core.transpose(1, 2).reshape(b, t, width))


class FeedForward(nn.Module):
    def __init__(self, width, d_ff):
        super().__init__()
        self.w1 = Weight(width, d_ff)
        self.w3 = Weight(width, d_ff)
        self.w2 = Weight(d_ff, width)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, width, heads, kv_heads, d_ff, flash, selective):
        super().__init__()
        self.attention_norm = RmsNorm(width)
        self.attention = Attention(width, heads, kv_heads, flash, selective)
        self.ffn_norm = RmsNorm(width)
        self.ffn = FeedForward(width, d_ff)

    def forward(self, x):
        x = x + self.attention(self.attention_norm(x))
        return x + self.ffn(self.ffn_norm(x))


class Transformer(nn.Module):
    """The model at ``shape`` (flopcast's JSON shape and settings objects), float32 or bfloat16."""

    def __init__(self, shape, settings):
        super().__init__()
        width = shape["d_model"]
        self.recompute = settings["recompute"]
        flash = settings["attention"] == "flash"
        self.token_embedding = Embedding(shape["vocab_size"], width)
        self.layers = nn.ModuleList(
            Block(width, shape["num_heads"], settings["kv_heads"], shape["d_ff"], flash,
                  self.recompute == "selective")
            for _ in range(shape["num_layers"]))
        self.final_norm = RmsNorm(width)
        self.tied = settings["tie_embeddings"]
        if not self.tied:
            self.lm_head = Weight(width, shape["vocab_size"])

    def forward(self, tokens, targets):
        x = self.token_embedding(tokens)
        for block in self.layers:
            if self.recompute == "full":
                x = checkpoint(block, x, use_reentrant=False)
            else:
                x = block(x)
        h = self.final_norm(x)
        logits = h @ self.token_embedding.weight.t() if self.tied else self.lm_head(h)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1))
