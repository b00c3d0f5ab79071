"""The Python reference for benchmarks/loader_throughput.cpp: the same tiles (a CSV the C++
benchmark writes) read with openslide-python and turned into DINOv2's multi-crop with torchvision,
as dinov2/data/augmentations.py does it (2 x 224 global crops, scale 0.32-1, + 8 x 96 local crops,
scale 0.05-0.32; flips; colour jitter 0.4/0.4/0.2/0.1 p=0.8; greyscale p=0.2; Gaussian blur
p=1.0/0.1/0.5; solarize p=0.2 on the second global crop; normalisation), stacked into batch
tensors. One thread. Prints one JSON line.
    python loader_python.py TILES.csv [--batch 16]
"""
import argparse
import csv
import json
import time

import openslide
import torch
from torchvision import transforms as T


def gaussian_blur(p):
    return T.RandomApply([T.GaussianBlur(kernel_size=9, sigma=(0.1, 2.0))], p=p)


def dinov2_multi_crop():
    bicubic = T.InterpolationMode.BICUBIC
    global_geometry = T.Compose([T.RandomResizedCrop(224, scale=(0.32, 1.0), interpolation=bicubic),
                                 T.RandomHorizontalFlip(p=0.5)])
    local_geometry = T.Compose([T.RandomResizedCrop(96, scale=(0.05, 0.32), interpolation=bicubic),
                                T.RandomHorizontalFlip(p=0.5)])
    colour = T.Compose([T.RandomApply([T.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8),
                        T.RandomGrayscale(p=0.2)])
    normalise = T.Compose([T.ToTensor(), T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    global1 = T.Compose([colour, gaussian_blur(1.0), normalise])
    global2 = T.Compose([colour, gaussian_blur(0.1), T.RandomSolarize(128, p=0.2), normalise])
    local = T.Compose([colour, gaussian_blur(0.5), normalise])

    def apply(image):
        return ([global1(global_geometry(image)), global2(global_geometry(image))],
                [local(local_geometry(image)) for _ in range(8)])
    return apply


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("tiles")
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rows = list(csv.DictReader(open(args.tiles)))
    slides = {}
    augment = dinov2_multi_crop()

    def read(row):
        slide = slides.get(row["path"])
        if slide is None:
            slide = slides[row["path"]] = openslide.OpenSlide(row["path"])
        size = int(row["size"])
        return slide.read_region((int(row["x"]), int(row["y"])), int(row["level"]),
                                 (size, size)).convert("RGB")

    for row in rows[: args.batch]:  # warm-up: opens the slides
        augment(read(row))
    start = time.perf_counter()
    for first in range(0, len(rows), args.batch):
        crops = [augment(read(row)) for row in rows[first:first + args.batch]]
        torch.stack([c[0][0] for c in crops] + [c[0][1] for c in crops])
        torch.stack([local for c in crops for local in c[1]])
    seconds = time.perf_counter() - start
    print(json.dumps({"images_per_second": round(len(rows) / seconds, 3), "images": len(rows)}))


if __name__ == "__main__":
    main()
