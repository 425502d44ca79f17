#!/usr/bin/python3
"""PyTorch CPU peer of AttentionBench: causal attention composed as
softmax(q @ k^T * scale + causal_mask) @ v, forward and forward+backward, on 2 threads.

One configuration per process, so that the peak RSS printed at the end (ru_maxrss, the same
quantity as /usr/bin/time's "Maximum resident set size") belongs to that configuration alone.
Usage: /usr/bin/python3 bench/attention_torch_bench.py T fwd|fwdbwd [HEADS] [DIM] [RUNS]
Prints: RESULT torch <mode> <T> <best ms> <median ms> peak-rss-MiB <peak RSS> start-rss-MiB <RSS after import>
"""

import resource
import statistics
import sys
import time

import torch


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    start_rss = rss_mib()
    t = int(sys.argv[1])
    mode = sys.argv[2]
    heads = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    dim = int(sys.argv[4]) if len(sys.argv) > 4 else 64
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(1)
    q = torch.randn(1, heads, t, dim, generator=g)
    k = torch.randn(1, heads, t, dim, generator=g)
    v = torch.randn(1, heads, t, dim, generator=g)
    grad_out = torch.randn(1, heads, t, dim, generator=g)
    mask = torch.full((t, t), float("-inf")).triu(1)      # additive causal mask, built once
    scale = dim ** -0.5
    backward = mode == "fwdbwd"
    if backward:
        q.requires_grad_(True)
        k.requires_grad_(True)
        v.requires_grad_(True)

    def step():
        with torch.set_grad_enabled(backward):
            out = torch.softmax(q @ k.transpose(-1, -2) * scale + mask, dim=-1) @ v
            if backward:
                out.backward(grad_out)
                q.grad = k.grad = v.grad = None

    times = []
    for r in range(runs + 1):
        t0 = time.perf_counter()
        step()
        dt = (time.perf_counter() - t0) * 1e3
        if r > 0:  # run 0 warms up
            times.append(dt)
        print(f"torch {mode} T={t} run {r}{' (warm-up)' if r == 0 else ''}: {dt:.1f} ms", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"RESULT torch {mode} {t} {min(times):.1f} {statistics.median(times):.1f} peak-rss-MiB {peak:.0f} start-rss-MiB {start_rss:.0f}")


if __name__ == "__main__":
    main()
