"""The multi-crop augmentation and the iBOT masks against Meta's own code, in distribution (the
two draw from different random generators, so they can only agree statistically):
  - augmentation: dinov2.data.augmentations.DataAugmentationDINO on a PIL image, 10,000 images
    (2 global + 2 local crops each) on both sides; how often each random operation fires per crop
    kind — flip, colour jitter, greyscale, blur, solarize — must agree within 4.5 binomial
    standard deviations of the difference (operations that never or always fire: exactly);
  - masks: dinov2.data.collate.collate_data_and_cast with dinov2.data.masking.MaskingGenerator
    (as dinov2/train/train.py builds it) for 224-px crops of 16-px patches, 64 global crops a
    step, against pathodino's per-crop masks, ≥ 10,000 crops each: the share of masked crops
    (exact), the mean masked share of a masked crop (within 0.01), its 10th/50th/90th percentiles
    (within 0.02), and block shapes — the mean number of 4-connected blocks per masked crop
    (within 5%) and the mean masked share of a crop's bounding box (within 0.03).

    test_dinov2_augment_parity.py AUGMENT_STATS_DUMP
"""
import json
import math
import random
import subprocess
import sys
import unittest

import numpy as np
import torch
from PIL import Image
from torchvision import transforms
from torchvision.transforms import functional as F

from dinov2.data.augmentations import DataAugmentationDINO
from dinov2.data.collate import collate_data_and_cast
from dinov2.data.masking import MaskingGenerator

DUMP = sys.argv[1]
IMAGES, STEPS = 10000, 160  # 160 steps x 64 crops = 10,240 masks
OURS = json.loads(subprocess.run([DUMP, str(IMAGES), str(STEPS)], check=True,
                                 capture_output=True, text=True).stdout)
OPERATIONS = ("flip", "color_jitter", "grayscale", "blur", "solarize")


def meta_augment_counts():
    """Counts of each operation that fired, by crop, in DataAugmentationDINO.__call__."""
    counts = {crop: dict.fromkeys(OPERATIONS, 0) for crop in ("global1", "global2", "local")}
    state = {"crop": None, "globals": 0}

    def counting(original, operation):
        def wrapped(*args, **kwargs):
            counts[state["crop"]][operation] += 1
            return original(*args, **kwargs)
        return wrapped

    F.hflip = counting(F.hflip, "flip")
    F.rgb_to_grayscale = counting(F.rgb_to_grayscale, "grayscale")
    F.solarize = counting(F.solarize, "solarize")
    transforms.ColorJitter.forward = counting(transforms.ColorJitter.forward, "color_jitter")
    transforms.GaussianBlur.forward = counting(transforms.GaussianBlur.forward, "blur")
    augment = DataAugmentationDINO((0.32, 1.0), (0.05, 0.32), 2, global_crops_size=32,
                                   local_crops_size=16)
    # __call__ runs geometry then colour for each crop in turn: global 1, global 2, the locals.
    global_geometry, local_geometry = augment.geometric_augmentation_global, augment.geometric_augmentation_local

    def global_crop(image):
        state["crop"] = "global1" if state["globals"] % 2 == 0 else "global2"
        state["globals"] += 1
        return global_geometry(image)

    def local_crop(image):
        state["crop"] = "local"
        return local_geometry(image)

    augment.geometric_augmentation_global, augment.geometric_augmentation_local = global_crop, local_crop
    image = Image.new("RGB", (48, 48), (128, 128, 128))
    for _ in range(IMAGES):
        augment(image)
    return counts


def meta_masks():
    torch.manual_seed(0)
    random.seed(0)
    generator = MaskingGenerator(input_size=(14, 14), max_num_patches=0.5 * 224 // 16 * 224 // 16)
    sample = ({"global_crops": [torch.zeros(1), torch.zeros(1)], "local_crops": [torch.zeros(1)]}, 0)
    out = []
    for _ in range(STEPS):
        batch = collate_data_and_cast([sample] * 32, (0.1, 0.5), 0.5, torch.float32, n_tokens=196,
                                      mask_generator=generator)
        out.extend(batch["collated_masks"].view(-1, 14, 14).numpy())
    return out


def components(mask):
    """4-connected blocks of a boolean grid."""
    seen, count = np.zeros_like(mask), 0
    for i, j in zip(*np.nonzero(mask)):
        if seen[i, j]:
            continue
        count += 1
        stack = [(i, j)]
        seen[i, j] = True
        while stack:
            y, x = stack.pop()
            for v, u in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                if 0 <= v < mask.shape[0] and 0 <= u < mask.shape[1] and mask[v, u] and not seen[v, u]:
                    seen[v, u] = True
                    stack.append((v, u))
    return count


def mask_statistics(masks):
    masked = [m for m in masks if m.any()]
    shares = np.array([m.mean() for m in masked])
    box_fill = []
    for m in masked:
        ys, xs = np.nonzero(m)
        box_fill.append(m.sum() / ((ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)))
    return {
        "masked_crops": len(masked) / len(masks),
        "mean_share": shares.mean(),
        "percentiles": np.percentile(shares, [10, 50, 90]),
        "blocks": np.mean([components(m) for m in masked]),
        "box_fill": np.mean(box_fill),
        "crops": len(masks),
    }


class AugmentParity(unittest.TestCase):
    def test_operations_fire_as_often_as_in_dinov2(self):
        theirs = meta_augment_counts()
        for crop, ours in OURS["augment"].items():
            n = ours["crops"]
            for op in OPERATIONS:
                p_ours, p_theirs = ours[op] / n, theirs[crop][op] / n
                print(f"{crop:8s} {op:13s} pathodino {p_ours:.4f}  dinov2 {p_theirs:.4f}")
                if p_theirs in (0.0, 1.0):
                    self.assertEqual(p_ours, p_theirs, f"{crop} {op}")
                    continue
                sigma = math.sqrt(2 * p_theirs * (1 - p_theirs) / n)
                self.assertLessEqual(abs(p_ours - p_theirs), 4.5 * sigma, f"{crop} {op}")

    def test_a_different_recipe_is_detected(self):
        # Control: the paper's blur probabilities (1.0, 0.1) are what DINOv2's code does NOT do.
        theirs = OURS["augment"]["global1"]["blur"] / OURS["augment"]["global1"]["crops"]
        self.assertGreater(abs(1.0 - theirs), 0.5)


class MaskParity(unittest.TestCase):
    def test_masks_match_dinov2_in_distribution(self):
        grid = OURS["masks"]["grid"]
        ours = mask_statistics([np.array([c == "1" for c in bits]).reshape(grid, grid)
                                for bits in OURS["masks"]["masks"]])
        theirs = mask_statistics(meta_masks())
        print("pathodino", ours)
        print("dinov2   ", theirs)
        self.assertGreaterEqual(min(ours["crops"], theirs["crops"]), 10000)
        self.assertEqual(ours["masked_crops"], theirs["masked_crops"])
        self.assertLessEqual(abs(ours["mean_share"] - theirs["mean_share"]), 0.01)
        self.assertLessEqual(np.abs(ours["percentiles"] - theirs["percentiles"]).max(), 0.02)
        self.assertLessEqual(abs(ours["blocks"] / theirs["blocks"] - 1), 0.05)
        self.assertLessEqual(abs(ours["box_fill"] - theirs["box_fill"]), 0.03)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
