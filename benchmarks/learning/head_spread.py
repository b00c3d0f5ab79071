"""Where the DINO targets lose the image: for a finished run, the teacher's CLS embeddings of the
labelled val tiles, its head's normalised bottleneck outputs z, and the centred logits, with their
spread across images — timm's ViT on the exported teacher backbone, the head and the center from
the run's last checkpoint.

    head_spread.py RUN_DIR LABELLED_DIR [--teacher-temp 0.07]

Prints one line: CLS spread, z spread, centred-logit std per image (raw and over T) and the
teacher entropy over log K it implies.
"""
import glob, json, sys, math, torch, numpy as np
from pathlib import Path
from PIL import Image
from safetensors import safe_open
from safetensors.torch import load_file
from timm.models.vision_transformer import VisionTransformer
import torch.nn.functional as F
import argparse
ap = argparse.ArgumentParser(); ap.add_argument("run", type=Path); ap.add_argument("labelled"); ap.add_argument("--teacher-temp", type=float, default=0.07); args = ap.parse_args()
run = args.run; ckpt = sorted(glob.glob(str(run / 'checkpoints/step-*')))[-1]
with safe_open(str(run / 'teacher_backbone.safetensors'), 'pt') as f: meta = f.metadata()
kw = json.loads(meta['timm_kwargs']); model = VisionTransformer(**kw).eval()
sd = load_file(str(run / 'teacher_backbone.safetensors')); sd.pop('mask_token', None); model.load_state_dict(sd, strict=True)
t = {}
for f in glob.glob(ckpt + '/shard-*.safetensors'):
    with safe_open(f, 'pt') as h:
        for k in h.keys():
            if k.startswith('teacher.dino_head.') or k == 'center.dino': t[k] = h.get_tensor(k)
# DINOv2's names: mlp.{0,2,4}.* for a deep MLP, mlp.* for a one-layer one.
layers = sorted(f'mlp.{k.split(".")[3]}' for k in t if k.startswith('teacher.dino_head.mlp.') and k.endswith('.weight')
                and k.count('.') == 4) or ['mlp']
layers.sort(key=lambda n: int(n.split('.')[1]) if '.' in n else 0)
W = [t[f'teacher.dino_head.{n}.weight'] for n in layers]; B = [t[f'teacher.dino_head.{n}.bias'] for n in layers]
v, g = t['teacher.dino_head.last_layer.weight_v'], t['teacher.dino_head.last_layer.weight_g']
mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
imgs = []
for p in sorted(glob.glob(args.labelled + '/val/*/*.png')):
    a = (np.asarray(Image.open(p).convert('RGB').resize((kw['img_size'],) * 2, Image.BILINEAR), dtype=np.float32) / 255 - mean) / std
    imgs.append(torch.tensor(a, dtype=torch.float32).permute(2, 0, 1))
x = torch.stack(imgs)
with torch.no_grad():
    cls = model.forward_features(x)[:, 0]
    h = cls
    for i in range(len(W)): h = F.linear(h, W[i], B[i]) if i == len(W) - 1 else F.gelu(F.linear(h, W[i], B[i]))
    z = F.normalize(h, dim=-1)
    logits = z @ (g * F.normalize(v, dim=1)).t()
    centred = logits - t['center.dino']
    q = F.softmax(centred / args.teacher_temp, dim=-1)
    H = -(q * q.clamp_min(1e-30).log()).sum(-1).mean().item()
zc = z - z.mean(0)
print(f"{run.name}: CLS cosine spread (1 - mean cos to mean) {1 - F.cosine_similarity(cls, cls.mean(0, keepdim=True)).mean():.4f}; "
      f"head z: mean |z - mean z| {zc.norm(dim=1).mean():.4f}, mean cos to mean {F.cosine_similarity(z, z.mean(0, keepdim=True)).mean():.4f}; "
      f"centred logit std per image {centred.std(1).mean():.4f} (over T: {centred.std(1).mean()/args.teacher_temp:.3f}); H/logK {H / math.log(v.shape[0]):.4f}")
# Per layer of the head's MLP: the size of W x, of its part that differs between images, and of
# the bias; and how far the weights moved from their trunc-normal(0.02) init.
with torch.no_grad():
    x_in = cls
    for i in range(len(W)):
        wx = F.linear(x_in, W[i])
        print(f"  {layers[i]}: |W x| {wx.norm(dim=1).mean():.3f}, its image-dependent part "
              f"{(wx - wx.mean(0)).norm(dim=1).mean():.3f}, |b| {B[i].norm():.3f}, W std {W[i].std():.4f}")
        x_in = F.gelu(wx + B[i]) if i < len(W) - 1 else x_in
