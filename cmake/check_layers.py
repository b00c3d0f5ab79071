"""The layer check: fails when a source under data/, models/ or trainer/ includes a header of a
unit it does not declare below it. The order and the reasons are in ARCHITECTURE.md; the table
below is the one the build enforces.

    check_layers.py ROOT [--stamp FILE]

A unit is one folder of `data/`, `models/` or `trainer/`; the files directly in `data/` and in
`models/` are the units `data` and `models`. A unit may include its own headers and those of the
units it declares in LAYERS (`data/*`: every unit of data/); the declarations must form no cycle.
Exit status 1 names every offending file, line, header and the two units.
"""
import argparse
import re
import sys
from pathlib import Path

# Lowest first. Each unit: the units whose headers it may include.
LAYERS = {
    "trainer/system": [],
    # data/: the image types and shared helpers at its root; readers; the index; the sources.
    "data": [],
    "data/slide": ["data"],
    "data/image_file": ["data"],
    "data/augment": ["data"],
    "data/synthetic": ["data", "data/image_file"],
    "data/loader": ["data", "data/augment"],
    "data/index": ["data", "data/slide", "data/image_file", "data/loader"],
    "data/dicom": ["data", "data/index"],
    "data/source": ["data", "data/slide", "data/image_file", "data/augment", "data/synthetic",
                    "data/loader", "data/index", "data/dicom"],
    # models/: sizes, specs and options at its root; the networks; files; the factory.
    "models": [],
    "models/vit": ["models"],
    "models/heads": ["models"],
    "models/interchange": ["models", "models/vit"],
    "models/factory": ["models", "models/vit", "models/interchange"],
    "trainer/ssl": ["models/*"],
    "trainer/optim": ["trainer/ssl"],
    "trainer/distributed": ["trainer/system", "trainer/optim"],
    "trainer/checkpoint": ["trainer/system", "models/*", "trainer/ssl", "trainer/optim",
                           "trainer/distributed"],
    "trainer/metrics": ["trainer/system"],
    "trainer/audit": ["trainer/system"],
    "trainer/features": ["trainer/system", "data/*"],
    "trainer/curate": ["trainer/system", "data/*", "trainer/features"],
    "trainer/eval": ["trainer/system", "data/*", "models/*", "trainer/distributed"],
    "trainer/config": ["data/*", "models/*", "trainer/ssl", "trainer/optim",
                       "trainer/distributed", "trainer/checkpoint", "trainer/metrics",
                       "trainer/audit",
                       "trainer/eval", "trainer/curate"],
    "trainer/embed": ["trainer/system", "data/*", "models/*", "trainer/distributed",
                      "trainer/eval", "trainer/features"],
    "trainer/mil": ["trainer/system", "data/*", "trainer/eval", "trainer/features"],
    "trainer/sweep": ["trainer/system", "data/*", "trainer/metrics", "trainer/config"],
    "trainer/train": ["trainer/system", "data/*", "models/*", "trainer/ssl", "trainer/optim",
                      "trainer/distributed", "trainer/checkpoint", "trainer/metrics",
                      "trainer/audit",
                      "trainer/eval", "trainer/config"],
    "trainer/report": ["trainer/system", "data/*", "models/*", "trainer/checkpoint",
                       "trainer/metrics", "trainer/audit", "trainer/eval", "trainer/config"],
    "trainer/cli": ["trainer/system", "data/*", "models/*", "trainer/ssl", "trainer/distributed",
                    "trainer/checkpoint", "trainer/eval", "trainer/features", "trainer/embed",
                    "trainer/curate", "trainer/mil", "trainer/report", "trainer/audit",
                    "trainer/config", "trainer/sweep", "trainer/train"],
}


def expand(layers):
    """LAYERS with each `top/*` replaced by every unit of that folder."""
    def units(dep):
        if not dep.endswith("/*"):
            return [dep]
        top = dep[:-2]
        return [u for u in layers if u == top or u.startswith(top + "/")]
    return {unit: [u for dep in deps for u in units(dep)] for unit, deps in layers.items()}


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def unit_of(path):
    parts = Path(path).parts
    if not parts or parts[0] not in ("data", "models", "trainer"):
        return None
    if len(parts) > 2:
        return "/".join(parts[:2])
    return None if parts[0] == "trainer" else parts[0]


def cycle_in(layers):
    """A cycle of the declarations as a list of units, or None."""
    state = {}

    def visit(unit, path):
        state[unit] = "open"
        for below in layers[unit]:
            if state.get(below) == "open":
                return path[path.index(below):] + [below]
            if below not in state:
                found = visit(below, path + [below])
                if found:
                    return found
        state[unit] = "done"
        return None

    for unit in layers:
        if unit not in state:
            found = visit(unit, [unit])
            if found:
                return found
    return None


def check(root):
    layers = expand(LAYERS)
    problems = []
    undeclared = [u for deps in layers.values() for u in deps if u not in layers]
    if undeclared:
        problems.append(f"LAYERS names units that are not declared: {sorted(set(undeclared))}")
    cycle = cycle_in(layers)
    if cycle:
        problems.append("LAYERS has a cycle: " + " -> ".join(cycle))
    for source in sorted(p for top in ("data", "models", "trainer")
                         for p in (root / top).rglob("*") if p.suffix in (".h", ".cpp")):
        rel = source.relative_to(root).as_posix()
        unit = unit_of(rel)
        if unit is None:
            continue
        if unit not in layers:
            problems.append(f"{rel}: folder {unit} is not in the layer table (cmake/check_layers.py)")
            continue
        for number, line in enumerate(source.read_text(errors="replace").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            header = match.group(1)
            target = unit_of(header)
            if target is None or target == unit or target in layers[unit]:
                continue
            allowed = ", ".join(LAYERS[unit]) or "nothing outside itself"
            problems.append(f"{rel}:{number}: includes {header}: {unit} may not include {target} "
                            f"(it may include: {allowed})")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--stamp", type=Path, help="touched when the check passes (for the build)")
    args = parser.parse_args()
    problems = check(args.root)
    for problem in problems:
        print(f"layer check: {problem}", file=sys.stderr)
    if problems:
        print(f"layer check: {len(problems)} problem(s); the layer order is in ARCHITECTURE.md",
              file=sys.stderr)
        return 1
    if args.stamp:
        args.stamp.write_text("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
