#!/usr/bin/python3
"""PyTorch CPU peer of io.liquid4j.bench.TrainBench: training throughput of the same Llama-style
model (tied embeddings, multi-head attention, RoPE rotate-half, RMSNorm, SwiGLU MLP, no biases)
on the same random batches (the same 64-bit LCG) with the same AdamW (lr 1e-3, betas 0.9/0.999,
eps 1e-8, weight decay 0) and gradient clipping (max norm 1.0).

Attention is F.scaled_dot_product_attention(q, k, v, is_causal=True) where this torch has it
(>= 2.0), else (Debian's torch 1.13) or with --composed softmax(q k^T / sqrt(d) + mask) v.
Weights: N(0, 0.02) (not the same values as the Java side; throughput does not depend on them).
Usage: /usr/bin/python3 bench/train_torch_bench.py VOCAB HIDDEN LAYERS HEADS INTER SEQ BATCH WARMUP STEPS [--composed]
"""

import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MASK64 = (1 << 64) - 1


def lcg_ids(seed, count, vocab):
    x = seed
    out = [0] * count
    for i in range(count):
        x = (x * 6364136223846793005 + 1442695040888963407) & MASK64
        out[i] = (x >> 33) % vocab
    return out


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Block(nn.Module):
    def __init__(self, h, heads, inter, composed):
        super().__init__()
        self.heads, self.hd, self.composed = heads, h // heads, composed
        self.input_layernorm = RMSNorm(h)
        self.q_proj = nn.Linear(h, h, bias=False)
        self.k_proj = nn.Linear(h, h, bias=False)
        self.v_proj = nn.Linear(h, h, bias=False)
        self.o_proj = nn.Linear(h, h, bias=False)
        self.post_attention_layernorm = RMSNorm(h)
        self.gate_proj = nn.Linear(h, inter, bias=False)
        self.up_proj = nn.Linear(h, inter, bias=False)
        self.down_proj = nn.Linear(inter, h, bias=False)

    def forward(self, x, cos, sin, mask):
        b, l, h = x.shape
        y = self.input_layernorm(x)
        q = self.q_proj(y).view(b, l, self.heads, self.hd).transpose(1, 2)
        k = self.k_proj(y).view(b, l, self.heads, self.hd).transpose(1, 2)
        v = self.v_proj(y).view(b, l, self.heads, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if self.composed:
            s = q @ k.transpose(-1, -2) / math.sqrt(self.hd) + mask
            a = torch.softmax(s, dim=-1) @ v
        else:
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.o_proj(a.transpose(1, 2).reshape(b, l, h))
        y = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(y)) * self.up_proj(y))


class Llama(nn.Module):
    def __init__(self, vocab, h, layers, heads, inter, seq, composed):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, h)
        self.layers = nn.ModuleList(Block(h, heads, inter, composed) for _ in range(layers))
        self.norm = RMSNorm(h)
        hd = h // heads
        inv = 1.0 / (10000.0 ** (torch.arange(0, hd, 2).float() / hd))
        f = torch.outer(torch.arange(seq).float(), inv)
        emb = torch.cat((f, f), dim=-1)
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)
        self.register_buffer("mask", torch.full((seq, seq), float("-inf")).triu(1), persistent=False)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids):
        l = ids.shape[1]
        x = self.embed_tokens(ids)
        cos, sin, mask = self.cos[:l], self.sin[:l], self.mask[:l, :l]
        for blk in self.layers:
            x = blk(x, cos, sin, mask)
        return self.norm(x) @ self.embed_tokens.weight.t()  # tied LM head


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    composed = "--composed" in sys.argv or not hasattr(F, "scaled_dot_product_attention")
    vocab, h, layers, heads, inter, seq, batch, warmup, steps = (int(a) for a in args[:9])
    torch.set_num_threads(2)
    torch.manual_seed(1)
    m = Llama(vocab, h, layers, heads, inter, seq, composed)
    params = sum(p.numel() for p in m.parameters())
    total = warmup + steps
    all_ids = torch.tensor(lcg_ids(12345, total * batch * seq, vocab), dtype=torch.long).view(total, batch, seq)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    print(f"torch params {params}, seq {seq} batch {batch}, {torch.get_num_threads()} threads, torch {torch.__version__},"
          f" attention {'composed softmax(qk^T/sqrt(d)+mask)v' if composed else 'F.scaled_dot_product_attention(is_causal=True)'}", flush=True)
    timed = 0.0
    times = []
    for step in range(total):
        ids = all_ids[step]
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits = m(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, vocab), ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        lv = loss.item()
        dt = time.perf_counter() - t0
        if step >= warmup:
            timed += dt
            times.append(dt)
        print(f"torch step {step}{' (warm-up)' if step < warmup else ''}: {dt:.3f} s loss {lv:.4f}", flush=True)
    tps = steps * batch * seq / timed
    times.sort()
    median = times[steps // 2] if steps % 2 else (times[steps // 2 - 1] + times[steps // 2]) / 2
    mtps = batch * seq / median
    print(f"torch tokens/s {tps:.1f} median-step tokens/s {mtps:.1f} params {params} train GFLOP/s {6 * params * mtps / 1e9:.2f}"
          f" (6*params*median tokens/s), {steps} timed steps {timed:.2f} s, median {median:.3f} s, best {times[0]:.3f} s")


if __name__ == "__main__":
    main()
