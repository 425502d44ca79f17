#!/usr/bin/python3
"""Golden fixtures for liquid4j's VQGAN (nn/vqgan) and its PyTorch checkpoint importer.

Small config (committed, ~0.6 MB in all):
  nn/src/test/resources/vqgan/small_config.json        the VqConfig (yaml key names)
  nn/src/test/resources/vqgan/small_model.safetensors  weights, stored F16 (values are exactly
                                                       F16; quant_conv.weight exactly BF16)
  nn/src/test/resources/vqgan/small_io.safetensors     x [2,3,16,16] (noise, smooth picture),
                                                       z = encoder(x), h = quant_conv(z),
                                                       codes = argmin (I64 [2,8,8]),
                                                       dec = decode(codes), dec_h = decoder(post_quant_conv(h))
  nn/src/test/resources/vqgan/resblock_nin.safetensors a ResnetBlock 32→64 (nin_shortcut) with
                                                       in/out, since the small model keeps one width
  tools/convert-weights/src/test/resources/vqgan/small.ckpt   the same weights saved by torch.save as
        a Lightning-style checkpoint: {"state_dict": ..., "epoch", "global_step", "optimizer_states",
        "lr_schedulers"}; storages mixed (F16 mostly, BF16 quant_conv.weight, F32 codebook stored
        transposed so its strides are (1, 64), conv_in.bias and conv_out.bias slices of one
        shared storage at offsets), plus loss.* keys the importer must drop
  tools/convert-weights/src/test/resources/vqgan/small.yaml   Chameleon-style vqgan.yaml
  tools/convert-weights/src/test/resources/vqgan/evil.ckpt    a checkpoint holding an object of a
        class outside the allow-list (argparse.Namespace) that the unpickler must refuse

Full Chameleon config (--full; ~280 MB each, written under target/, never committed):
  target/vqgan-full/{vqgan.ckpt, vqgan.yaml, config.json, model.safetensors, io.safetensors}
  io.safetensors: x [1,3,512,512] photo-like, h, codes [1,32,32], dec; plus timings.json with
  PyTorch CPU encode/decode seconds (the Java benchmark compares against them in the same run).

Run:  /usr/bin/python3 tools/golden/make_vqgan_fixtures.py [--full]
"""

import argparse
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_core_fixtures import write_safetensors  # noqa: E402
from vqgan_reference import VQModel, ResnetBlock  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NN_DIR = os.path.join(ROOT, "nn", "src", "test", "resources", "vqgan")
CKPT_DIR = os.path.join(ROOT, "tools", "convert-weights", "src", "test", "resources", "vqgan")
FULL_DIR = os.path.join(ROOT, "target", "vqgan-full")

SMALL = dict(embed_dim=8, n_embed=64, ddconfig=dict(
    double_z=False, z_channels=8, resolution=16, in_channels=3, out_ch=3, ch=32, ch_mult=[1, 1],
    num_res_blocks=1, attn_resolutions=[8], dropout=0.0))

CHAMELEON = dict(embed_dim=256, n_embed=8192, ddconfig=dict(
    double_z=False, z_channels=256, resolution=512, in_channels=3, out_ch=3, ch=128,
    ch_mult=[1, 1, 2, 2, 4], num_res_blocks=2, attn_resolutions=[], dropout=0.0))


def config_json(cfg):
    d = dict(embed_dim=cfg["embed_dim"], n_embed=cfg["n_embed"])
    d.update(cfg["ddconfig"])
    return d


def yaml_text(cfg):
    dd = cfg["ddconfig"]
    lines = ["model:", "  base_learning_rate: 4.5e-06", "  target: taming.models.vqgan.VQModel", "  params:",
             f"    embed_dim: {cfg['embed_dim']}", f"    n_embed: {cfg['n_embed']}", "    ddconfig:"]
    for k, v in dd.items():
        lines.append(f"      {k}: {json.dumps(v).lower() if isinstance(v, bool) else json.dumps(v)}")
    lines += ["    lossconfig:", "      target: taming.modules.losses.vqperceptual.VQLPIPSWithDiscriminator",
              "      params:", "        disc_conditional: false", "        disc_in_channels: 3",
              "        disc_start: 250001", "        disc_weight: 0.8", "        codebook_weight: 1.0", ""]
    return "\n".join(lines)


