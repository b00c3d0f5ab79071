"""Forward + backward images/s of a ViT backbone: pathodino (C++) against timm (Python) on the same
torch wheel, in the same script, interleaved so that both see the same machine state; plus the
achieved FLOP/s against the fp32 matmul peak measured in the same run.

    vit_step_vs_timm.py VIT_TRAIN_STEP [--model vit_small_patch16] [--batch 32] [--img 224]
                        [--steps 5] [--rounds 3] [--threads 2]
"""
import argparse
import json
import statistics
import subprocess
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from peak_flops import matmul_peak_flops
from timm.models.vision_transformer import VisionTransformer

SIZES = {"vit_tiny": (192, 12, 3), "vit_small": (384, 12, 6), "vit_base": (768, 12, 12)}

p = argparse.ArgumentParser()
p.add_argument("binary")
p.add_argument("--model", default="vit_small_patch16")
p.add_argument("--batch", type=int, default=32)
p.add_argument("--img", type=int, default=224)
p.add_argument("--steps", type=int, default=5)
p.add_argument("--rounds", type=int, default=3)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)

size, patch = a.model.split("_patch")
dim, depth, heads = SIZES[size]
model = VisionTransformer(img_size=a.img, patch_size=int(patch), embed_dim=dim, depth=depth,
                          num_heads=heads, init_values=1e-5, num_classes=0).train()
images = torch.randn(a.batch, 3, a.img, a.img)


def timm_step():
    model.zero_grad()
    model.forward_features(images)[:, 0].pow(2).mean().backward()


def timm_images_per_s():
    for _ in range(2):
        timm_step()
    times = []
    for _ in range(a.steps):
        t = time.perf_counter()
        timm_step()
        times.append(time.perf_counter() - t)
    return a.batch / statistics.median(times)


def cpp_images_per_s():
    out = subprocess.run([a.binary, a.model, str(a.batch), str(a.img), str(a.steps), "2", str(a.threads)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["images_per_s"]


with FlopCounterMode(display=False) as counter:
    timm_step()
flops_per_image = counter.get_total_flops() / a.batch

cpp, py, peaks = [], [], []
for _ in range(a.rounds):
    peaks.append(matmul_peak_flops())
    cpp.append(cpp_images_per_s())
    py.append(timm_images_per_s())
peak = max(peaks)
c, t = statistics.median(cpp), statistics.median(py)
print(f"model {a.model}, batch {a.batch}, {a.img} px, fp32, {a.threads} intra-op threads, "
      f"{a.rounds} interleaved rounds of {a.steps} steps (median)")
print(f"pathodino C++ : {c:7.2f} img/s   rounds {[round(v, 2) for v in cpp]}")
print(f"timm (Python) : {t:7.2f} img/s   rounds {[round(v, 2) for v in py]}")
print(f"ratio C++/Python = {c / t:.3f}")
print(f"fwd+bwd FLOPs per image (torch FlopCounterMode on timm) = {flops_per_image / 1e9:.2f} GFLOP")
print(f"matmul peak (fp32 {2048}^3 torch.mm) = {peak / 1e9:.1f} GFLOP/s")
print(f"achieved: C++ {c * flops_per_image / 1e9:.1f} GFLOP/s = {c * flops_per_image / peak:.1%} of peak; "
      f"Python {t * flops_per_image / 1e9:.1f} GFLOP/s = {t * flops_per_image / peak:.1%}")
