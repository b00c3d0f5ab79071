"""Images/s of one full DINOv2 training step — teacher forward on the 2 global crops, student
forward on all crops (iBOT mask tokens on the globals), DINO + iBOT + KoLeo, backward, per-module
clipping, AdamW over parameter groups, EMA teacher — pathodino (C++, `ssl_train_step`) against the
same step written in Python on the same torch wheel (timm ViT + a DINOv2-style head and losses),
interleaved in one script; plus achieved FLOP/s against the fp32 matmul peak of the same run.

    ssl_step_vs_python.py SSL_TRAIN_STEP CONFIG [--steps 3] [--warmup 1] [--rounds 3] [--threads 2]

The Python side reads the sizes from CONFIG (resolved by `pathodino config show`, next to the
binary) and follows DINOv2's ssl_meta_arch.py as its users run it (eager, PyTorch defaults).
"""
import argparse
import json
import statistics
import subprocess
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml
from timm.models.vision_transformer import VisionTransformer
from torch.utils.flop_counter import FlopCounterMode

from peak_flops import matmul_peak_flops

SIZES = {"vit_tiny": (192, 12, 3), "vit_small": (384, 12, 6), "vit_base": (768, 12, 12)}

p = argparse.ArgumentParser()
p.add_argument("binary")
p.add_argument("config")
p.add_argument("--steps", type=int, default=3)
p.add_argument("--warmup", type=int, default=1)
p.add_argument("--rounds", type=int, default=3)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--read-tokens", action="store_true",
               help="Python's last block also runs for the tokens the losses read only")
a = p.parse_args()
read_tokens = [a.read_tokens]  # flipped while counting the FLOPs of each variant
torch.set_num_threads(a.threads)
pathodino = Path(a.binary).with_name("pathodino")
cfg = yaml.safe_load(subprocess.run([str(pathodino), "config", "show", "-c", a.config], check=True,
                                    capture_output=True, text=True).stdout)
m, s, d, o = cfg["model"], cfg["ssl"], cfg["data"], cfg["optim"]
dim, depth, heads = SIZES[m["arch"]]
B, G, L, NL = d["batch_size_per_rank"], d["global_crops_size"], d["local_crops_size"], d["local_crops_number"]
head_cfg = s["dino"]["head"]
K = head_cfg["n_prototypes"]


class MaskedViT(VisionTransformer):
    """timm's ViT plus DINOv2's mask token for iBOT."""

    def __init__(self):
        super().__init__(img_size=G, patch_size=m["patch_size"], embed_dim=dim, depth=depth,
                         num_heads=heads, init_values=m["layerscale_init"], num_classes=0,
                         dynamic_img_size=True, drop_path_rate=m["drop_path_rate"])
        self.mask_token = nn.Parameter(torch.zeros(1, dim))

    def features(self, x, masks=None, read=None):
        """The CLS tokens and the patch tokens at `read` (None: no patches), as the losses read
        them. With --read-tokens the last block runs for those tokens only, as pathodino does."""
        x = self.patch_embed(x)  # [B, H, W, D]
        if masks is not None:
            x = torch.where(masks.view(x.shape[:3] + (1,)), self.mask_token.to(x.dtype), x)
        x = self.norm_pre(self._pos_embed(x))
        if not read_tokens[0]:
            x = self.norm(self.blocks(x))
            return x[:, 0], None if read is None else x[:, 1:][read]
        y = self.norm(last_block_rows(self.blocks[-1], self.blocks[:-1](x), read))
        return y[: x.shape[0]], None if read is None else y[x.shape[0]:]