def photo_like(n, size, seed):
    """A smooth picture: colour gradients, a few discs and soft noise, in [-1, 1]."""
    g = torch.Generator().manual_seed(seed)
    ys, xs = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    imgs = []
    for _ in range(n):
        c = torch.rand(3, 3, generator=g)
        img = torch.stack([c[i, 0] * xs + c[i, 1] * ys + c[i, 2] * (1 - xs) * ys for i in range(3)])
        for _ in range(4):
            cx, cy, r = torch.rand(3, generator=g).tolist()
            col = torch.rand(3, 1, 1, generator=g)
            mask = (((xs - cx) ** 2 + (ys - cy) ** 2) < (0.1 + 0.25 * r) ** 2).float()
            img = img * (1 - mask) + col * mask
        img = img + 0.05 * torch.randn(3, size, size, generator=g)
        imgs.append(img.clamp(0, 1) * 2 - 1)
    return torch.stack(imgs)


def build(cfg, seed, exact_f16):
    torch.manual_seed(seed)
    m = VQModel(cfg["ddconfig"], cfg["n_embed"], cfg["embed_dim"]).eval()
    if exact_f16:
        with torch.no_grad():
            for name, p in m.named_parameters():
                # GroupNorm affine would stay exactly 1/0: perturb so the test sees them
                if p.dim() == 1 and "norm" in name:
                    p.add_(0.1 * torch.randn_like(p))
                if name == "quantize.embedding.weight":
                    p.mul_(cfg["n_embed"] * 0.5)   # taming's ±1/n init is tiny: spread the codes
                p.copy_(p.to(torch.bfloat16 if name == "quant_conv.weight" else torch.float16).float())
                assert torch.equal(p.half().float(), p), name
    return m


def lightning_ckpt(m, path):
    sd = {k: v.detach().clone() for k, v in m.state_dict().items()}
    out = {}
    for k, v in sd.items():
        out[k] = v.half()
    out["quant_conv.weight"] = sd["quant_conv.weight"].bfloat16()
    e = sd["quantize.embedding.weight"]
    out["quantize.embedding.weight"] = e.t().contiguous().t()          # f32, strides (1, n_embed)
    a, b = sd["encoder.conv_in.bias"], sd["decoder.conv_out.bias"]
    shared = torch.cat([torch.zeros(5, dtype=torch.float16), a.half(), b.half()])
    out["encoder.conv_in.bias"] = shared[5:5 + a.numel()]
    out["decoder.conv_out.bias"] = shared[5 + a.numel():]
    out["loss.logvar"] = torch.zeros(())
    out["loss.discriminator.main.0.weight"] = torch.randn(4, 3, 4, 4)
    ckpt = {
        "epoch": 3,
        "global_step": 1000,
        "pytorch-lightning_version": "1.0.8",
        "state_dict": out,
        "optimizer_states": [{"state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.zeros(2)}},
                              "param_groups": [{"lr": 4.5e-6, "betas": (0.5, 0.9), "params": [0]}]}],
        "lr_schedulers": [],
    }
    torch.save(ckpt, path)


