#!/usr/bin/python3
"""PyTorch CPU timing of the full Chameleon VQGAN on one 512×512 image (the peer of VqganBench).

Loads the weights and input that tools/golden/make_vqgan_fixtures.py --full wrote (DIR, default
target/vqgan-full), uses every CPU (torch.set_num_threads(os.cpu_count())), runs encode and
decode once to warm up, then prints the best of RUNS timed runs and the peak RSS.
Usage: /usr/bin/python3 bench/vqgan_torch_bench.py [DIR] [RUNS]
"""

import json
import os
import resource
import struct
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "golden"))
from vqgan_reference import VQModel  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    types = {"F32": torch.float32, "I64": torch.int64, "F16": torch.float16}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        out[k] = torch.frombuffer(bytearray(data[b:e]), dtype=types[v["dtype"]]).reshape(v["shape"])
    return out


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "target/vqgan-full"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    torch.set_num_threads(os.cpu_count())
    cfg = json.load(open(os.path.join(d, "config.json")))
    dd = {k: cfg[k] for k in ("double_z", "z_channels", "resolution", "in_channels", "out_ch", "ch", "ch_mult",
                              "num_res_blocks", "attn_resolutions", "dropout")}
    m = VQModel(dd, cfg["n_embed"], cfg["embed_dim"]).eval()
    m.load_state_dict(read_safetensors(os.path.join(d, "model.safetensors")))
    io = read_safetensors(os.path.join(d, "io.safetensors"))
    x, codes = io["x"], io["codes"]
    best = {"encode": 1e9, "decode": 1e9}
    with torch.no_grad():
        for r in range(runs + 1):
            t0 = time.perf_counter()
            m.quantize.codes(m.encode_latent(x))
            te = time.perf_counter() - t0
            t0 = time.perf_counter()
            m.decode_codes(codes)
            td = time.perf_counter() - t0
            print(f"torch run {r}{' (warm-up)' if r == 0 else ''}: encode {te:.3f} s, decode {td:.3f} s", flush=True)
            if r > 0:
                best["encode"], best["decode"] = min(best["encode"], te), min(best["decode"], td)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads: best encode {best['encode']:.3f} s, "
          f"best decode {best['decode']:.3f} s, peak RSS {rss} MiB")


if __name__ == "__main__":
    main()
