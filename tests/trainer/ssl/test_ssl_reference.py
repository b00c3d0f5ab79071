"""The SSL objective and schedules against an independent Python reference written from DINOv2's
formulas (dinov2/loss/*.py, dinov2/utils/utils.py CosineScheduler, dinov2/train/train.py), on the
inputs the C++ side dumped. Relative error <= 1e-5.

    test_ssl_reference.py SSL_REFERENCE_DUMP CONFIG.yaml
"""
import math
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import yaml
from safetensors.torch import load_file

DUMP, CONFIG = sys.argv[1], sys.argv[2]
TOLERANCE = 1e-5


def run_dump():
    tmp = Path(tempfile.mkdtemp())
    subprocess.run([DUMP, str(tmp / "dump.safetensors"), CONFIG], check=True)
    return {k: v for k, v in load_file(str(tmp / "dump.safetensors")).items()}


D = run_dump()


def rel_err(ours, ref):
    ours, ref = torch.as_tensor(ours, dtype=torch.float64), torch.as_tensor(ref, dtype=torch.float64)
    return ((ours - ref).abs().max() / ref.abs().max().clamp_min(1e-30)).item()


# ---- reference implementations, as DINOv2 writes them ----

def softmax_center_teacher(teacher_output, center, temp):
    return F.softmax((teacher_output - center) / temp, dim=-1)


def update_center(center, teacher_output, momentum):
    batch_center = torch.sum(teacher_output, dim=0, keepdim=True) / len(teacher_output)
    return center * momentum + batch_center * (1 - momentum)


def sinkhorn_knopp_teacher(teacher_output, temp, n_iterations=3):
    Q = torch.exp(teacher_output / temp).t()
    B, K = Q.shape[1], Q.shape[0]
    Q /= torch.sum(Q)
    for _ in range(n_iterations):
        Q /= torch.sum(Q, dim=1, keepdim=True)
        Q /= K
        Q /= torch.sum(Q, dim=0, keepdim=True)
        Q /= B
    Q *= B
    return Q.t()


def dino_crops_loss(student_list, teacher_list, student_temp):
    total = 0
    for s in student_list:
        lsm = F.log_softmax(s / student_temp, dim=-1)
        for t in teacher_list:
            total -= torch.sum(t * lsm, dim=-1).mean()
    return total


def dino_loss_as_ssl_meta_arch(student, targets, student_temp, n_global=2):
    n_local = student.shape[0] - n_global
    n_local_terms = n_local * n_global
    n_global_terms = (n_global - 1) * n_global
    local = dino_crops_loss(list(student[n_global:]), list(targets), student_temp)
    # globals: each student global crop against the *other* teacher crop (swapped order)
    swapped = torch.cat([targets[1], targets[0]])
    glob = dino_crops_loss([student[:n_global].flatten(0, 1)], [swapped], student_temp) * 2
    return (local + glob) / (n_global_terms + n_local_terms)


def ibot_forward_masked(student_masked, teacher_masked, masks, student_temp):
    loss = torch.sum(teacher_masked * F.log_softmax(student_masked / student_temp, dim=-1), dim=-1)
    weights = (1 / masks.sum(-1).clamp(min=1.0)).unsqueeze(-1).expand_as(masks)[masks]
    return -(loss * weights).sum() / masks.shape[0]


def koleo(x, eps=1e-8):
    x = F.normalize(x, eps=eps, p=2, dim=-1)
    dots = torch.mm(x, x.t())
    n = x.shape[0]
    dots.view(-1)[:: (n + 1)].fill_(-1)
    _, I = torch.max(dots, dim=1)
    distances = torch.nn.PairwiseDistance(2, eps=1e-8)(x, x[I])
    return -torch.log(distances + eps).mean()


