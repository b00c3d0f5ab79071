"""A backbone exported by pathodino loads into timm's VisionTransformer, strictly, through timm's
own DINOv2 checkpoint converter, and computes the same features as the C++ forward.

    test_timm_parity.py PATHODINO VIT_FEATURES WORKDIR

Independent reference: timm's modules and weights loading, on the same torch wheel.
"""
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from timm.layers import SwiGLUPacked
from timm.models.vision_transformer import VisionTransformer, checkpoint_filter_fn

PATHODINO, VIT_FEATURES = sys.argv[1], sys.argv[2]
TOLERANCE = 1e-5


def export(name, out, seed=0, img_size=224, layerscale_init=1e-5, ffn=None, offset=0.1):
    cmd = [PATHODINO, "export", "--init", name, "--seed", str(seed), "--out", str(out),
           "--img-size", str(img_size), "--layerscale-init", str(layerscale_init),
           "--interpolate-offset", str(offset)]
    if ffn:
        cmd += ["--ffn", ffn]
    subprocess.run(cmd, check=True, capture_output=True)


def timm_model(path, img_size=None):
    """timm's ViT rebuilt from the file's metadata, weights loaded with strict=True."""
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    kwargs = json.loads(meta["timm_kwargs"])
    if kwargs.pop("mlp_layer", None) == "SwiGLUPacked":
        kwargs["mlp_layer"] = SwiGLUPacked
    if kwargs.pop("act_layer", None) == "silu":
        kwargs["act_layer"] = torch.nn.SiLU
    state = load_file(str(path))
    if img_size is not None and img_size != kwargs["img_size"]:
        # Bicubic to the new grid, no antialiasing, CLS row kept: with an offset, as DINOv2's
        # interpolate_pos_encoding (scale factors (new + offset) / old), else by size (timm).
        pos = state["pos_embed"]
        old, new = kwargs["img_size"] // kwargs["patch_size"], img_size // kwargs["patch_size"]
        grid = pos[:, 1:].reshape(1, old, old, -1).permute(0, 3, 1, 2)
        offset = float(meta["interpolate_offset"])
        if offset > 0:
            scale = (new + offset) / old
            grid = F.interpolate(grid, scale_factor=(scale, scale), mode="bicubic", align_corners=False)
        else:
            grid = F.interpolate(grid, size=(new, new), mode="bicubic", antialias=False, align_corners=False)
        state["pos_embed"] = torch.cat([pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, new * new, -1)], 1)
        kwargs["img_size"] = img_size
    model = VisionTransformer(**kwargs).eval()
    state = checkpoint_filter_fn(state, model)  # timm's DINOv2 converter (registers, SwiGLU names)
    model.load_state_dict(state, strict=True)
    return model, meta


def cpp_features(backbone, images, work):
    save_file({"images": images.contiguous()}, str(work / "images.safetensors"))
    subprocess.run([VIT_FEATURES, str(backbone), str(work / "images.safetensors"),
                    str(work / "features.safetensors")], check=True)
    return load_file(str(work / "features.safetensors"))


class TimmParity(unittest.TestCase):
    def check(self, name, img_size=224, layerscale_init=1e-5, ffn=None, input_size=None, offset=0.1):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            path = work / "backbone.safetensors"
            export(name, path, seed=3, img_size=img_size, layerscale_init=layerscale_init, ffn=ffn,
                   offset=offset)
            input_size = input_size or img_size
            model, meta = timm_model(path, img_size=input_size)
            regs = int(meta["num_register_tokens"])
            torch.manual_seed(0)
            images = torch.randn(2, 3, input_size, input_size)
            with torch.no_grad():
                tokens = model.forward_features(images)  # [B, 1 + R + N, D], after the final norm
            ours = cpp_features(path, images, work)
            for part, theirs in (("cls", tokens[:, 0]), ("registers", tokens[:, 1:1 + regs]),
                                 ("patches", tokens[:, 1 + regs:])):
                self.assertEqual(tuple(ours[part].shape), tuple(theirs.shape), part)
                if theirs.numel():
                    diff = (ours[part] - theirs).abs().max().item()
                    print(f"{name:24s} ls={layerscale_init:<7g} ffn={ffn or 'mlp':6s} "
                          f"input={input_size}: {part:9s} max|diff| = {diff:.2e}")
                    self.assertLessEqual(diff, TOLERANCE, f"{name} {part}")

    def test_a_different_model_is_detected(self):
        # Control: the comparison can fail. Weights of seed 3 in C++, seed 4 in timm.
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            export("vit_tiny_patch16", work / "a.safetensors", seed=3)
            export("vit_tiny_patch16", work / "b.safetensors", seed=4)
            model, _ = timm_model(work / "b.safetensors")
            images = torch.randn(1, 3, 224, 224)
            with torch.no_grad():
                theirs = model.forward_features(images)[:, 0]
            ours = cpp_features(work / "a.safetensors", images, work)["cls"]
            self.assertGreater((ours - theirs).abs().max().item(), 100 * TOLERANCE)

    def test_tiny_layerscale(self):
        self.check("vit_tiny_patch16")

    def test_tiny_registers_without_layerscale(self):
        self.check("vit_tiny_patch16_reg4", layerscale_init=0)

    def test_small_without_layerscale(self):
        self.check("vit_small_patch16", layerscale_init=0)

    def test_small_patch14_registers_layerscale(self):
        self.check("vit_small_patch14_reg4")

    def test_tiny_swiglu(self):
        self.check("vit_tiny_patch16_reg2", ffn="swiglu", layerscale_init=0.1)

    def test_tiny_patch8(self):
        self.check("vit_tiny_patch8", img_size=64, layerscale_init=0.5)

    def test_position_embedding_resampled_to_another_crop(self):
        # Trained at 224, applied to 288 (grid 14 → 18): DINOv2's bicubic resampling, offset 0.1.
        self.check("vit_small_patch16_reg4", layerscale_init=0.5, input_size=288)

    def test_position_embedding_resampled_by_size_without_offset(self):
        # model.interpolate_offset 0: timm's resampling by size; differs from the offset's.
        self.check("vit_small_patch16_reg4", layerscale_init=0.5, input_size=288, offset=0)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            export("vit_tiny_patch16", work / "a.safetensors", seed=3, layerscale_init=0.5, offset=0.1)
            export("vit_tiny_patch16", work / "b.safetensors", seed=3, layerscale_init=0.5, offset=0)
            images = torch.randn(1, 3, 288, 288)
            a = cpp_features(work / "a.safetensors", images, work)["patches"]
            b = cpp_features(work / "b.safetensors", images, work)["patches"]
            self.assertGreater((a - b).abs().max().item(), 100 * TOLERANCE)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=1)