def last_block_rows(blk, x, read):
    """timm's Block at every sample's CLS and the patches at `read` only (no drop path)."""
    b, n, c = x.shape
    rows = torch.arange(b) * n
    if read is not None:
        flat = read.flatten().nonzero().squeeze(1)
        rows = torch.cat([rows, flat // read.shape[1] * n + 1 + flat % read.shape[1]])
    at = blk.attn
    q, k, v = at.qkv(blk.norm1(x)).reshape(b, n, 3, at.num_heads, c // at.num_heads).permute(2, 0, 3, 1, 4).unbind(0)
    mixed = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b * n, c)[rows]
    y = x.flatten(0, 1)[rows] + blk.ls1(at.proj(mixed))
    return y + blk.ls2(blk.mlp(blk.norm2(y)))


class DinoHead(nn.Module):
    def __init__(self):
        super().__init__()
        h, bn = head_cfg["hidden_dim"], head_cfg["bottleneck_dim"]
        self.mlp = nn.Sequential(nn.Linear(dim, h), nn.GELU(), nn.Linear(h, h), nn.GELU(), nn.Linear(h, bn))
        # DINOv2's last layer: weight_norm with a trainable gain filled with 1.
        self.last_layer = nn.utils.weight_norm(nn.Linear(bn, K, bias=False))
        self.last_layer.weight_g.data.fill_(1)

    def forward(self, x):
        return self.last_layer(F.normalize(self.mlp(x), dim=-1))


def param_groups(backbone, head):
    groups = {}
    for name, p_ in backbone.named_parameters():
        layer = 0 if any(k in name for k in ("pos_embed", "patch_embed", "mask_token", "cls_token")) else (
            int(name.split(".")[1]) + 1 if name.startswith("blocks.") else depth + 1)
        lr_mult = o["layerwise_decay"] ** (depth + 1 - layer) * (o["patch_embed_lr_mult"] if "patch_embed" in name else 1)
        wd_mult = 0.0 if name.endswith(".bias") or "norm" in name or "gamma" in name else 1.0
        groups.setdefault((lr_mult, wd_mult, False), []).append(p_)
    for name, p_ in head.named_parameters():
        groups.setdefault((1.0, 0.0 if name.endswith(".bias") else 1.0, "last_layer" in name), []).append(p_)
    return [{"params": v, "lr": 1e-4 * k[0], "weight_decay": 0.04 * k[1]} for k, v in groups.items()]


torch.manual_seed(0)
student, teacher = MaskedViT().train(), MaskedViT().eval()
student_head, teacher_head = DinoHead(), DinoHead()
teacher.load_state_dict(student.state_dict())
teacher_head.load_state_dict(student_head.state_dict())
for p_ in list(teacher.parameters()) + list(teacher_head.parameters()):
    p_.requires_grad_(False)
optimizer = torch.optim.AdamW(param_groups(student, student_head), betas=tuple(o["betas"]))
student_params = list(student.parameters()) + list(student_head.parameters())
teacher_params = list(teacher.parameters()) + list(teacher_head.parameters())
dino_center, ibot_center = torch.zeros(1, K), torch.zeros(1, K)
globals_ = torch.randn(2 * B, 3, G, G)
locals_ = torch.randn(NL * B, 3, L, L)
grid = G // m["patch_size"]


def random_masks():
    masks = torch.zeros(2 * B, grid * grid, dtype=torch.bool)
    for i in range(B):  # half of the crops, 10–50% of their patches
        masks[i, torch.randperm(grid * grid)[: int(grid * grid * (0.1 + 0.4 * i / B))]] = True
    return masks[torch.randperm(2 * B)]


def koleo(x, eps=1e-8):
    x = F.normalize(x, eps=eps, dim=-1)
    with torch.no_grad():
        dots = x @ x.t()
        dots.view(-1)[:: x.shape[0] + 1].fill_(-1)
        nn_idx = dots.max(dim=1).indices
    return -torch.log(F.pairwise_distance(x, x[nn_idx], eps=eps) + eps).mean()


def python_step(masks, temp=0.04, student_temp=0.1, momentum=0.994):
    global dino_center, ibot_center
    optimizer.zero_grad(set_to_none=True)
    with torch.no_grad():
        t_cls, t_patch = teacher.features(globals_, read=masks)
        t_logits = teacher_head(t_cls)
        dino_t = F.softmax((t_logits - dino_center) / temp, dim=-1).view(2, B, K)
        dino_center = dino_center * 0.9 + t_logits.mean(0, keepdim=True) * 0.1
        t_plogits = teacher_head(t_patch)
        ibot_t = F.softmax((t_plogits - ibot_center) / temp, dim=-1)
        ibot_center = ibot_center * 0.9 + t_plogits.mean(0, keepdim=True) * 0.1
    s_cls_g, s_patch = student.features(globals_, masks, read=masks)
    s_cls_l, _ = student.features(locals_)
    lsm = F.log_softmax(student_head(torch.cat([s_cls_g, s_cls_l])) / student_temp, -1).view(2 + NL, B, K)
    terms = [-(dino_t[t] * lsm[c]).sum(-1).mean() for c in range(2 + NL) for t in range(2) if c != t]
    dino = sum(terms) / len(terms)
    per_patch = -(ibot_t * F.log_softmax(student_head(s_patch) / student_temp, -1)).sum(-1)
    weights = (1 / masks.sum(-1, keepdim=True).clamp(min=1)).expand_as(masks)[masks]
    ibot = (per_patch * weights).sum() / masks.shape[0]
    k = sum(koleo(c) for c in s_cls_g.chunk(2))
    loss = s["dino"]["loss_weight"] * dino + s["ibot"]["loss_weight"] * ibot + s["koleo"]["loss_weight"] * k
    loss.backward()
    for module in (student, student_head):
        nn.utils.clip_grad_norm_(module.parameters(), o["clip_grad"])
    optimizer.step()
    with torch.no_grad():
        torch._foreach_mul_(teacher_params, momentum)
        torch._foreach_add_(teacher_params, student_params, alpha=1 - momentum)
    return loss.item()


def python_images_per_s():
    for _ in range(a.warmup):
        python_step(random_masks())
    times = []
    for _ in range(a.steps):
        masks = random_masks()
        t = time.perf_counter()
        python_step(masks)
        times.append(time.perf_counter() - t)
    return B / statistics.median(times)


def cpp_images_per_s():
    out = subprocess.run([a.binary, a.config, str(a.steps), str(a.warmup), str(a.threads)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["images_per_s"]


def step_flops_per_image(read):
    read_tokens[0] = read
    with FlopCounterMode(display=False) as counter:
        python_step(random_masks())
    read_tokens[0] = a.read_tokens
    return counter.get_total_flops() / B


# pathodino runs the last block for the tokens read only: Note [Last block on read tokens].
flops_per_image, cpp_flops_per_image = step_flops_per_image(a.read_tokens), step_flops_per_image(True)

cpp, py, peaks = [], [], []
for _ in range(a.rounds):
    peaks.append(matmul_peak_flops())
    cpp.append(cpp_images_per_s())
    py.append(python_images_per_s())
peak = max(peaks)
c, t = statistics.median(cpp), statistics.median(py)
print(f"{m['arch']}/{m['patch_size']}, batch {B}, 2x{G} + {NL}x{L} crops, {K} prototypes, fp32, "
      f"{a.threads} intra-op threads, {a.rounds} interleaved rounds of {a.steps} steps (median)")
print(f"pathodino C++ : {c:7.3f} img/s   rounds {[round(v, 3) for v in cpp]}")
print(f"Python        : {t:7.3f} img/s   rounds {[round(v, 3) for v in py]}")
print(f"ratio C++/Python = {c / t:.3f}   per round {[round(x / y, 3) for x, y in zip(cpp, py)]}")
print(f"step FLOPs per image (torch FlopCounterMode on the Python step) = {flops_per_image / 1e9:.1f} GFLOP"
      f"{' (last block on read tokens)' if a.read_tokens else ''}; with the last block on read tokens, "
      f"as pathodino = {cpp_flops_per_image / 1e9:.1f} GFLOP")
print(f"matmul peak (fp32 2048^3 torch.mm) = {peak / 1e9:.1f} GFLOP/s")
print(f"achieved: C++ {c * cpp_flops_per_image / 1e9:.1f} GFLOP/s = {c * cpp_flops_per_image / peak:.1%} of peak; "
      f"Python {t * flops_per_image / 1e9:.1f} GFLOP/s = {t * flops_per_image / peak:.1%}")
