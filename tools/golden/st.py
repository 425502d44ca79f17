"""A minimal safetensors writer shared by the golden-fixture scripts (no safetensors package).

Layout: 8-byte little-endian header length, JSON header padded with spaces to a multiple of 8,
then the tensors' raw little-endian bytes, 8-byte types first (then 4, 2, 1; by name within a
size, as the reference writer does) so every tensor is aligned to its element size.
"""

import json
import struct

import torch

DTYPE_NAMES = {
    torch.float32: "F32",
    torch.bfloat16: "BF16",
    torch.float16: "F16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


def tensor_bytes(t):
    """Raw little-endian bytes of a CPU tensor (bf16 goes through int16: numpy has no bf16)."""
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()


def write_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> tensor; metadata: dict str -> str (may be None)."""
    items = sorted(tensors.items(), key=lambda kv: (-kv[1].element_size(), kv[0]))
    header = {"__metadata__": {k: str(v) for k, v in (metadata or {}).items()}}
    blobs = []
    offset = 0
    for name, t in items:
        if t.dtype not in DTYPE_NAMES:
            raise ValueError(f"{name}: unsupported dtype {t.dtype}")
        raw = tensor_bytes(t)
        header[name] = {
            "dtype": DTYPE_NAMES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        blobs.append(raw)
        offset += len(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
