"""The SSL training step against Meta's own code: the `dinov2` package (0.0.1.dev2, the released
modules, installed --no-deps by launch/setup.sh) replays what ssl_parity_dump did in C++ — the same
weights, crops, masks and schedule values through dinov2.train.ssl_meta_arch.SSLMetaArch
.forward_backward, its DINOHead (weight-normed, trainable gains), its losses (softmax centering
and Sinkhorn-Knopp), its parameter groups (dinov2.utils.param_groups) and train.py's schedule
application — and the two must agree to a relative error of 1e-5 (max |ours - theirs| over
max |theirs|, per tensor): losses, head outputs, the gradient of every parameter, and student,
teacher and centers after 3 AdamW + EMA steps.

What is not Meta's code here, and why (CPU, one process, no xFormers):
  - xformers.ops.fmha.BlockDiagonalMask: concatenation and split of the head inputs, which is
    what it does to tensors that go through a per-token head;
  - NestedTensorBlock on a list (student globals + locals): each tensor through Block.forward,
    which is what block-diagonal attention computes;
  - .cuda() and torch.cuda.synchronize() as no-ops, and no sharing of FSDP's CUDA streams;
  - the three lines of train.py's loop and of SSLMetaArch.update_teacher that reach into FSDP
    (gradient clipping per student module, the EMA over parameter lists).

    test_dinov2_parity.py SSL_PARITY_DUMP
"""
import math
import subprocess
import sys
import tempfile
import types
import unittest
import warnings
from pathlib import Path
from types import SimpleNamespace as NS

import torch
import torch.distributed as dist
from safetensors.torch import load_file

warnings.filterwarnings("ignore")
DUMP = sys.argv[1]
TOLERANCE = 1e-5


def install_shims():
    """The stand-ins listed in the module docstring; installed before dinov2 is imported."""
    fmha = types.ModuleType("xformers.ops.fmha")

    class BlockDiagonalMask:
        def __init__(self, sizes):
            self.sizes = sizes

        @staticmethod
        def from_tensor_list(tensors):
            return BlockDiagonalMask([t.shape[1] for t in tensors]), torch.cat(tensors, dim=1)

        def split(self, x):
            return list(x.split(self.sizes, dim=1))

    fmha.BlockDiagonalMask = BlockDiagonalMask
    ops = types.ModuleType("xformers.ops")
    ops.fmha = fmha
    xformers = types.ModuleType("xformers")
    xformers.ops = ops
    sys.modules.update({"xformers": xformers, "xformers.ops": ops, "xformers.ops.fmha": fmha})
    torch.Tensor.cuda = lambda self, *args, **kwargs: self
    torch.cuda.synchronize = lambda *args, **kwargs: None

    from dinov2.layers import block

    original = block.NestedTensorBlock.forward

    def forward(self, x_or_x_list):
        if isinstance(x_or_x_list, list):
            return [block.Block.forward(self, x) for x in x_or_x_list]
        return original(self, x_or_x_list)

    block.NestedTensorBlock.forward = forward


install_shims()
from dinov2.layers import DINOHead  # noqa: E402
from dinov2.train.ssl_meta_arch import SSLMetaArch  # noqa: E402
from dinov2.train.train import apply_optim_scheduler  # noqa: E402

if not dist.is_initialized():  # iBOT's Sinkhorn-Knopp all-reduces unconditionally
    dist.init_process_group("gloo", init_method=f"file://{tempfile.mktemp()}", rank=0, world_size=1)

tmp = Path(tempfile.mkdtemp())
subprocess.run([DUMP, str(tmp / "dump.safetensors")], check=True)
D = load_file(str(tmp / "dump.safetensors"))


def rel_err(ours, ref):
    ours, ref = ours.double(), ref.double()
    return ((ours - ref).abs().max() / ref.abs().max().clamp_min(1e-30)).item()


def config(centering):
    """The C++ dump's setup in DINOv2's config vocabulary (ssl_default_config.yaml)."""
    return NS(
        compute_precision=NS(grad_scaler=False),
        student=NS(arch="vit_small", patch_size=16, layerscale=1e-5, ffn_layer="mlp", block_chunks=0,
                   qkv_bias=True, proj_bias=True, ffn_bias=True, drop_path_rate=0.0,
                   drop_path_uniform=True, pretrained_weights=""),
        crops=NS(global_crops_size=64, local_crops_number=2),
        dino=NS(loss_weight=1.0, head_n_prototypes=128, head_bottleneck_dim=32, head_hidden_dim=64,
                head_nlayers=3, koleo_loss_weight=0.1),
        ibot=NS(loss_weight=1.0, mask_ratio_min_max=(0.1, 0.5), mask_sample_probability=0.5,
                separate_head=False, head_n_prototypes=128, head_bottleneck_dim=32,
                head_hidden_dim=64, head_nlayers=3),
        train=NS(centering=centering),
        optim=NS(layerwise_decay=0.9, patch_embed_lr_mult=0.2, clip_grad=3.0),
    )


def load_initial_weights(model):
    """Ours are named backbone.<timm/DINOv2 name> and dino_head.<DINOHead name>."""
    model.need_to_synchronize_fsdp_streams = False  # FSDP's CUDA streams: none here
    for network in (model.student, model.teacher):
        for module in ("backbone", "dino_head"):
            state = {k[len(module) + 1:]: v for k, v in D.items()
                     if k.startswith("init." + module + ".") for k in [k[5:]]}
            missing, unexpected = network[module].load_state_dict(state, strict=False)
            assert not unexpected, unexpected
            assert all(".ls" not in m for m in missing), missing  # only buffers-free gaps allowed
            assert not [m for m in missing if m in dict(network[module].named_parameters())], missing


