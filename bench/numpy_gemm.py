#!/usr/bin/python3
"""Times numpy float32 matmul (C = A @ B, square) as the SGEMM peer of GemmBench.

Prints which BLAS numpy calls (OpenBLAS core type, config, threads), then one line per size:
    RESULT <size> <best GFLOP/s> <median GFLOP/s>
Run with /usr/bin/python3 (Debian python3-numpy + libopenblas0-pthread); compare-cpu.sh unsets
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE so OpenBLAS picks its own kernels for this CPU.
"""
import argparse
import ctypes
import os
import statistics
import time

import numpy as np


def describe_blas():
    """OpenBLAS identifies itself through openblas_get_config/corename; try the loaded libraries."""
    for path in sorted(set(line.split()[-1] for line in open("/proc/self/maps") if "blas" in line)):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_get_corename.restype = ctypes.c_char_p
        except (OSError, AttributeError):
            continue
        return "%s | core %s | %d threads | %s" % (
            lib.openblas_get_config().decode(), lib.openblas_get_corename().decode(),
            lib.openblas_get_num_threads(), path)
    return "not OpenBLAS (see numpy.show_config())"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[1024, 2048, 4096])
    parser.add_argument("--seconds", type=float, default=6.0, help="timing budget per size")
    args = parser.parse_args()
    print("numpy %s, BLAS: %s" % (np.__version__, describe_blas()))
    print("OPENBLAS_CORETYPE=%s OPENBLAS_L2_SIZE=%s" % (
        os.environ.get("OPENBLAS_CORETYPE", "(unset)"), os.environ.get("OPENBLAS_L2_SIZE", "(unset)")))
    rng = np.random.default_rng(0)
    for n in args.sizes:
        a = rng.random((n, n), dtype=np.float32)
        b = rng.random((n, n), dtype=np.float32)
        c = np.empty((n, n), dtype=np.float32)
        for _ in range(2):  # warm-up: thread pool start, page faults on c
            np.matmul(a, b, out=c)
        times, start = [], time.perf_counter()
        while len(times) < 3 or (time.perf_counter() - start < args.seconds and len(times) < 50):
            t = time.perf_counter()
            np.matmul(a, b, out=c)
            times.append(time.perf_counter() - t)
        flops = 2.0 * n ** 3
        print("RESULT %d %.1f %.1f  (%d reps)" % (n, flops / min(times) / 1e9, flops / statistics.median(times) / 1e9,
                                                 len(times)))


if __name__ == "__main__":
    main()
