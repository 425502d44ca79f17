#!/usr/bin/python3
"""Golden fixtures for liquid4j's core tensor ops, computed with PyTorch.

Writes one safetensors file per op case into tensor/src/test/resources/golden/ (relative to
the repository root, whatever the current directory). Each file holds

  in0, in1, ...   the inputs (F32; I64 for indices and targets; U8 for boolean masks)
  out             the forward output (F32; I64 for argmax)
  proj            a random tensor of out's shape (only when out is floating)
  grad_in<i>      d sum(out * proj) / d in<i> for every floating input i

and the string metadata {"op": <op name>, "params": <JSON of the op's parameters>,
"generator": "tools/golden/make_core_fixtures.py", "torch": <torch version>}.

Everything is float32 and seeded: rerunning reproduces the files bit for bit on the same
PyTorch build (small last-bit differences are possible across builds and BLAS libraries).
The safetensors format is written directly (no safetensors package needed).

Run:  /usr/bin/python3 tools/golden/make_core_fixtures.py
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from st import write_safetensors  # noqa: E402  (the shared fixture writer)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT_DIR = os.path.join(ROOT, "tensor", "src", "test", "resources", "golden")

# ------------------------------------------------------------------------------------------
# case machinery
# ------------------------------------------------------------------------------------------

CASES = []


def case(name, op, params, inputs, fn, grad=True, transpose=(), nograd=()):
    """Registers a case: fn(*inputs) -> out.

    Floating inputs get gradients when grad is set, except the indices in nograd. For the
    indices in transpose the STORED input is the transpose (last two dims swapped) of what the
    op consumes: fn and the Java side both call transpose(-1, -2) on it first (a strided view,
    so the ops see non-contiguous operands), and params records "transpose_in<i>": true. The
    gradient grad_in<i> is with respect to the stored tensor.
    """
    params = dict(params)
    for i in transpose:
        params[f"transpose_in{i}"] = True
    if transpose:
        inner = fn

        def fn(*ts):
            return inner(*[t.transpose(-1, -2) if i in transpose else t for i, t in enumerate(ts)])
    CASES.append((name, op, params, inputs, fn, grad, tuple(nograd)))


def run_case(name, op, params, inputs, fn, grad, nograd):
    ins = []
    for i, t in enumerate(inputs):
        t = t.detach().clone()
        if grad and t.dtype == torch.float32 and i not in nograd:
            t.requires_grad_(True)
        ins.append(t)
    out = fn(*ins)
    tensors = {f"in{i}": t.detach() for i, t in enumerate(ins)}
    tensors["out"] = out.detach()
    if grad and out.dtype == torch.float32 and any(t.requires_grad for t in ins):
        proj = torch.randn(out.shape, dtype=torch.float32)
        (out * proj).sum().backward()
        tensors["proj"] = proj
        for i, t in enumerate(ins):
            if t.requires_grad:
                if t.grad is None:
                    raise RuntimeError(f"{name}: no gradient for in{i}")
                tensors[f"grad_in{i}"] = t.grad.detach()
    for k, t in tensors.items():
        if t.dtype == torch.float32 and not torch.isfinite(t).all() and op != "bf16_round":
            raise RuntimeError(f"{name}: non-finite values in {k}")
    meta = {
        "op": op,
        "params": json.dumps(params, separators=(",", ":"), sort_keys=True),
        "generator": "tools/golden/make_core_fixtures.py",
        "torch": torch.__version__,
    }
    path = os.path.join(OUT_DIR, name + ".safetensors")
    write_safetensors(path, tensors, meta)
    return path


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def positive(*shape, lo=0.2, hi=3.0):
    return lo + (hi - lo) * torch.rand(*shape, dtype=torch.float32)


def away_from_zero(*shape, margin=0.05):
    """Normal samples nudged away from 0 (for abs, relu, division: no kinks or poles)."""
    x = randn(*shape)
    return torch.where(x >= 0, x + margin, x - margin)


def away_from(x, points, margin=0.02):
    """Moves samples closer than margin to any of points (kinks of clamp, etc.) out of the way."""
    for p in points:
        x = torch.where((x - p).abs() < margin, x + 3 * margin, x)
    return x


def idx(high, *shape):
    return torch.randint(0, high, shape, dtype=torch.int64)


# ------------------------------------------------------------------------------------------
# the cases
# ------------------------------------------------------------------------------------------

def define_cases():
    # ---- binary elementwise with broadcasting --------------------------------------------
    case("add_broadcast", "add", {}, [randn(3, 1, 7), randn(5, 1)], torch.add)
    case("sub_broadcast", "sub", {}, [randn(5, 1), randn(3, 1, 7)], torch.sub)
    case("mul_broadcast", "mul", {}, [randn(3, 5, 7), randn(7)], torch.mul)
    case("div_broadcast", "div", {}, [randn(3, 5, 1), away_from_zero(5, 7, margin=0.5)], torch.div)
    case("add_same_shape", "add", {}, [randn(13, 33), randn(13, 33)], torch.add)
    case("mul_transposed", "mul", {}, [randn(7, 5), randn(5, 7)], torch.mul, transpose=(0,))
    case("div_scalar_like", "div", {}, [randn(5, 7), positive(1, 1)], torch.div)

    # ---- unary elementwise -----------------------------------------------------------------
    case("pow_int", "pow", {"exponent": 3.0}, [randn(5, 13)], lambda x: x.pow(3.0))
    case("pow_frac", "pow", {"exponent": 1.7}, [positive(5, 13)], lambda x: x.pow(1.7))
    case("pow_neg", "pow", {"exponent": -0.5}, [positive(5, 13, lo=0.5)], lambda x: x.pow(-0.5))
    case("pow_square", "pow", {"exponent": 2.0}, [randn(5, 13)], lambda x: x.pow(2.0))
    case("exp", "exp", {}, [3 * torch.rand(7, 13) * 2 - 3], torch.exp)
    case("exp_transposed", "exp", {}, [randn(3, 13, 7)], torch.exp, transpose=(0,))
    case("log", "log", {}, [positive(7, 13, lo=0.05, hi=5.0)], torch.log)
    case("sqrt", "sqrt", {}, [positive(7, 13, lo=0.05, hi=5.0)], torch.sqrt)
    case("rsqrt", "rsqrt", {}, [positive(7, 13, lo=0.2, hi=5.0)], torch.rsqrt)
    case("abs", "abs", {}, [away_from_zero(7, 13)], torch.abs)
    case("tanh", "tanh", {}, [2 * randn(7, 13)], torch.tanh)
    case("sigmoid", "sigmoid", {}, [3 * randn(7, 13)], torch.sigmoid)
    case("silu", "silu", {}, [3 * randn(7, 13)], F.silu)
    case("gelu", "gelu", {"approximate": "none"}, [3 * randn(7, 13)], lambda x: F.gelu(x))
    case("gelu_tanh", "gelu_tanh", {"approximate": "tanh"}, [3 * randn(7, 13)],
         lambda x: F.gelu(x, approximate="tanh"))
    case("relu", "relu", {}, [away_from_zero(7, 13)], F.relu)
    case("clamp", "clamp", {"min": -0.5, "max": 0.7}, [away_from(randn(7, 13), [-0.5, 0.7])],
         lambda x: x.clamp(-0.5, 0.7))
    cond = (torch.rand(5, 7) < 0.4).to(torch.uint8)
    case("where", "where", {}, [cond, randn(5, 7), randn(1, 7)],
         lambda c, a, b: torch.where(c.bool(), a, b))

    # ---- reductions ------------------------------------------------------------------------
    case("sum_dim_keepdim", "sum", {"dims": [1], "keepdim": True}, [randn(3, 7, 5)],
         lambda x: x.sum(1, keepdim=True))
    case("sum_dims", "sum", {"dims": [0, 2], "keepdim": False}, [randn(3, 7, 5)],
         lambda x: x.sum((0, 2)))
    case("sum_last", "sum", {"dims": [-1], "keepdim": False}, [randn(5, 33)],
         lambda x: x.sum(-1))
    case("sum_transposed", "sum", {"dims": [-1], "keepdim": False}, [randn(3, 33, 5)],
         lambda x: x.sum(-1), transpose=(0,))
    case("sum_all_dims", "sum", {"dims": [0, 1, 2], "keepdim": False}, [randn(3, 7, 5)],
         lambda x: x.sum((0, 1, 2)))
    case("mean_dim", "mean", {"dims": [1], "keepdim": False}, [randn(3, 7, 5)],
         lambda x: x.mean(1))
    case("mean_dims_keepdim", "mean", {"dims": [0, 2], "keepdim": True}, [randn(3, 7, 5)],
         lambda x: x.mean((0, 2), keepdim=True))
    case("var_unbiased", "var", {"dims": [1], "keepdim": False, "correction": 1}, [randn(5, 13)],
         lambda x: x.var(1, unbiased=True))
    case("var_dims", "var", {"dims": [0, 2], "keepdim": False, "correction": 1}, [randn(3, 7, 5)],
         lambda x: x.var((0, 2), unbiased=True))
    case("var_population_keepdim", "var", {"dims": [-1], "keepdim": True, "correction": 0},
         [randn(3, 5, 13)], lambda x: x.var(-1, unbiased=False, keepdim=True))
    case("max_dim", "max", {"dim": 1, "keepdim": False}, [randn(5, 13)],
         lambda x: x.max(1).values)
    case("max_dim0_keepdim", "max", {"dim": 0, "keepdim": True}, [randn(7, 5)],
         lambda x: x.max(0, keepdim=True).values)
    case("argmax", "argmax", {"dim": -1, "keepdim": False}, [randn(5, 13)],
         lambda x: x.argmax(-1), grad=False)
    case("argmax_dim0", "argmax", {"dim": 0, "keepdim": False}, [randn(7, 5)],
         lambda x: x.argmax(0), grad=False)
    case("logsumexp", "logsumexp", {"dim": -1, "keepdim": False}, [3 * randn(5, 33)],
         lambda x: torch.logsumexp(x, -1))
    case("logsumexp_large", "logsumexp", {"dim": -1, "keepdim": False}, [40 * randn(5, 13) + 100],
         lambda x: torch.logsumexp(x, -1))
    case("logsumexp_dim0_keepdim", "logsumexp", {"dim": 0, "keepdim": True}, [3 * randn(7, 5)],
         lambda x: torch.logsumexp(x, 0, keepdim=True))

    # ---- matmul and linear -----------------------------------------------------------------
    case("matmul_2d", "matmul", {}, [randn(7, 13), randn(13, 5)], torch.matmul)
    case("matmul_batched", "matmul", {}, [randn(3, 7, 13), randn(13, 5)], torch.matmul)
    case("matmul_batched_broadcast", "matmul", {}, [randn(2, 1, 5, 13), randn(3, 13, 7)],
         torch.matmul)
    case("matmul_batched_3d", "matmul", {}, [randn(3, 5, 33), randn(3, 33, 7)], torch.matmul)
    case("matmul_transposed_b", "matmul", {}, [randn(7, 13), randn(5, 13)], torch.matmul,
         transpose=(1,))
    case("matmul_transposed_a", "matmul", {}, [randn(13, 7), randn(13, 5)], torch.matmul,
         transpose=(0,))
    case("matmul_transposed_both_batched", "matmul", {}, [randn(3, 13, 7), randn(5, 13)],
         torch.matmul, transpose=(0, 1))
    # K = 300 > the GEMM's k-block (256); the weight gradient aᵀ·g has M = 300 > its m-block
    case("matmul_long_k", "matmul", {}, [randn(7, 300), randn(300, 5)], torch.matmul)
    # M <= 4 takes the matrix-vector path of the GEMM
    case("matmul_small_m", "matmul", {}, [randn(3, 33), randn(33, 13)], torch.matmul)
    case("matmul_vec_mat", "matmul", {}, [randn(33), randn(33, 7)], torch.matmul)
    case("matmul_mat_vec", "matmul", {}, [randn(5, 33), randn(33)], torch.matmul)
    case("linear", "linear", {}, [randn(2, 5, 13), randn(7, 13), randn(7)], F.linear)
    case("linear_no_bias", "linear", {}, [randn(5, 33), randn(3, 33)], F.linear)
    # a BF16 weight (the Java side converts in1, whose values are bf16-exact, with .to(BF16)
    # and feeds it to the GEMM undecoded); no gradient for the frozen 16-bit weight
    wq = randn(13, 33).to(torch.bfloat16).to(torch.float32)
    case("linear_bf16_weight", "linear", {"weight_bf16": True}, [randn(2, 7, 33), wq, randn(13)],
         F.linear, nograd=(1,))
    case("linear_bf16_weight_gemv", "linear", {"weight_bf16": True}, [randn(2, 33), wq],
         F.linear, nograd=(1,))

    # ---- softmax family -----------------------------------------------------------------------
    case("softmax_last", "softmax", {"dim": -1}, [3 * randn(5, 33)], lambda x: F.softmax(x, -1))
    case("softmax_dim0", "softmax", {"dim": 0}, [3 * randn(7, 5)], lambda x: F.softmax(x, 0))
    case("softmax_mid", "softmax", {"dim": 1}, [3 * randn(3, 7, 5)], lambda x: F.softmax(x, 1))
    case("softmax_large", "softmax", {"dim": -1}, [30 * randn(5, 13) - 200],
         lambda x: F.softmax(x, -1))
    case("softmax_transposed", "softmax", {"dim": -1}, [3 * randn(3, 13, 5)],
         lambda x: F.softmax(x, -1), transpose=(0,))
    case("log_softmax_large", "log_softmax", {"dim": -1}, [30 * randn(5, 13) + 200],
         lambda x: F.log_softmax(x, -1))
    # softmax(x + c) == softmax(x): a large shift must not cost accuracy (PyTorch computes
    # (x − max) − log Σ exp(x − max), exact in the first subtraction)
    case("log_softmax_shifted", "log_softmax", {"dim": -1}, [3 * randn(5, 13) + 1000],
         lambda x: F.log_softmax(x, -1))
    case("log_softmax_last", "log_softmax", {"dim": -1}, [3 * randn(5, 33)],
         lambda x: F.log_softmax(x, -1))
    case("log_softmax_dim0", "log_softmax", {"dim": 0}, [3 * randn(7, 5)],
         lambda x: F.log_softmax(x, 0))

    # ---- indexing and joining ------------------------------------------------------------------
    case("gather", "gather", {"dim": 1}, [randn(5, 7), idx(7, 5, 4)],
         lambda x, i: torch.gather(x, 1, i))
    case("gather_dim0", "gather", {"dim": 0}, [randn(5, 7), idx(5, 3, 7)],
         lambda x, i: torch.gather(x, 0, i))
    case("index_select", "index_select", {"dim": 0}, [randn(7, 5), torch.tensor([3, 0, 6, 3, 1, 3, 5, 0, 2])],
         lambda x, i: torch.index_select(x, 0, i))
    case("index_select_dim1", "index_select", {"dim": 1}, [randn(3, 7, 5), torch.tensor([4, 4, 0, 2])],
         lambda x, i: torch.index_select(x, 1, i))
    case("embedding", "embedding", {}, [idx(13, 2, 5), randn(13, 8)],
         lambda i, w: F.embedding(i, w))
    case("scatter_add", "scatter_add", {"dim": 1}, [randn(5, 7), idx(7, 5, 4), randn(5, 4)],
         lambda x, i, s: x.scatter_add(1, i, s))
    case("scatter_add_dim0", "scatter_add", {"dim": 0}, [randn(5, 3), idx(5, 7, 3), randn(7, 3)],
         lambda x, i, s: x.scatter_add(0, i, s))
    case("cat", "cat", {"dim": 1}, [randn(3, 2, 5), randn(3, 4, 5), randn(3, 1, 5)],
         lambda *ts: torch.cat(ts, 1))
    case("cat_last", "cat", {"dim": -1}, [randn(3, 5), randn(3, 7)], lambda *ts: torch.cat(ts, -1))
    case("stack", "stack", {"dim": 1}, [randn(3, 5), randn(3, 5), randn(3, 5)],
         lambda *ts: torch.stack(ts, 1))
    case("stack_first", "stack", {"dim": 0}, [randn(3, 5), randn(3, 5)], lambda *ts: torch.stack(ts, 0))

    # ---- convolution and resampling --------------------------------------------------------
    case("conv2d_s1_p1", "conv2d", {"stride": 1, "padding": 1},
         [randn(2, 3, 7, 7), randn(5, 3, 3, 3), randn(5)],
         lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1))
    case("conv2d_s2_p0", "conv2d", {"stride": 2, "padding": 0},
         [randn(2, 3, 9, 9), randn(4, 3, 3, 3), randn(4)],
         lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=0))
    case("conv2d_1x1", "conv2d", {"stride": 1, "padding": 0},
         [randn(2, 5, 7, 7), randn(3, 5, 1, 1), randn(3)],
         lambda x, w, b: F.conv2d(x, w, b))
    case("conv2d_s2_p1_nobias", "conv2d", {"stride": 2, "padding": 1},
         [randn(1, 4, 7, 5), randn(3, 4, 3, 3)],
         lambda x, w: F.conv2d(x, w, None, stride=2, padding=1))
    case("conv2d_rect", "conv2d", {"stride": [1, 2], "padding": [2, 0]},
         [randn(2, 3, 5, 9), randn(4, 3, 5, 3), randn(4)],
         lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=(2, 0)))
    case("upsample_nearest", "upsample_nearest", {"scale": 2}, [randn(2, 3, 5, 7)],
         lambda x: F.interpolate(x, scale_factor=2, mode="nearest"))
    case("pad", "pad", {"pads": [1, 2, 0, 1], "value": 0.5}, [randn(2, 3, 5, 7)],
         lambda x: F.pad(x, (1, 2, 0, 1), mode="constant", value=0.5))
    case("pad_zero", "pad", {"pads": [1, 2, 0, 1], "value": 0.0}, [randn(3, 5, 7)],
         lambda x: F.pad(x, (1, 2, 0, 1)))

    # ---- normalisation -------------------------------------------------------------------------
    case("group_norm", "group_norm", {"groups": 4, "eps": 1e-6},
         [randn(2, 32, 5, 5) * 2 + 0.5, 1 + 0.1 * randn(32), 0.1 * randn(32)],
         lambda x, w, b: F.group_norm(x, 4, w, b, eps=1e-6))
    case("group_norm_no_affine", "group_norm", {"groups": 3, "eps": 1e-5},
         [randn(2, 9, 3, 5) - 1.0], lambda x: F.group_norm(x, 3, None, None, eps=1e-5))
    case("rms_norm", "rms_norm", {"eps": 1e-6}, [randn(3, 5, 33), 1 + 0.1 * randn(33)],
         lambda x, w: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w)
    case("rms_norm_small", "rms_norm", {"eps": 1e-5}, [1e-3 * randn(7, 13), 1 + 0.1 * randn(13)],
         lambda x, w: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w)
    case("rms_norm_no_weight_transposed", "rms_norm", {"eps": 1e-6}, [randn(33, 7)],
         lambda x: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6), transpose=(0,))
    case("layer_norm", "layer_norm", {"eps": 1e-5},
         [randn(3, 5, 33) * 1.5 + 0.3, 1 + 0.1 * randn(33), 0.1 * randn(33)],
         lambda x, w, b: F.layer_norm(x, (33,), w, b, eps=1e-5))
    case("layer_norm_no_affine", "layer_norm", {"eps": 1e-6}, [randn(7, 13) * 3 + 5],
         lambda x: F.layer_norm(x, (13,), None, None, eps=1e-6))

    # ---- attention ------------------------------------------------------------------------------
    def attention(q, k, v, scale):
        lq, lk = q.shape[-2], k.shape[-2]
        i = torch.arange(lk - lq, lk).unsqueeze(1)
        j = torch.arange(lk).unsqueeze(0)
        bias = torch.zeros(lq, lk).masked_fill(j > i, float("-inf"))
        return torch.softmax(q @ k.transpose(-1, -2) * scale + bias, dim=-1) @ v

    scale = 1 / math.sqrt(8)
    case("attention_causal", "attention", {"causal": True, "scale": scale},
         [randn(2, 3, 5, 8), randn(2, 3, 5, 8), randn(2, 3, 5, 8)],
         lambda q, k, v: attention(q, k, v, scale))
    case("attention_causal_kv", "attention", {"causal": True, "scale": scale},
         [randn(2, 3, 3, 8), randn(2, 3, 5, 8), randn(2, 3, 5, 8)],
         lambda q, k, v: attention(q, k, v, scale))

    case("attention_no_mask", "attention", {"causal": False, "scale": 0.3},
         [randn(2, 4, 8), randn(2, 7, 8), randn(2, 7, 5)],
         lambda q, k, v: torch.softmax(q @ k.transpose(-1, -2) * 0.3, dim=-1) @ v)

    # ---- losses ------------------------------------------------------------------------------
    n, v = 13, 33
    targets = idx(v, n)
    targets[torch.tensor([1, 4, 5, 11])] = -100

    def ce_zloss(logits, t, lam):
        valid = t != -100
        safe = torch.where(valid, t, torch.zeros_like(t))
        lse = torch.logsumexp(logits, -1)
        picked = logits.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
        count = valid.sum()
        ce = ((lse - picked) * valid).sum() / count
        z = ((lse * lse) * valid).sum() / count
        return ce + lam * z

    case("cross_entropy_zloss", "cross_entropy", {"ignore_index": -100, "z_loss": 1e-4},
         [3 * randn(n, v), targets.clone()], lambda x, t: ce_zloss(x, t, 1e-4))
    case("cross_entropy", "cross_entropy", {"ignore_index": -100, "z_loss": 0.0},
         [3 * randn(n, v), targets.clone()],
         lambda x, t: F.cross_entropy(x, t, ignore_index=-100))
    # a large z-loss weight makes the z term's gradient (2λ·lse·softmax) clearly visible
    case("cross_entropy_zloss_large", "cross_entropy", {"ignore_index": -100, "z_loss": 0.1},
         [3 * randn(n, v) + 2, targets.clone()], lambda x, t: ce_zloss(x, t, 0.1))

    # a large common offset of the logits must not cost accuracy (cross-entropy is shift-invariant)
    case("cross_entropy_shifted", "cross_entropy", {"ignore_index": -100, "z_loss": 0.0},
         [3 * randn(n, v) + 1000, targets.clone()],
         lambda x, t: F.cross_entropy(x, t, ignore_index=-100))

    # ---- bf16 rounding ---------------------------------------------------------------------------
    bits = [
        0x3F800000,  # 1.0 exact
        0x3F808000,  # tie, upper mantissa even -> stays 0x3F80
        0x3F818000,  # tie, upper mantissa odd -> rounds up to 0x3F82
        0xBF808000,  # negative tie, even
        0xBF818000,  # negative tie, odd
        0x3F808001,  # just above a tie -> up
        0x3F807FFF,  # just below a tie -> down
        0x3F7FFFFF,  # rounds up across the exponent boundary to 1.0
        0x7F7FFFFF,  # f32 max -> rounds to +inf in bf16
        0x7F7F7FFF,  # large, rounds down to bf16 max 0x7F7F
        0xFF7FFFFF,  # -f32 max -> -inf
        0x7F800000,  # +inf
        0xFF800000,  # -inf
        0x00000000,  # +0
        0x80000000,  # -0
        0x00000001,  # smallest subnormal -> 0
        0x00008000,  # subnormal tie, even -> 0
        0x00018000,  # subnormal tie, odd -> 0x0002
        0x007FFFFF,  # largest subnormal -> rounds to smallest normal 0x0080
        0x00800000,  # smallest normal
        0x0DA24260,  # ~1e-30
        0x7149F2CA,  # ~1e30
        0x40490FDB,  # pi
        0xC2F6E979,  # -123.456
        0x7FC00000,  # quiet NaN
        0x7F800001,  # signalling NaN with a low payload: must stay NaN (not become inf)
        0xFFC00001,  # negative NaN
    ]
    special = torch.tensor([b - (1 << 32) if b >= (1 << 31) else b for b in bits], dtype=torch.int32).view(torch.float32)
    mags = torch.exp(torch.empty(40).uniform_(-30, 30)) * torch.sign(torch.randn(40))
    vals = torch.cat([special, randn(33), mags.to(torch.float32)])
    case("bf16_round", "bf16_round", {}, [vals], lambda x: x.to(torch.bfloat16).to(torch.float32), grad=False)


def main():
    torch.manual_seed(20240611)
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    define_cases()
    names = [c[0] for c in CASES]
    if len(set(names)) != len(names):
        sys.exit("duplicate case names")
    # drop stale fixtures from earlier runs of this script
    for f in os.listdir(OUT_DIR):
        if f.endswith(".safetensors") and f[: -len(".safetensors")] not in names:
            os.remove(os.path.join(OUT_DIR, f))
    total = 0
    for c in CASES:
        torch.manual_seed(hash_name(c[0]))  # proj draws depend only on the case name
        p = run_case(*c)
        size = os.path.getsize(p)
        total += size
        if size > 50 * 1024:
            sys.exit(f"{p} is {size} bytes: keep fixtures small")
        print(f"{os.path.relpath(p, ROOT)}  {size} bytes")
    print(f"{len(CASES)} files, {total} bytes")


def hash_name(s):
    h = 0
    for ch in s.encode():
        h = (h * 131 + ch) % (1 << 31)
    return h


if __name__ == "__main__":
    main()