def small():
    os.makedirs(NN_DIR, exist_ok=True)
    os.makedirs(CKPT_DIR, exist_ok=True)
    m = build(SMALL, 1234, exact_f16=True)
    with open(os.path.join(NN_DIR, "small_config.json"), "w") as f:
        json.dump(config_json(SMALL), f, indent=1)
        f.write("\n")
    meta = {"generator": "tools/golden/make_vqgan_fixtures.py", "torch": torch.__version__}
    write_safetensors(os.path.join(NN_DIR, "small_model.safetensors"),
                      {k: v.half() for k, v in m.state_dict().items()}, meta)
    torch.manual_seed(99)
    x = torch.cat([torch.rand(1, 3, 16, 16) * 2 - 1, photo_like(1, 16, 5)])
    with torch.no_grad():
        z = m.encoder(x)
        h = m.quant_conv(z)
        codes = m.quantize.codes(h)
        dec = m.decode_codes(codes)
        dec_h = m.decoder(m.post_quant_conv(h))
    write_safetensors(os.path.join(NN_DIR, "small_io.safetensors"),
                      {"x": x, "z": z, "h": h, "codes": codes, "dec": dec, "dec_h": dec_h}, meta)
    print("small codes", codes.flatten().tolist())

    torch.manual_seed(77)
    blk = ResnetBlock(32, 64, 0.0).eval()
    with torch.no_grad():
        for name, p in blk.named_parameters():
            if "norm" in name:
                p.add_(0.1 * torch.randn_like(p))
            p.copy_(p.half().float())
        bx = torch.randn(1, 32, 6, 5)
        by = blk(bx)
    t = {k: v.half() for k, v in blk.state_dict().items()}
    t["x"], t["y"] = bx, by
    write_safetensors(os.path.join(NN_DIR, "resblock_nin.safetensors"), t, meta)

    lightning_ckpt(m, os.path.join(CKPT_DIR, "small.ckpt"))
    with open(os.path.join(CKPT_DIR, "small.yaml"), "w") as f:
        f.write(yaml_text(SMALL))
    torch.save({"state_dict": {"w": torch.ones(2)}, "hparams": argparse.Namespace(lr=1.0)},
               os.path.join(CKPT_DIR, "evil.ckpt"))
    for d in (NN_DIR, CKPT_DIR):
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            size = os.path.getsize(p)
            if size > 600 * 1024:
                sys.exit(f"{p} is {size} bytes: keep fixtures small")
            print(f"{os.path.relpath(p, ROOT)}  {size} bytes")


def full():
    os.makedirs(FULL_DIR, exist_ok=True)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    m = build(CHAMELEON, 4321, exact_f16=False)
    with torch.no_grad():
        m.quantize.embedding.weight.mul_(CHAMELEON["n_embed"] * 0.5)
    n_params = sum(p.numel() for p in m.parameters())
    print(f"full config: {n_params} parameters", flush=True)
    with open(os.path.join(FULL_DIR, "config.json"), "w") as f:
        json.dump(config_json(CHAMELEON), f, indent=1)
    with open(os.path.join(FULL_DIR, "vqgan.yaml"), "w") as f:
        f.write(yaml_text(CHAMELEON))
    meta = {"generator": "tools/golden/make_vqgan_fixtures.py --full", "torch": torch.__version__,
            "parameters": str(n_params)}
    write_safetensors(os.path.join(FULL_DIR, "model.safetensors"), dict(m.state_dict()), meta)
    torch.save({"state_dict": m.state_dict(), "global_step": 1}, os.path.join(FULL_DIR, "vqgan.ckpt"))
    x = photo_like(1, 512, 11)
    timings = {"threads": torch.get_num_threads(), "torch": torch.__version__}
    with torch.no_grad():
        t0 = time.perf_counter()
        h = m.encode_latent(x)
        codes = m.quantize.codes(h)
        timings["encode_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        dec = m.decode_codes(codes)
        timings["decode_s"] = time.perf_counter() - t0
    print(f"pytorch encode {timings['encode_s']:.2f} s, decode {timings['decode_s']:.2f} s", flush=True)
    write_safetensors(os.path.join(FULL_DIR, "io.safetensors"), {"x": x, "h": h, "codes": codes, "dec": dec}, meta)
    with open(os.path.join(FULL_DIR, "timings.json"), "w") as f:
        json.dump(timings, f)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="also write the full Chameleon config under target/vqgan-full")
    args = ap.parse_args()
    small()
    if args.full:
        full()
