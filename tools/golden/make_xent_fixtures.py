#!/usr/bin/python3
"""Golden fixture for liquid4j's fused LM-head cross-entropy (F.linearCrossEntropy), from PyTorch.

Writes tensor/src/test/resources/golden/xent/linear_cross_entropy.safetensors (relative to the
repository root, whatever the current directory). In its own folder so that
make_core_fixtures.py, which deletes the *.safetensors of golden/ it does not produce, leaves it
alone. For each case <c> the file holds

  <c>.hidden       F32 [N, H]
  <c>.weight       [V, H], F32, or BF16 for the bf16 case (Linear layout [out, in])
  <c>.targets      I64 [N], some rows equal to the case's ignore_index
  <c>.loss         F32 0-d: mean over counted rows of (lse - logit[t]) + z_loss * lse^2,
                   logits = softcap * tanh((hidden @ weight.T) / softcap) (no cap when softcap = 0)
  <c>.grad_hidden  F32 [N, H]   d loss / d hidden
  <c>.grad_weight  F32 [V, H]   d loss / d weight (in f32 also for the bf16 weight: liquid4j
                   accumulates in f32 and rounds once, the test allows one bf16 rounding)

and the string metadata "cases" (a JSON list of {"name", "ignore_index", "z_loss", "softcap"}),
"generator" and "torch". The bf16 case computes in float32 from the bf16-exact weight values,
as liquid4j's GEMM does (it decodes the bf16 weight to f32 in registers).

The reference is written out with torch ops: F.cross_entropy(logits, t, ignore_index) plus the
z-loss term; F.cross_entropy alone is the case with z_loss = 0.

Run:  /usr/bin/python3 tools/golden/make_xent_fixtures.py
"""

import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from st import write_safetensors  # noqa: E402  (the shared fixture writer)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tensor", "src", "test", "resources", "golden", "xent", "linear_cross_entropy.safetensors")

N, H, V = 11, 12, 41


def loss_fn(hidden, weight, targets, ignore_index, z_loss, softcap):
    logits = hidden @ weight.float().T
    if softcap > 0:
        logits = softcap * torch.tanh(logits / softcap)
    ce = F.cross_entropy(logits, targets, ignore_index=ignore_index)
    if z_loss == 0:
        return ce
    valid = targets != ignore_index
    lse = torch.logsumexp(logits, -1)
    return ce + z_loss * ((lse * lse) * valid).sum() / valid.sum().clamp(min=1)


def make_case(name, ignore_index, z_loss, softcap, weight_dtype, scale):
    hidden = (torch.randn(N, H) * scale).requires_grad_(True)
    weight = torch.randn(V, H).to(weight_dtype)
    targets = torch.randint(0, V, (N,))
    targets[N - 1] = V - 1
    targets[torch.tensor([2, 7])] = ignore_index
    w = weight.float().requires_grad_(True)  # exact for bf16; the gradient is taken in f32
    loss = loss_fn(hidden, w, targets, ignore_index, z_loss, softcap)
    loss.backward()
    tensors = {
        f"{name}.hidden": hidden.detach(),
        f"{name}.weight": weight,
        f"{name}.targets": targets,
        f"{name}.loss": loss.detach(),
        f"{name}.grad_hidden": hidden.grad,
        f"{name}.grad_weight": w.grad,
    }
    return tensors, {"name": name, "ignore_index": ignore_index, "z_loss": z_loss, "softcap": softcap}


def main():
    torch.manual_seed(20241127)
    torch.set_num_threads(1)
    tensors, cases = {}, []
    for args in [
        # plain cross_entropy(x @ W.T), ignore_index -100
        ("plain_f32", -100, 0.0, 0.0, torch.float32, 1.0),
        # Gemma 2 style: softcap 5 on logits of spread ~10 (tanh clearly nonlinear), z-loss 1e-2,
        # an ignore index that is also a vocabulary id
        ("softcap_zloss_f32", 5, 1e-2, 5.0, torch.float32, 2.5),
        # the same with a bf16 weight
        ("softcap_zloss_bf16_weight", -100, 1e-2, 5.0, torch.bfloat16, 2.5),
        # z-loss without softcap, bf16 weight
        ("zloss_bf16_weight", -100, 1e-3, 0.0, torch.bfloat16, 1.0),
    ]:
        t, c = make_case(*args)
        tensors.update(t)
        cases.append(c)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    write_safetensors(OUT, tensors, {"cases": json.dumps(cases), "generator": "tools/golden/make_xent_fixtures.py",
                                     "torch": torch.__version__})
    size = os.path.getsize(OUT)
    if size > 50 * 1024:
        sys.exit(f"{OUT} is {size} bytes: keep fixtures small")
    print(f"{os.path.relpath(OUT, ROOT)}  {size} bytes, {len(cases)} cases")


if __name__ == "__main__":
    main()