def batch():
    masks = D["input.masks"].bool()
    mask_indices = masks.flatten().nonzero().flatten()
    return {
        "collated_global_crops": D["input.global_crops"],
        "collated_local_crops": D["input.local_crops"],
        "collated_masks": masks,
        "mask_indices_list": mask_indices,
        "n_masked_patches": torch.full((1,), len(mask_indices), dtype=torch.long),
        "upperbound": masks.numel(),
        # dinov2/data/collate.py's weights, in the networks' dtype (fp64 here).
        "masks_weight": (1 / masks.sum(-1).clamp(min=1.0).double()).unsqueeze(-1).expand_as(masks)[masks],
    }


def replay(centering):
    """dinov2/train/train.py's loop body, three times."""
    torch.manual_seed(0)
    model = SSLMetaArch(config(centering)).double()  # as the C++ side: fp64
    load_initial_weights(model)
    model.train()
    optimizer = torch.optim.AdamW(model.get_params_groups(), betas=(0.9, 0.999))
    losses, grads = [], None
    for step in range(3):
        lr, last_layer_lr, wd, momentum, teacher_temp = D[f"values.{step}"].tolist()
        apply_optim_scheduler(optimizer, lr, wd, last_layer_lr)
        optimizer.zero_grad(set_to_none=True)
        loss_dict = model.forward_backward(batch(), teacher_temp=teacher_temp)
        losses.append(loss_dict)
        if grads is None:
            grads = {f"{module}.{name}": p.grad.clone() for module in ("backbone", "dino_head")
                     for name, p in model.student[module].named_parameters()}
        for module in model.student.values():  # FSDP's clip_grad_norm_, per student module
            torch.nn.utils.clip_grad_norm_(module.parameters(), 3.0)
        optimizer.step()
        with torch.no_grad():  # SSLMetaArch.update_teacher without FSDP's parameter lists
            student = [p for k in model.student.keys() for p in model.student[k].parameters()]
            teacher = [p for k in model.student.keys() for p in model.teacher[k].parameters()]
            torch._foreach_mul_(teacher, momentum)
            torch._foreach_add_(teacher, student, alpha=1 - momentum)
    return model, losses, grads


class Dinov2Parity(unittest.TestCase):
    def check_run(self, centering, tag):
        model, losses, grads = replay(centering)
        for step, loss_dict in enumerate(losses):
            dino, ibot, koleo = D[f"{tag}.loss.{step}"].tolist()
            theirs_dino = loss_dict["dino_local_crops_loss"] + loss_dict["dino_global_crops_loss"]
            # loss_dict shows iBOT and KoLeo halved (ssl_meta_arch: "to display the same losses")
            for name, ours, theirs in (("dino", dino, theirs_dino.item()),
                                       ("ibot", ibot, 2 * loss_dict["ibot_loss"].item()),
                                       ("koleo", koleo, 2 * loss_dict["koleo_loss"].item() / 0.1)):
                self.assertLessEqual(abs(ours - theirs) / abs(theirs), TOLERANCE,
                                     f"{centering} step {step} {name}: {ours} vs {theirs}")
        self.assertEqual(len(grads), len([k for k in D if k.startswith(tag + ".grad.")]))
        worst = 0.0
        for name, theirs in grads.items():
            err = rel_err(D[f"{tag}.grad.{name}"], theirs)
            worst = max(worst, err)
            self.assertLessEqual(err, TOLERANCE, f"{centering} gradient of {name}")
        for network in ("student", "teacher"):
            for module in ("backbone", "dino_head"):
                for name, theirs in getattr(model, network)[module].named_parameters():
                    key = f"{tag}.{network}.{module}.{name}"
                    self.assertLessEqual(rel_err(D[key], theirs.detach()), TOLERANCE,
                                         f"{centering}: {network} {module}.{name} after 3 steps")
        if centering == "centering":
            model.dino_loss.apply_center_update()
            model.ibot_patch_loss.apply_center_update()
            self.assertLessEqual(rel_err(D[f"{tag}.dino_center"], model.dino_loss.center), TOLERANCE)
            self.assertLessEqual(rel_err(D[f"{tag}.ibot_center"],
                                         model.ibot_patch_loss.center.view(1, -1)), TOLERANCE)
        print(f"{centering}: worst gradient error {worst:.2e}")

    def test_softmax_centering(self):
        self.check_run("centering", "softmax")

    def test_sinkhorn_knopp(self):
        self.check_run("sinkhorn_knopp", "sinkhorn")

    def test_head_output_and_names(self):
        head = DINOHead(in_dim=384, out_dim=128, hidden_dim=64, bottleneck_dim=32, nlayers=3).double()
        state = {k[len("init.dino_head."):]: v for k, v in D.items() if k.startswith("init.dino_head.")}
        head.load_state_dict(state, strict=True)  # every DINOv2 name present, none extra
        with torch.no_grad():
            theirs = head(D["input.head"])
        self.assertLessEqual(rel_err(D["head.output"], theirs), TOLERANCE)
        self.assertGreater(D["init.dino_head.last_layer.weight_g"].std().item(), 0.1)  # gains matter

    def test_a_different_step_is_detected(self):
        # Control: the comparison can fail — Meta's step with another teacher temperature.
        model = SSLMetaArch(config("centering")).double()
        load_initial_weights(model)
        model.train()
        loss = model.forward_backward(batch(), teacher_temp=0.07)
        theirs = (loss["dino_local_crops_loss"] + loss["dino_global_crops_loss"]).item()
        self.assertGreater(abs(D["softmax.loss.0"][0].item() - theirs) / theirs, 100 * TOLERANCE)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
