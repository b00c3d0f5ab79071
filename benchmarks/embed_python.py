"""The Python reference for `pathodino embed` (benchmarks/embed_vs_python.sh): the same tiles
(every row of the feature files an embed run wrote, at their level-0 coordinates) read with
openslide-python, resized to the model's input and normalised with torchvision, batched by a torch
DataLoader with worker processes, and run through timm's VisionTransformer with the same weights
(rebuilt from the backbone file's metadata, as tests/models/vit/test_timm_parity.py does); the CLS
token L2-normalised. Prints one JSON line: tiles, seconds, tiles/s, and the largest difference
from the C++ features (same tiles, same weights).
    python embed_python.py FEATURES_DIR SLIDES_DIR BACKBONE [--image-size 64] [--batch 64]
                           [--workers 2] [--threads 2]
"""
import argparse
import csv
import json
import time
from pathlib import Path

import h5py
import numpy as np
import openslide
import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file
from timm.models.vision_transformer import VisionTransformer, checkpoint_filter_fn
from torchvision import transforms as T


class Tiles(torch.utils.data.Dataset):
    def __init__(self, tiles, image_size):
        self.tiles = tiles  # (slide path, x, y, level-0 size)
        self.slides = {}  # opened per worker process
        self.transform = T.Compose([
            T.Resize(image_size, interpolation=T.InterpolationMode.BILINEAR, antialias=True),
            T.ToTensor(),
            T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])

    def __len__(self):
        return len(self.tiles)

    def __getitem__(self, i):
        path, x, y, size = self.tiles[i]
        if path not in self.slides:
            self.slides[path] = openslide.OpenSlide(path)
        region = self.slides[path].read_region((x, y), 0, (size, size)).convert("RGB")
        return self.transform(region)


def timm_backbone(path):
    with safe_open(str(path), "pt") as f:
        kwargs = json.loads(f.metadata()["timm_kwargs"])
    model = VisionTransformer(**kwargs).eval()
    model.load_state_dict(checkpoint_filter_fn(load_file(str(path)), model), strict=True)
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("features")
    parser.add_argument("slides")
    parser.add_argument("backbone")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    paths = {Path(r["path"]).stem: str(Path(args.slides) / r["path"])
             for r in csv.DictReader(open(Path(args.slides) / "manifest.csv"))}
    tiles, reference = [], []
    for row in csv.DictReader(open(Path(args.features) / "manifest.csv")):
        with h5py.File(Path(args.features) / row["file"]) as f:
            size = int(f["coords"].attrs["patch_size_level0"])
            for (x, y), v in zip(f["coords"][:], f["features"][:]):
                tiles.append((paths[row["slide"]], int(x), int(y), size))
                reference.append(v)
    model = timm_backbone(args.backbone)
    loader = torch.utils.data.DataLoader(Tiles(tiles, args.image_size), batch_size=args.batch,
                                         num_workers=args.workers, shuffle=False)
    start = time.perf_counter()
    features = []
    with torch.no_grad():
        for images in loader:
            features.append(F.normalize(model.forward_features(images)[:, 0], dim=1))
    seconds = time.perf_counter() - start
    features = torch.cat(features).numpy()
    print(json.dumps({"tiles": len(tiles), "seconds": seconds, "tiles_per_second": len(tiles) / seconds,
                      "max_abs_difference": float(np.abs(features - np.stack(reference)).max())}))


if __name__ == "__main__":
    main()
