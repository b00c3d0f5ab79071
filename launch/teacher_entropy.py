"""Teacher entropy of a finished run, as a share of log K (K: the DINO head's prototypes).

    teacher_entropy.py RUN_DIR [LAST=10]     prints "<ratio> <rows>", e.g. "0.879 10"

The mean of `teacher_entropy` over the last LAST logged steps of RUN_DIR/metrics.jsonl, divided
by log K from the run's saved RUN_DIR/config.yaml. 1 means uniform targets: the DINO term then
teaches nothing. The demo and the learning proof gate on this number; one reader keeps them equal.
"""
import json
import math
import sys

import yaml


def main() -> None:
    run, last = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10
    with open(f"{run}/config.yaml") as f:
        k = yaml.safe_load(f)["ssl"]["dino"]["head"]["n_prototypes"]
    with open(f"{run}/metrics.jsonl") as f:
        rows = [r for r in map(json.loads, f) if "teacher_entropy" in r][-last:]
    if not rows:
        sys.exit(f"teacher_entropy.py: {run}/metrics.jsonl logs no teacher_entropy")
    ratio = sum(r["teacher_entropy"] for r in rows) / len(rows) / math.log(k)
    print(f"{ratio:.3f} {len(rows)}")


if __name__ == "__main__":
    main()
