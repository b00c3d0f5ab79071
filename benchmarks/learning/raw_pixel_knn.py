"""The raw-pixel baseline of the learning curve: the same weighted kNN as `pathodino eval knn`
(cosine similarity, k neighbours, votes exp(similarity / T)) on the labelled tiles' pixels
instead of a backbone's CLS embedding — each tile resized whole to SIZE, normalised per channel
with the ImageNet mean and std the trainer uses, flattened.

    raw_pixel_knn.py LABELLED_DIR [--size 96] [--k 20] [--temperature 0.07]

LABELLED_DIR holds train/<class>/*.png (the bank) and val/<class>/*.png (the queries).
Prints one JSON line: {"top1": ..., "bank": ..., "queries": ...}.
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

MEAN, STD = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])


def load(split_dir, classes, size):
    features, labels = [], []
    for label, name in enumerate(classes):
        for png in sorted((split_dir / name).glob("*.png")):
            image = Image.open(png).convert("RGB").resize((size, size), Image.BILINEAR)
            pixels = (np.asarray(image, dtype=np.float64) / 255 - MEAN) / STD
            features.append(pixels.ravel())
            labels.append(label)
    x = torch.tensor(np.stack(features))
    return torch.nn.functional.normalize(x, dim=1), torch.tensor(labels)


p = argparse.ArgumentParser()
p.add_argument("labelled_dir", type=Path)
p.add_argument("--size", type=int, default=96)
p.add_argument("--k", type=int, default=20)
p.add_argument("--temperature", type=float, default=0.07)
a = p.parse_args()
classes = sorted(d.name for d in (a.labelled_dir / "train").iterdir() if d.is_dir())
bank, bank_labels = load(a.labelled_dir / "train", classes, a.size)
queries, query_labels = load(a.labelled_dir / "val", classes, a.size)
similarity, neighbours = (queries @ bank.t()).topk(a.k, dim=1)
votes = torch.zeros(len(queries), len(classes), dtype=torch.float64)
votes.scatter_add_(1, bank_labels[neighbours], (similarity / a.temperature).exp())
top1 = (votes.argmax(1) == query_labels).double().mean().item()
print(json.dumps({"top1": top1, "bank": len(bank), "queries": len(queries), "size": a.size}))
