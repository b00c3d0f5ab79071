"""launch/convert_dinov2_checkpoint.py on checkpoints made by Meta's own classes (the dinov2
package): a torch.hub-style backbone with chunked blocks, and a teacher_checkpoint.pth with a
3-layer DINO head. pathodino's forward of each converted file equals dinov2's (backbone tokens,
and the head's logits); a run continues from the converted teacher with its heads.

    test_convert_dinov2_checkpoint.py PATHODINO VIT_FEATURES ROOT
"""
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

PATHODINO, VIT_FEATURES, ROOT = sys.argv[1], sys.argv[2], Path(sys.argv[3])
CONVERT = ROOT / "launch" / "convert_dinov2_checkpoint.py"
TOLERANCE = 1e-5


def meta_models():
    """ViT-S/14 at 56 px in Meta's classes, chunked like ViT-g, with weights away from init."""
    torch.manual_seed(0)
    backbone = DinoVisionTransformer(img_size=56, patch_size=14, embed_dim=384, depth=12, num_heads=6,
                                     init_values=1e-5, block_chunks=3).eval()
    head = DINOHead(in_dim=384, out_dim=256, nlayers=3, hidden_dim=128, bottleneck_dim=64).eval()
    with torch.no_grad():
        for name, p in list(backbone.named_parameters()) + list(head.named_parameters()):
            if "gamma" in name or "weight_g" in name:
                p.copy_(0.5 + torch.rand_like(p))
            elif "bias" in name or "pos_embed" in name or "token" in name:
                p.copy_(0.02 * torch.randn_like(p))
    return backbone, head


def convert(source, out):
    done = subprocess.run([sys.executable, str(CONVERT), str(source), str(out)], check=True,
                          capture_output=True, text=True)
    return done.stdout


def ours(path, images, work):
    save_file({"images": images.contiguous()}, str(work / "images.safetensors"))
    subprocess.run([VIT_FEATURES, str(path), str(work / "images.safetensors"),
                    str(work / "out.safetensors")], check=True)
    return load_file(str(work / "out.safetensors"))


class Convert(unittest.TestCase):
    def compare(self, a, b, part):
        diff = (a - b).abs().max().item()
        print(f"{part:8s} max|diff| = {diff:.2e}")
        self.assertLessEqual(diff, TOLERANCE * max(1.0, b.abs().max().item()), part)

    def test_hub_backbone_with_chunked_blocks(self):
        backbone, _ = meta_models()
        self.assertTrue(any(k.startswith("blocks.1.4.") for k in backbone.state_dict()))
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            torch.save(backbone.state_dict(), work / "hub.pth")
            print(convert(work / "hub.pth", work / "hub.safetensors"), end="")
            with safe_open(str(work / "hub.safetensors"), "pt") as f:
                self.assertNotIn("heads", f.metadata())
                self.assertEqual(f.metadata()["depth"], "12")
            images = torch.randn(2, 3, 70, 70)  # another grid than the stored one
            a = ours(work / "hub.safetensors", images, work)
            with torch.no_grad():
                f = backbone.forward_features(images)
            self.compare(a["cls"], f["x_norm_clstoken"], "cls")
            self.compare(a["patches"], f["x_norm_patchtokens"], "patches")

    def test_teacher_checkpoint_with_heads_continues(self):
        backbone, head = meta_models()
        state = {"backbone." + k: v for k, v in backbone.state_dict().items()}
        state.update({"dino_head." + k: v for k, v in head.state_dict().items()})
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            torch.save({"teacher": state}, work / "teacher_checkpoint.pth")
            converted = work / "teacher.safetensors"
            print(convert(work / "teacher_checkpoint.pth", converted), end="")
            images = torch.randn(2, 3, 56, 56)
            a = ours(converted, images, work)
            with torch.no_grad():
                f = backbone.forward_features(images)
                self.compare(a["cls"], f["x_norm_clstoken"], "cls")
                self.compare(a["dino"], head(f["x_norm_clstoken"]), "dino")
                self.compare(a["ibot"], head(f["x_norm_patchtokens"]), "ibot")
            run = subprocess.run(
                [PATHODINO, "train", "-c", str(ROOT / "configs/debug/tiny_cpu.yaml"),
                 "--set", f"run.output_dir={work}", "--set", "model.arch=vit_small",
                 "--set", "model.patch_size=14", "--set", "model.layerscale_init=1e-5",
                 "--set", f"model.pretrained={converted}", "--set", "data.global_crops_size=56",
                 "--set", "data.local_crops_size=28", "--set", "data.batch_size_per_rank=4",
                 "--set", "ssl.dino.head={n_prototypes: 256, bottleneck_dim: 64, hidden_dim: 128, nlayers: 3}",
                 "--set", "optim.epochs=1", "--set", "optim.iterations_per_epoch=2",
                 "--set", "optim.warmup_epochs=0", "--set", "optim.heads_only_steps=1",
                 "--set", "eval.report_seeds=0", "--set", "eval.knn_every_steps=0"],
                capture_output=True, text=True)
            print(run.stdout[-600:], run.stderr[-600:])
            self.assertEqual(run.returncode, 0)
            self.assertIn("teacher.safetensors: backbone and heads; heads only for 1 step", run.stdout)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
