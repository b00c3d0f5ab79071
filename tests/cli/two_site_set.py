"""Writes ROOT/sites.csv (path, label, split, site) over the labelled tiles of `pathodino synth`
under ROOT (split/class/*.png): every other tile is site_b's, a blurred, faded, noisy copy, so
site_b is deliberately harder and the two sites differ more than the classes."""
import csv
import pathlib
import sys

import numpy as np
from PIL import Image, ImageFilter

root = pathlib.Path(sys.argv[1])
rng = np.random.default_rng(0)
rows = []
for i, f in enumerate(sorted(root.glob("*/*/*.png"))):
    split, label = f.parts[-3], f.parts[-2]
    path = f.relative_to(root)
    site = "site_a" if i % 2 == 0 else "site_b"
    if site == "site_b":  # blurred, faded towards grey, noisy
        a = np.asarray(Image.open(f).convert("RGB").filter(ImageFilter.GaussianBlur(3))).astype(float)
        a = 0.15 * a + 0.85 * a.mean() + rng.normal(0, 25, a.shape)
        path = pathlib.Path("hard") / path
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(root / path)
    rows.append((str(path), label, split, site))
with open(root / "sites.csv", "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["path", "label", "split", "site"])
    writer.writerows(rows)
