"""Table and plot of a learning curve: the teacher's live kNN top-1 from a run's metrics.jsonl
against the best of the random-feature seeds and the raw-pixel kNN, with the teacher's entropy
as a share of log K (K from the run's config.yaml) next to each point.

    plot_curve.py METRICS_JSONL OUT_DIR --raw RAW_JSON --random TOP1 [TOP1 ...]

Writes OUT_DIR/curve.csv, curve.md (the table) and curve.png.
"""
import argparse
import csv
import json
import math
from pathlib import Path

import matplotlib
import yaml

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("metrics", type=Path)
p.add_argument("out", type=Path)
p.add_argument("--raw", required=True, help="raw_pixel_knn.py's JSON line")
p.add_argument("--random", type=float, nargs="+", required=True)
a = p.parse_args()

rows = [json.loads(line) for line in a.metrics.open()]
# K of the DINO head, from the resolved config the run keeps next to its metrics.
config = yaml.safe_load((a.metrics.parent / "config.yaml").read_text())
log_k = math.log(config["ssl"]["dino"]["head"]["n_prototypes"])
best_random, raw = max(a.random), json.loads(a.raw)["top1"]
points = [(0, rows[0]["knn_top1_at_start"], rows[0]["teacher_entropy"])] if "knn_top1_at_start" in rows[0] else []
for i, r in enumerate(rows):
    if "knn_top1" in r:  # entropy: the mean over the 10 logged steps up to this one
        window = [w["teacher_entropy"] for w in rows[max(0, i - 9): i + 1]]
        points.append((r["step"] + 1, r["knn_top1"], sum(window) / len(window)))

with (a.out / "curve.csv").open("w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["step", "teacher_knn_top1", "best_random_top1", "raw_pixel_top1", "teacher_entropy_over_log_k"])
    for step, top1, entropy in points:
        w.writerow([step, f"{top1:.4f}", f"{best_random:.4f}", f"{raw:.4f}", f"{entropy / log_k:.3f}"])
lines = ["| step | teacher kNN top-1 | vs best random features | vs raw pixels | H(teacher) / log K |",
         "|---|---|---|---|---|"]
for step, top1, entropy in points:
    lines.append(f"| {step} | {100 * top1:.2f}% | {100 * (top1 - best_random):+.2f} | "
                 f"{100 * (top1 - raw):+.2f} | {entropy / log_k:.3f} |")
lines.append(f"\nRandom features without LayerScale (seeds): "
             + " / ".join(f"{100 * v:.2f}%" for v in a.random) + f"; raw pixels {100 * raw:.2f}%.")
(a.out / "curve.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))

fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
ax.plot([s for s, _, _ in points], [100 * t for _, t, _ in points], "o-", label="teacher (trained)")
ax.axhline(100 * best_random, color="tab:red", ls="--", label=f"random features, best of {len(a.random)} seeds")
ax.axhline(100 * raw, color="tab:gray", ls=":", label="raw pixels")
ax.set_xlabel("training step")
ax.set_ylabel("kNN top-1 on held-out tiles (%)")
ax.set_title("pathodino tiny_wsi: teacher kNN vs baselines")
ax.grid(alpha=0.3)
ax.legend(loc="lower right")
fig.tight_layout()
fig.savefig(a.out / "curve.png")
