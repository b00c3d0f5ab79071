"""The teacher a run exports with its heads loads into Meta's own model classes (the dinov2
package: DinoVisionTransformer and DINOHead, strict=True) from DINOv2's teacher_checkpoint.pth
format, and computes what pathodino computes: the backbone's normed CLS, register and patch
tokens, the DINO head's logits of the CLS tokens and the iBOT head's of the patch tokens, at the
training resolution and at another one (DINOv2's position-embedding interpolation on its side,
pathodino's on ours). The .pth and pathodino's backbone file with heads hold the same tensors.
The dinov2 package on PyPI (0.0.1) predates registers and the configurable interpolation offset:
its models are built without registers and interpolate with offset 0.1, pathodino's default.

    test_dinov2_checkpoint.py PATHODINO VIT_FEATURES CONFIG

Independent reference: Meta's released modules on the same torch wheel.
"""
import json
import subprocess
import sys
import tempfile
import unittest
import warnings
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

warnings.filterwarnings("ignore")  # xFormers absent; weight_norm deprecated
from dinov2.layers import DINOHead  # noqa: E402
from dinov2.models.vision_transformer import DinoVisionTransformer  # noqa: E402

PATHODINO, VIT_FEATURES, CONFIG = sys.argv[1], sys.argv[2], sys.argv[3]
TOLERANCE = 1e-5


def train(work, name, *sets):
    """A few steps of the tiny config; returns the run folder."""
    cmd = [PATHODINO, "train", "-c", CONFIG, "--set", f"run.output_dir={work}",
           "--set", f"run.name={name}", "--set", "optim.epochs=1", "--set", "optim.iterations_per_epoch=3",
           "--set", "optim.warmup_epochs=0", "--set", "ssl.teacher.warmup_temp_epochs=0",
           "--set", "optim.freeze_last_layer_epochs=0", "--set", "eval.report_seeds=0",
           "--set", "eval.knn_every_steps=0", "--set", "eval.linear_probe=false"]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True, capture_output=True)
    return Path(work) / name


def dinov2_models(run):
    """Meta's backbone and heads, built from the file's metadata, loaded from the .pth."""
    with safe_open(str(run / "teacher_with_heads.safetensors"), "pt") as f:
        meta = f.metadata()
    state = torch.load(run / "teacher_checkpoint.pth", weights_only=True)["teacher"]
    backbone = DinoVisionTransformer(
        img_size=int(meta["img_size"]), patch_size=int(meta["patch_size"]),
        embed_dim=int(meta["embed_dim"]), depth=int(meta["depth"]), num_heads=int(meta["num_heads"]),
        qkv_bias=meta["qkv_bias"] == "true", init_values=float(meta["layerscale_init"]) or None,
        ffn_layer="swiglufused" if meta["ffn"] == "swiglu" else "mlp", block_chunks=0).eval()
    backbone.load_state_dict({k[9:]: v for k, v in state.items() if k.startswith("backbone.")},
                             strict=True)
    heads = {}
    shapes = json.loads(meta["heads"])
    for name in ("dino_head", "ibot_head"):
        shape = shapes[name]
        if isinstance(shape, str):
            heads[name] = heads[shape]
            continue
        head = DINOHead(in_dim=int(meta["embed_dim"]), out_dim=shape["n_prototypes"],
                        nlayers=shape["nlayers"], hidden_dim=shape["hidden_dim"],
                        bottleneck_dim=shape["bottleneck_dim"]).eval()
        head.load_state_dict({k[len(name) + 1:]: v for k, v in state.items()
                              if k.startswith(name + ".")}, strict=True)
        heads[name] = head
    return backbone, heads, state, meta


def ours(run, images, work):
    save_file({"images": images.contiguous()}, str(work / "images.safetensors"))
    subprocess.run([VIT_FEATURES, str(run / "teacher_with_heads.safetensors"),
                    str(work / "images.safetensors"), str(work / "out.safetensors")], check=True)
    return load_file(str(work / "out.safetensors"))


def theirs(backbone, heads, images):
    with torch.no_grad():
        f = backbone.forward_features(images)
        return {"cls": f["x_norm_clstoken"], "patches": f["x_norm_patchtokens"], "dino": heads["dino_head"](f["x_norm_clstoken"]),
                "ibot": heads["ibot_head"](f["x_norm_patchtokens"])}


class Dinov2Checkpoint(unittest.TestCase):
    def check(self, name, *sets):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            run = train(work, name, *sets)
            backbone, heads, state, meta = dinov2_models(run)
            ours_file = load_file(str(run / "teacher_with_heads.safetensors"))
            self.assertEqual(set(ours_file), set(state), "the two forms name the same tensors")
            for key, value in state.items():
                self.assertTrue(torch.equal(ours_file[key], value), key)
            size = int(meta["img_size"])
            for side in (size, size + 2 * int(meta["patch_size"])):
                torch.manual_seed(side)
                images = torch.randn(2, 3, side, side)
                a, b = ours(run, images, work), theirs(backbone, heads, images)
                for part in ("cls", "patches", "dino", "ibot"):
                    self.assertEqual(tuple(a[part].shape), tuple(b[part].shape), part)
                    if b[part].numel():
                        diff = (a[part] - b[part]).abs().max().item()
                        scale = b[part].abs().max().item()
                        print(f"{name} {side}px {part:9s} max|diff| = {diff:.2e} (scale {scale:.2f})")
                        self.assertLessEqual(diff, TOLERANCE * max(1.0, scale), f"{name} {side} {part}")
            # Control: the comparison sees a change of one prototype by 1e-3.
            with torch.no_grad():
                heads["dino_head"].last_layer.weight_v[0] += 1e-3
            images = torch.randn(2, 3, size, size)
            a, b = ours(run, images, work), theirs(backbone, heads, images)
            self.assertGreater((a["dino"] - b["dino"]).abs().max().item(), 10 * TOLERANCE)

    def test_shared_head(self):
        self.check("shared", "model.layerscale_init=0.1")

    def test_separate_heads_swiglu(self):
        self.check("separate", "model.ffn=swiglu",
                   "model.layerscale_init=0.1", "ssl.ibot.separate_head=true",
                   "ssl.ibot.head.n_prototypes=512", "ssl.ibot.head.nlayers=3",
                   "ssl.ibot.head.hidden_dim=256", "ssl.ibot.head.bottleneck_dim=64")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