class CosineScheduler:
    def __init__(self, base_value, final_value, total_iters, warmup_iters=0, start_warmup_value=0, freeze_iters=0):
        self.final_value, self.total_iters = final_value, total_iters
        freeze = np.zeros((freeze_iters))
        warmup = np.linspace(start_warmup_value, base_value, warmup_iters)
        iters = np.arange(total_iters - warmup_iters - freeze_iters)
        cosine = final_value + 0.5 * (base_value - final_value) * (1 + np.cos(np.pi * iters / len(iters)))
        self.schedule = np.concatenate((freeze, warmup, cosine))

    def __getitem__(self, it):
        return self.final_value if it >= self.total_iters else self.schedule[it]


def resolved_config():
    out = subprocess.run([str(Path(DUMP).parent / "pathodino"), "config", "show", "-c", CONFIG],
                         check=True, capture_output=True, text=True).stdout
    return yaml.safe_load(out)


class SslReference(unittest.TestCase):
    def test_softmax_center(self):
        logits = D["dino.teacher_logits"].reshape(-1, D["dino.teacher_logits"].shape[-1])
        ref = softmax_center_teacher(logits, D["center.before"], 0.04)
        self.assertLessEqual(rel_err(D["center.targets"].reshape(ref.shape), ref), TOLERANCE)
        self.assertLessEqual(rel_err(D["center.after"], update_center(D["center.before"], logits, 0.9)), TOLERANCE)

    def test_sinkhorn_knopp(self):
        logits = D["dino.teacher_logits"].reshape(-1, D["dino.teacher_logits"].shape[-1])
        ref = sinkhorn_knopp_teacher(logits, 0.07, 3)
        self.assertLessEqual(rel_err(D["sinkhorn.targets"], ref), TOLERANCE)

    def test_dino_loss(self):
        ref = dino_loss_as_ssl_meta_arch(D["dino.student"], D["center.targets"], 0.1)
        self.assertLessEqual(rel_err(D["dino.loss"], ref), TOLERANCE)

    def test_ibot_loss(self):
        masks = D["ibot.masks"].bool()
        ref = ibot_forward_masked(D["ibot.student"], D["ibot.targets"], masks, 0.1)
        self.assertLessEqual(rel_err(D["ibot.loss"], ref), TOLERANCE)

    def test_koleo_loss_and_gradient(self):
        x = D["koleo.features"].clone().requires_grad_(True)
        ref = koleo(x)
        ref.backward()
        self.assertLessEqual(rel_err(D["koleo.loss"], ref), TOLERANCE)
        self.assertLessEqual(rel_err(D["koleo.grad"], x.grad), TOLERANCE)

    def test_weighted_knn(self):
        # dino/eval_knn.py knn_classifier: top-k cosine neighbours vote with exp(sim / T).
        bank, queries = D["knn.bank"].float(), D["knn.queries"].float()  # computed in fp32
        bank_labels, query_labels = D["knn.bank_labels"].long(), D["knn.query_labels"].long()
        sim, idx = (queries @ bank.t()).topk(20, dim=1)
        candidates = bank_labels.view(1, -1).expand(len(queries), -1).gather(1, idx)
        one_hot = torch.zeros(len(queries) * 20, 5, dtype=sim.dtype)
        one_hot.scatter_(1, candidates.view(-1, 1), 1)
        probs = (one_hot.view(len(queries), 20, 5) * (sim / 0.07).exp().view(len(queries), 20, 1)).sum(1)
        predictions = probs.argmax(1)
        # Identical wherever the vote is not a near-tie (fp32 sums in another order may flip those).
        top2 = probs.topk(2, dim=1).values
        decided = (top2[:, 0] - top2[:, 1]) > 1e-4 * top2[:, 0]
        self.assertTrue(torch.equal(predictions[decided], D["knn.predictions"].long()[decided]))
        self.assertGreater(decided.float().mean().item(), 0.95)
        top1 = (D["knn.predictions"].long() == query_labels).double().mean().item()
        self.assertAlmostEqual(top1, D["knn.top1"].item(), places=6)  # stored as fp32
        self.assertAlmostEqual(top1, (predictions == query_labels).double().mean().item(),
                               delta=1 - decided.float().mean().item() + 1e-12)
        self.assertTrue(0.2 < top1 < 0.95, top1)  # neither trivial nor chance: the test can fail

    def test_linear_probe(self):
        # Multinomial logistic regression from zero, full batch, AdamW written from its formula
        # (Loshchilov & Hutter: decoupled decay, bias-corrected moments), in float64.
        x, y = D["knn.bank"], D["knn.bank_labels"].long()
        w, b = torch.zeros(5, x.shape[1], dtype=torch.float64), torch.zeros(5, dtype=torch.float64)
        lr, wd, beta1, beta2, eps = 0.05, 0.01, 0.9, 0.999, 1e-8
        moments = [[torch.zeros_like(w), torch.zeros_like(w)], [torch.zeros_like(b), torch.zeros_like(b)]]
        losses = []
        for t in range(1, 41):
            w.requires_grad_(True), b.requires_grad_(True)
            loss = F.cross_entropy(x @ w.t() + b, y)
            gw, gb = torch.autograd.grad(loss, [w, b])
            losses.append(loss.item())
            with torch.no_grad():
                for p, g, (m, v) in ((w, gw, moments[0]), (b, gb, moments[1])):
                    p.mul_(1 - lr * wd)
                    m.mul_(beta1).add_((1 - beta1) * g)
                    v.mul_(beta2).add_((1 - beta2) * g * g)
                    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
                    p.sub_(lr * m_hat / (v_hat.sqrt() + eps))
            w, b = w.detach(), b.detach()
        self.assertLessEqual(rel_err(D["linear.losses"], torch.tensor(losses, dtype=torch.float64)),
                             TOLERANCE)
        self.assertLess(losses[-1], 0.8 * losses[0])  # it learned: the test can fail
        self.assertLessEqual((D["linear.weight"] - w).abs().max().item(), 1e-4)
        self.assertLessEqual((D["linear.bias"] - b).abs().max().item(), 1e-4)
        q, qy = D["knn.queries"], D["knn.query_labels"].long()
        top1 = ((q @ w.t() + b).argmax(1) == qy).double().mean().item()
        self.assertAlmostEqual(top1, D["linear.val_top1"].item(), delta=1 / len(qy) + 1e-9)

    def test_schedules_value_by_value(self):
        c = resolved_config()
        o, t = c["optim"], c["ssl"]["teacher"]
        epoch = o["iterations_per_epoch"]
        total = o["epochs"] * epoch
        scale = {"sqrt": math.sqrt(64 / 1024), "linear": 64 / 1024, "none": 1.0}[o["lr_scaling"]]
        # DINOv3's constant schedule holds the values reached after the warm-up: DINOv2's cosine
        # with its end set to its start.
        constant = o["schedule"] == "constant"
        lr = dict(base_value=o["base_lr"] * scale, total_iters=total,
                  final_value=o["base_lr"] * scale if constant else o["min_lr"],
                  warmup_iters=o["warmup_epochs"] * epoch, start_warmup_value=0)
        wd_end = o["weight_decay"] if constant else o["weight_decay_end"]
        momentum_end = t["momentum"] if constant else t["final_momentum"]
        last_layer = CosineScheduler(**lr)
        last_layer.schedule[: o["freeze_last_layer_epochs"] * epoch] = 0
        refs = {
            "lr": CosineScheduler(**lr),
            "last_layer_lr": last_layer,
            "weight_decay": CosineScheduler(o["weight_decay"], wd_end, total),
            "teacher_momentum": CosineScheduler(t["momentum"], momentum_end, total),
            "teacher_temp": CosineScheduler(t["temp"], t["temp"], t["warmup_temp_epochs"] * epoch,
                                            warmup_iters=t["warmup_temp_epochs"] * epoch,
                                            start_warmup_value=t["warmup_temp"]),
        }
        for name, ref in refs.items():
            ours = D["schedule." + name]
            expected = torch.tensor([ref[i] for i in range(len(ours))], dtype=torch.float64)
            self.assertLessEqual(rel_err(ours, expected), TOLERANCE, name)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
