"""A flame graph (SVG) from `perf script` output: stacks folded root first, each frame's width
its share of the samples (Brendan Gregg's layout; no package for it in the registries here).

    perf script -i perf.data | flamegraph.py TITLE > flame.svg
"""
import html
import sys
import zlib
from collections import defaultdict

ROW, WIDTH, MIN_WIDTH = 16, 1200, 0.5  # px: a frame's height, the picture's width, the narrowest shown


def folded(lines):
    """{(root, ..., leaf): samples} from perf script's blank-line-separated stacks."""
    stacks, frames = defaultdict(int), []
    for line in lines + [""]:
        if not line.strip():
            if frames:
                stacks[tuple(reversed(frames))] += 1
            frames = []
        elif line.startswith(("\t", " ")):
            parts = line.strip().split(" ", 1)
            name = parts[1].rsplit(" (", 1)[0] if len(parts) > 1 else parts[0]
            frames.append(name.split("+0x")[0])
    return stacks


def tree(stacks):
    root = {"name": "all", "count": 0, "children": {}}
    for stack, count in stacks.items():
        root["count"] += count
        node = root
        for name in stack:
            node = node["children"].setdefault(name, {"name": name, "count": 0, "children": {}})
            node["count"] += count
    return root


def depth(node):
    return 1 + max((depth(c) for c in node["children"].values()), default=0)


def render(node, x, level, scale, total, out, height):
    w = node["count"] * scale
    if w < MIN_WIDTH:
        return
    y = height - (level + 1) * ROW
    hue = zlib.crc32(node["name"].encode()) % 60
    name = html.escape(node["name"])
    out.append(f'<g><title>{name} ({100 * node["count"] / total:.1f} %)</title>'
               f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{ROW - 1}" fill="hsl({hue},90%,60%)"/>'
               f'<text x="{x + 2:.1f}" y="{y + ROW - 4}" font-size="11" font-family="monospace">'
               f'{name[:int(w / 7)]}</text></g>')
    for child in sorted(node["children"].values(), key=lambda c: c["name"]):
        render(child, x, level + 1, scale, total, out, height)
        x += child["count"] * scale


def main():
    title = sys.argv[1] if len(sys.argv) > 1 else "flame graph"
    root = tree(folded(sys.stdin.read().splitlines()))
    height = (depth(root) + 2) * ROW
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}">',
           f'<text x="4" y="12" font-size="12" font-family="sans-serif">{html.escape(title)}, '
           f'{root["count"]} samples</text>']
    render(root, 0, 0, WIDTH / max(1, root["count"]), max(1, root["count"]), out, height)
    out.append("</svg>")
    print("\n".join(out))


if __name__ == "__main__":
    main()
