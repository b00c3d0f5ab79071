"""Parameter counts of every registry size against timm's VisionTransformer of the same shape.

    test_param_counts.py VIT_PARAM_COUNTS

Our backbones hold two tensors timm's do not: the iBOT mask token (D) and, with registers, the CLS
row of the position embedding (timm folds it into cls_token when converting): D each.
"""
import subprocess
import sys

import torch
from timm.layers import SwiGLUPacked
from timm.models.vision_transformer import VisionTransformer

SIZES = {"vit_tiny": (192, 12, 3), "vit_small": (384, 12, 6), "vit_base": (768, 12, 12),
         "vit_large": (1024, 24, 16), "vit_giant": (1536, 40, 24)}
NAMES = ["vit_tiny_patch16", "vit_small_patch14", "vit_small_patch14_reg4", "vit_base_patch14",
         "vit_base_patch16_reg4", "vit_large_patch14", "vit_giant_patch14"]
DINOV2_MILLIONS = {"vit_small_patch14": 21, "vit_base_patch14": 86, "vit_large_patch14": 300,
                   "vit_giant_patch14": 1100}


def timm_count(name):
    size, patch = name.split("_patch")
    patch, _, regs = patch.partition("_reg")
    dim, depth, heads = SIZES[size]
    kwargs = dict(img_size=224, patch_size=int(patch), embed_dim=dim, depth=depth, num_heads=heads,
                  init_values=1e-5, num_classes=0, reg_tokens=int(regs or 0),
                  no_embed_class=bool(regs))
    if size == "vit_giant":  # DINOv2's SwiGLU: 2/3 of 4x, rounded to 8, two halves packed in fc1
        hidden = (4 * dim * 2 // 3 + 7) // 8 * 8
        kwargs.update(mlp_ratio=(2 * hidden + 0.5) / dim, mlp_layer=SwiGLUPacked, act_layer=torch.nn.SiLU)
    with torch.device("meta"):
        model = VisionTransformer(**kwargs)
    return sum(p.numel() for p in model.parameters()), dim, bool(regs)


out = subprocess.run([sys.argv[1], *NAMES], check=True, capture_output=True, text=True).stdout
failed = 0
for line in out.splitlines():
    name, ours = line.split()
    theirs, dim, regs = timm_count(name)
    expected = theirs + dim * (1 + regs)
    ok = int(ours) == expected
    dinov2 = DINOV2_MILLIONS.get(name)
    near = dinov2 is None or abs(int(ours) / 1e6 - dinov2) / dinov2 < 0.05
    failed += (not ok) + (not near)
    print(f"{'ok  ' if ok and near else 'FAIL'} {name:24s} ours {int(ours):>13,d}  timm+extras {expected:>13,d}"
          + (f"  DINOv2 ~{dinov2}M" if dinov2 else ""))
print(f"{len(NAMES) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
