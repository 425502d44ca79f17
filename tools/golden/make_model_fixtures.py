#!/usr/bin/python3
"""Golden fixtures for liquid4j's transformer families, computed with PyTorch fp32 eager code.

For each family (gemma, gemma2, qwen2, llama) this builds a tiny random checkpoint and writes,
under nn/src/test/resources/models/<family>/:

  config.json            an HF-style config (gemma2 in the transformers v5 key style:
                         rope_parameters + dtype + layer_types; the others in v4 style)
  model.safetensors      the weights (F32, HF names; tied families have no lm_head.weight)
  reference.safetensors  ids            I64 [1, T]      one sequence
                         logits         F32 [1, T, V]   logits at every position
                         batch_ids      I64 [2, T]      a left-padded batch (pad id 0)
                         batch_mask     I64 [2, T]      1 = token, 0 = padding
                         batch_logits   F32 [2, T, V]   (only unpadded positions are meaningful)
                         loss           F32 []          mean next-token cross-entropy of `ids`
                         grad.<name>    F32             d loss / d parameter, for every parameter

The model code below is written from ../shared/spec/models.md (not from transformers, which is
not installed): RMSNorm in fp32 (Llama: weight · y.to(dtype); Gemma: y · (1 + w)), rotate-half
RoPE with fp32 inverse frequencies (llama3 scaling), eager attention with the mask added as the
dtype's minimum, Gemma's rounded embedding normalizer, tanh-GELU, Gemma 2 sandwich norms,
query_pre_attn_scalar, both softcaps and the sliding window on even layers.

Also writes nn/src/test/resources/optim/adamw.safetensors: torch.optim.AdamW steps with grad-norm
clipping and a cosine-with-warmup learning rate, for the optimizer tests.

Run:  /usr/bin/python3 tools/golden/make_model_fixtures.py
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from st import write_safetensors  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT_DIR = os.path.join(ROOT, "nn", "src", "test", "resources")
T = 8  # sequence length of the fixtures

FAMILIES = {
    # Gemma 1: MQA (like gemma-2b), head_dim 12 with 3 heads so q_proj out 36 != hidden 24
    "gemma": dict(model_type="gemma", architectures=["GemmaForCausalLM"], vocab_size=48, hidden_size=24,
                  intermediate_size=40, num_hidden_layers=2, num_attention_heads=3, num_key_value_heads=1,
                  head_dim=12, rms_norm_eps=1e-6, rope_theta=10000.0, hidden_act="gelu",
                  hidden_activation=None, max_position_embeddings=64, tie_word_embeddings=True,
                  torch_dtype="float32", bos_token_id=2, eos_token_id=1, pad_token_id=0,
                  attention_bias=False),
    # Gemma 2: GQA 4/2, window 3 on even layers, small softcaps so they bite, q scalar != head_dim
    "gemma2": dict(model_type="gemma2", architectures=["Gemma2ForCausalLM"], vocab_size=48, hidden_size=16,
                   intermediate_size=32, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
                   head_dim=8, rms_norm_eps=1e-6, rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
                   hidden_activation="gelu_pytorch_tanh", max_position_embeddings=64, tie_word_embeddings=True,
                   dtype="float32", bos_token_id=2, eos_token_id=[1, 107], pad_token_id=0,
                   query_pre_attn_scalar=12, sliding_window=3, attn_logit_softcapping=1.5,
                   final_logit_softcapping=2.5,
                   layer_types=["sliding_attention", "full_attention", "sliding_attention"],
                   attention_bias=False),
    # Qwen2: q/k/v biases, GQA 4/2, tied, theta 1e6, a sliding_window that must be ignored
    "qwen2": dict(model_type="qwen2", architectures=["Qwen2ForCausalLM"], vocab_size=48, hidden_size=16,
                  intermediate_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                  rms_norm_eps=1e-6, rope_theta=1000000.0, hidden_act="silu", max_position_embeddings=64,
                  tie_word_embeddings=True, torch_dtype="float32", bos_token_id=None, eos_token_id=5,
                  use_sliding_window=False, sliding_window=2, max_window_layers=1),
    # Llama 3: MQA 2/1, head_dim 8, untied, llama3 rope scaling whose three bands all occur
    "llama": dict(model_type="llama", architectures=["LlamaForCausalLM"], vocab_size=48, hidden_size=16,
                  intermediate_size=32, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                  head_dim=8, rms_norm_eps=1e-5, rope_theta=10000.0, hidden_act="silu",
                  rope_scaling={"rope_type": "llama3", "factor": 4.0, "low_freq_factor": 1.0,
                                "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
                  max_position_embeddings=256, tie_word_embeddings=False, torch_dtype="float32",
                  bos_token_id=1, eos_token_id=2, attention_bias=False, mlp_bias=False),
}


# ------------------------------------------------------------------------------------------
# config helpers (the same defaults the Java ModelConfig applies)
# ------------------------------------------------------------------------------------------

def cfg_get(c, key, default=None):
    v = c.get(key, default)
    return default if v is None else v


def rope_theta(c):
    if "rope_parameters" in c:
        return c["rope_parameters"]["rope_theta"]
    return c["rope_theta"]


def rope_scaling(c):
    if "rope_parameters" in c:
        return c["rope_parameters"]
    return c.get("rope_scaling")


def head_dim(c):
    return cfg_get(c, "head_dim", c["hidden_size"] // c["num_attention_heads"])


def is_gemma(c):
    return c["model_type"] in ("gemma", "gemma2")


# ------------------------------------------------------------------------------------------
# the fp32 eager reference model
# ------------------------------------------------------------------------------------------

def param_shapes(c):
    h, inter, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    hd, nh, nkv = head_dim(c), c["num_attention_heads"], c["num_key_value_heads"]
    qkv_bias = c["model_type"] == "qwen2"
    shapes = {"model.embed_tokens.weight": (v, h)}
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        shapes[p + "input_layernorm.weight"] = (h,)
        shapes[p + "self_attn.q_proj.weight"] = (nh * hd, h)
        shapes[p + "self_attn.k_proj.weight"] = (nkv * hd, h)
        shapes[p + "self_attn.v_proj.weight"] = (nkv * hd, h)
        if qkv_bias:
            shapes[p + "self_attn.q_proj.bias"] = (nh * hd,)
            shapes[p + "self_attn.k_proj.bias"] = (nkv * hd,)
            shapes[p + "self_attn.v_proj.bias"] = (nkv * hd,)
        shapes[p + "self_attn.o_proj.weight"] = (h, nh * hd)
        shapes[p + "post_attention_layernorm.weight"] = (h,)
        if c["model_type"] == "gemma2":
            shapes[p + "pre_feedforward_layernorm.weight"] = (h,)
            shapes[p + "post_feedforward_layernorm.weight"] = (h,)
        shapes[p + "mlp.gate_proj.weight"] = (inter, h)
        shapes[p + "mlp.up_proj.weight"] = (inter, h)
        shapes[p + "mlp.down_proj.weight"] = (h, inter)
    shapes["model.norm.weight"] = (h,)
    if not c["tie_word_embeddings"]:
        shapes["lm_head.weight"] = (v, h)
    return shapes


def init_params(c, gen):
    out = {}
    for name, shape in param_shapes(c).items():
        if name.endswith("norm.weight"):
            # Gemma stores an offset around 0 (scale 1 + w), the others a scale around 1
            base = 0.0 if is_gemma(c) else 1.0
            out[name] = base + 0.1 * torch.randn(shape, generator=gen)
        elif name.endswith(".bias"):
            out[name] = 0.1 * torch.randn(shape, generator=gen)
        else:
            fan_in = shape[-1]
            std = 1.0 if name == "model.embed_tokens.weight" and not is_gemma(c) else fan_in ** -0.5
            if name == "model.embed_tokens.weight" and is_gemma(c):
                std = 0.3   # Gemma multiplies by sqrt(hidden) afterwards
            out[name] = std * torch.randn(shape, generator=gen)
    return out


def rms_norm(x, w, eps, gemma):
    x32 = x.float()
    y = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)
    if gemma:
        return (y * (1.0 + w.float())).to(x.dtype)
    return w * y.to(x.dtype)


def inv_freq(c):
    d = head_dim(c)
    base = rope_theta(c)
    inv = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    rs = rope_scaling(c)
    rtype = None if rs is None else rs.get("rope_type", rs.get("type"))
    if rtype == "llama3":
        factor, low, high = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        low_w, high_w = old / low, old / high
        wavelen = 2 * math.pi / inv
        scaled = torch.where(wavelen > low_w, inv / factor, inv)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_w) * ~(wavelen > low_w)
        inv = torch.where(medium, smoothed, scaled)
    return inv


def rope_cos_sin(c, positions):
    inv = inv_freq(c)
    freqs = (inv[None, :, None].float() @ positions[:, None, :].float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def attention(c, p, x, cos, sin, mask_bias, layer):
    b, t, _ = x.shape
    hd, nh, nkv = head_dim(c), c["num_attention_heads"], c["num_key_value_heads"]
    a = f"model.layers.{layer}.self_attn."
    q = F.linear(x, p[a + "q_proj.weight"], p.get(a + "q_proj.bias")).view(b, t, nh, hd).transpose(1, 2)
    k = F.linear(x, p[a + "k_proj.weight"], p.get(a + "k_proj.bias")).view(b, t, nkv, hd).transpose(1, 2)
    v = F.linear(x, p[a + "v_proj.weight"], p.get(a + "v_proj.bias")).view(b, t, nkv, hd).transpose(1, 2)
    cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    g = nh // nkv
    k = k.repeat_interleave(g, dim=1)   # query head h uses KV head h // g
    v = v.repeat_interleave(g, dim=1)
    if c["model_type"] == "gemma2":
        scaling = c["query_pre_attn_scalar"] ** -0.5
    else:
        scaling = hd ** -0.5
    scores = torch.matmul(q, k.transpose(2, 3)) * scaling
    cap = c.get("attn_logit_softcapping")
    if cap is not None:
        scores = torch.tanh(scores / cap) * cap
    scores = scores + mask_bias
    probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
    o = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, nh * hd)
    return F.linear(o, p[a + "o_proj.weight"])


def mlp(c, p, x, layer):
    m = f"model.layers.{layer}.mlp."
    gate = F.linear(x, p[m + "gate_proj.weight"])
    act = F.gelu(gate, approximate="tanh") if is_gemma(c) else F.silu(gate)
    return F.linear(act * F.linear(x, p[m + "up_proj.weight"]), p[m + "down_proj.weight"])


def is_sliding(c, layer):
    if c["model_type"] != "gemma2":
        return False
    types = c.get("layer_types")
    if types is not None:
        return types[layer] == "sliding_attention"
    return layer % 2 == 0


def mask_bias(c, attention_mask, layer):
    """Additive [B, 1, T, T] bias: 0 where key j is visible from query i, the f32 minimum elsewhere."""
    b, t = attention_mask.shape
    i = torch.arange(t)[:, None]
    j = torch.arange(t)[None, :]
    allowed = (j <= i)
    if is_sliding(c, layer):
        allowed = allowed & (i - c["sliding_window"] < j)
    allowed = allowed[None, None, :, :] & attention_mask.bool()[:, None, None, :]
    return torch.where(allowed, torch.tensor(0.0), torch.tensor(torch.finfo(torch.float32).min))


def forward(c, p, ids, attention_mask=None):
    if attention_mask is None:
        attention_mask = torch.ones_like(ids)
    positions = (attention_mask.cumsum(-1) - 1).clamp(min=0)
    gemma = is_gemma(c)
    eps = c["rms_norm_eps"]
    h = F.embedding(ids, p["model.embed_tokens.weight"])
    if gemma:
        h = h * torch.tensor(c["hidden_size"] ** 0.5, dtype=h.dtype)
    cos, sin = rope_cos_sin(c, positions)
    for layer in range(c["num_hidden_layers"]):
        pre = f"model.layers.{layer}."
        bias = mask_bias(c, attention_mask, layer)
        if c["model_type"] == "gemma2":
            r = h
            h = rms_norm(h, p[pre + "input_layernorm.weight"], eps, True)
            h = attention(c, p, h, cos, sin, bias, layer)
            h = r + rms_norm(h, p[pre + "post_attention_layernorm.weight"], eps, True)
            r = h
            h = rms_norm(h, p[pre + "pre_feedforward_layernorm.weight"], eps, True)
            h = mlp(c, p, h, layer)
            h = r + rms_norm(h, p[pre + "post_feedforward_layernorm.weight"], eps, True)
        else:
            h = h + attention(c, p, rms_norm(h, p[pre + "input_layernorm.weight"], eps, gemma), cos, sin, bias, layer)
            h = h + mlp(c, p, rms_norm(h, p[pre + "post_attention_layernorm.weight"], eps, gemma), layer)
    h = rms_norm(h, p["model.norm.weight"], eps, gemma)
    w = p.get("lm_head.weight", p["model.embed_tokens.weight"])
    logits = F.linear(h, w)
    cap = c.get("final_logit_softcapping")
    if cap is not None:
        logits = torch.tanh(logits / cap) * cap
    return logits


# ------------------------------------------------------------------------------------------
# fixtures
# ------------------------------------------------------------------------------------------

def make_family(name, c, seed):
    gen = torch.Generator().manual_seed(seed)
    params = init_params(c, gen)
    v = c["vocab_size"]
    ids = torch.randint(3, v, (1, T), generator=gen)
    # row 0 unpadded, row 1 with 3 pads (id 0) in front of 5 tokens
    batch_ids = torch.randint(3, v, (2, T), generator=gen)
    batch_mask = torch.ones(2, T, dtype=torch.int64)
    batch_mask[1, :3] = 0
    batch_ids[1, :3] = 0

    leaf = {k: t.clone().requires_grad_(True) for k, t in params.items()}
    logits = forward(c, leaf, ids)
    loss = F.cross_entropy(logits[0, :-1], ids[0, 1:])
    loss.backward()
    with torch.no_grad():
        batch_logits = forward(c, params, batch_ids, batch_mask)

    d = os.path.join(OUT_DIR, "models", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
        f.write("\n")
    meta = {"generator": "tools/golden/make_model_fixtures.py", "torch": torch.__version__}
    write_safetensors(os.path.join(d, "model.safetensors"), params, meta)
    ref = {"ids": ids, "logits": logits.detach(), "batch_ids": batch_ids, "batch_mask": batch_mask,
           "batch_logits": batch_logits, "loss": loss.detach()}
    for k, t in leaf.items():
        ref["grad." + k] = t.grad
    write_safetensors(os.path.join(d, "reference.safetensors"), ref, meta)


def make_adamw():
    """Five AdamW steps (clip to norm 1.0, cosine LR with 2 warmup steps of 5) on two tensors."""
    gen = torch.Generator().manual_seed(7)
    w0 = torch.randn(3, 4, generator=gen)
    b0 = torch.randn(4, generator=gen)
    w = w0.clone().requires_grad_(True)
    b = b0.clone().requires_grad_(True)
    lr, warmup, total, min_lr = 0.1, 2, 5, 0.01
    opt = torch.optim.AdamW([w, b], lr=lr, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    out = {"w0": w0, "b0": b0}
    lrs, norms = [], []
    for step in range(total):
        gw = torch.randn(3, 4, generator=gen) * (step + 1)
        gb = torch.randn(4, generator=gen)
        out[f"gw{step}"], out[f"gb{step}"] = gw, gb
        w.grad, b.grad = gw.clone(), gb.clone()
        norms.append(float(torch.nn.utils.clip_grad_norm_([w, b], 1.0)))
        if step < warmup:
            cur = lr * (step + 1) / warmup
        else:
            prog = (step - warmup) / max(1, total - warmup)
            cur = min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * prog))
        lrs.append(cur)
        for g in opt.param_groups:
            g["lr"] = cur
        opt.step()
        out[f"w{step + 1}"], out[f"b{step + 1}"] = w.detach().clone(), b.detach().clone()
    out["lrs"] = torch.tensor(lrs, dtype=torch.float32)
    out["norms"] = torch.tensor(norms, dtype=torch.float32)
    d = os.path.join(OUT_DIR, "optim")
    os.makedirs(d, exist_ok=True)
    write_safetensors(os.path.join(d, "adamw.safetensors"), out,
                      {"generator": "tools/golden/make_model_fixtures.py", "torch": torch.__version__,
                       "params": json.dumps({"lr": lr, "warmup": warmup, "total": total, "min_lr": min_lr,
                                             "betas": [0.9, 0.95], "eps": 1e-8, "weight_decay": 0.1,
                                             "max_norm": 1.0})})


def main():
    torch.manual_seed(0)
    for seed, (name, c) in enumerate(FAMILIES.items()):
        make_family(name, {k: v for k, v in c.items() if v is not None or k == "bos_token_id"}, 100 + seed)
    make_adamw()
    total = 0
    for dirpath, _, files in os.walk(OUT_DIR):
        for fn in sorted(files):
            if fn.endswith((".safetensors", ".json")) and ("models" in dirpath or "optim" in dirpath):
                size = os.path.getsize(os.path.join(dirpath, fn))
                total += size
                print(f"{os.path.relpath(os.path.join(dirpath, fn), ROOT)}: {size} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
