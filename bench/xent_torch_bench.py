#!/usr/bin/python3
"""PyTorch CPU peer of io.liquid4j.bench.XentRun: forward + backward of
F.cross_entropy(x @ W.T, t, ignore_index=-100) with x [N, H] and W [V, H] both requiring grad.

Same setup as XentProblem: W ~ N(0, 1/H) so the logits are ~ N(0, 1), random targets with every
16th row ignored. Uses every CPU (torch.set_num_threads(os.cpu_count())); prints one line per
run and the process's peak RSS (ru_maxrss) at the end.
Usage: /usr/bin/python3 bench/xent_torch_bench.py N V H [RUNS]
"""

import os
import resource
import sys
import time

import torch
import torch.nn.functional as F


def main():
    n, v, h = (int(a) for a in sys.argv[1:4])
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(42)
    t0 = time.perf_counter()
    x = torch.randn(n, h).requires_grad_(True)
    w = torch.randn(v, h).mul_(h ** -0.5).requires_grad_(True)  # in place: no second weight-sized copy
    t = torch.randint(0, v, (n,))
    t[15::16] = -100
    print(f"torch setup: {time.perf_counter() - t0:.1f} s, {torch.get_num_threads()} threads, torch {torch.__version__}", flush=True)
    for r in range(runs):
        t0 = time.perf_counter()
        loss = F.cross_entropy(x @ w.T, t, ignore_index=-100)
        loss.backward()
        value = loss.item()
        s = time.perf_counter() - t0
        x.grad = None
        w.grad = None
        del loss
        print(f"torch n={n} V={v} H={h} F32 run {r}: {s:.2f} s (loss {value:.5f})", flush=True)
    print(f"torch peak RSS (ru_maxrss): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")


if __name__ == "__main__":
    main()
