#!/usr/bin/python3
"""Fixtures for liquid4j's image IO (liquid-model/src/test/resources/images), made with PIL.

Sources (small PNGs, each mode the reader must handle):
  src_rgb.png (37×23 RGB), src_grey.png (L), src_rgba.png (RGBA, partly transparent),
  src_palette.png (P with a transparent palette entry), src_rgb.jpg (JPEG of src_rgb)
  decoded_jpg.png           PIL's (libjpeg's) decoding of src_rgb.jpg
Expected outputs (PNG, RGB):
  lanczos_<w>x<h>.png       src_rgb resized with Image.LANCZOS to w×h (down, up, mixed)
  whitened_<name>.png       Chameleon's transparency handling of each source
  chameleon16_<name>.png    Chameleon preprocessing to 16 px: whiten, short side → 16 with
                            round(), LANCZOS, center crop at ((W-16)//2, (H-16)//2)
  square16_rgb.png          Liquid's understanding path: pad to square with (122,116,104), LANCZOS 16×16

Run:  /usr/bin/python3 tools/golden/make_image_fixtures.py
"""

import os

import numpy as np
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "liquid-model", "src", "test", "resources", "images")
SIZES = [(16, 10), (61, 40), (9, 31), (37, 23), (100, 7)]


def whiten(img):
    """Chameleon's image_tokenizer._whiten_transparency."""
    if img.mode == "RGB":
        return img
    vals_rgba = np.array(img.convert("RGBA"))
    if not (vals_rgba[:, :, 3] < 255).any():
        return img.convert("RGB")
    alpha = vals_rgba[:, :, 3] / 255.0
    vals_rgb = (1 - alpha[:, :, np.newaxis]) * 255 + alpha[:, :, np.newaxis] * vals_rgba[:, :, :3]
    return Image.fromarray(vals_rgb.astype("uint8"), "RGB")


def chameleon(img, target):
    img = whiten(img)
    s = min(img.size)
    scale = target / s
    new = (round(scale * img.size[0]), round(scale * img.size[1]))
    img = img.resize(new, Image.LANCZOS)
    x0, y0 = (img.width - target) // 2, (img.height - target) // 2
    return img.crop((x0, y0, x0 + target, y0 + target))


def expand2square(img, colour):
    w, h = img.size
    if w == h:
        return img
    if w > h:
        out = Image.new(img.mode, (w, w), colour)
        out.paste(img, (0, (w - h) // 2))
    else:
        out = Image.new(img.mode, (h, h), colour)
        out.paste(img, ((h - w) // 2, 0))
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(3)
    ys, xs = np.mgrid[0:23, 0:37]
    base = np.stack([xs * 6, ys * 10, (xs + ys) * 4], -1) + rng.integers(0, 60, (23, 37, 3))
    base[5:12, 10:20] = [250, 20, 30]
    rgb = Image.fromarray(np.clip(base, 0, 255).astype("uint8"), "RGB")
    grey = rgb.convert("L")
    a = np.full((23, 37), 255, "uint8")
    a[:, :12] = 0
    a[:, 12:20] = np.linspace(0, 255, 8).astype("uint8")
    rgba = Image.fromarray(np.dstack([np.array(rgb), a]), "RGBA")
    pal = rgb.quantize(colors=16)
    pal.info["transparency"] = 3
    srcs = {"rgb": rgb, "grey": grey, "rgba": rgba, "palette": pal}
    for name, img in srcs.items():
        img.save(os.path.join(OUT, f"src_{name}.png"))
    rgb.save(os.path.join(OUT, "src_rgb.jpg"), quality=95)
    Image.open(os.path.join(OUT, "src_rgb.jpg")).convert("RGB").save(os.path.join(OUT, "decoded_jpg.png"))
    for w, h in SIZES:
        rgb.resize((w, h), Image.LANCZOS).save(os.path.join(OUT, f"lanczos_{w}x{h}.png"))
    for name in srcs:
        img = Image.open(os.path.join(OUT, f"src_{name}.png"))
        whiten(img).save(os.path.join(OUT, f"whitened_{name}.png"))
        chameleon(img, 16).save(os.path.join(OUT, f"chameleon16_{name}.png"))
    expand2square(rgb, (122, 116, 104)).resize((16, 16), Image.LANCZOS).save(os.path.join(OUT, "square16_rgb.png"))
    total = 0
    for f in sorted(os.listdir(OUT)):
        total += os.path.getsize(os.path.join(OUT, f))
        print(f"{f}  {os.path.getsize(os.path.join(OUT, f))} bytes")
    print(f"{total} bytes")


if __name__ == "__main__":
    main()
