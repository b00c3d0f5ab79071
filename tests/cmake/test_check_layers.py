"""The layer check (cmake/check_layers.py) on a copy of the tree: the tree passes; a header of a
higher layer, a sibling that is not declared and the lowest layer reaching up each fail, with the
file, line, header and units named; so do arrows that run up between the folders of data/ and
models/.

    test_check_layers.py SOURCE_ROOT
"""
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

root = Path(sys.argv[1]).resolve()
checker = root / "cmake" / "check_layers.py"
failures = []


def run(tree):
    done = subprocess.run([sys.executable, str(checker), str(tree)], capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def expect(condition, what, output):
    if not condition:
        failures.append(f"{what}\n--- checker output ---\n{output}")


def plant(tree, source, line):
    path = tree / source
    text = path.read_text()
    path.write_text(line + "\n" + text)


with tempfile.TemporaryDirectory() as scratch:
    clean = Path(scratch) / "clean"
    for top in ("data", "models", "trainer"):
        shutil.copytree(root / top, clean / top)
    rc, out = run(clean)
    expect(rc == 0, "the tree as committed fails the layer check", out)

    cases = [
        # A model including the training loop: a higher layer.
        ("models/vit/block.cpp", '#include "trainer/train/ssl_trainer.h"',
         ["models/vit/block.cpp:1", "trainer/train/ssl_trainer.h", "models/vit may not include trainer/train"]),
        # Metrics reaching into checkpoints: a sibling it does not declare.
        ("trainer/metrics/step_timeline.cpp", '#include "trainer/checkpoint/checkpoint_writer.h"',
         ["trainer/metrics/step_timeline.cpp:1", "trainer/metrics may not include trainer/checkpoint"]),
        # The lowest layer including data.
        ("trainer/system/heap_policy.cpp", '#include "data/data_options.h"',
         ["trainer/system/heap_policy.cpp:1", "trainer/system may not include data"]),
        # Inside data/: a slide reader including the sources built on top of it.
        ("data/slide/tissue_mask.cpp", '#include "data/source/source_factory.h"',
         ["data/slide/tissue_mask.cpp:1", "data/slide may not include data/source"]),
        # Inside models/: a ViT block including the factory that builds ViTs.
        ("models/vit/block.cpp", '#include "models/factory/backbone_factory.h"',
         ["models/vit/block.cpp:1", "models/vit may not include models/factory"]),
    ]
    for i, (source, line, needles) in enumerate(cases):
        tree = Path(scratch) / f"case{i}"
        shutil.copytree(clean, tree)
        plant(tree, source, line)
        rc, out = run(tree)
        expect(rc == 1, f"a wrong include in {source} passed ({line})", out)
        for needle in needles:
            expect(needle in out, f"the refusal of {line} in {source} does not name {needle!r}", out)

for failure in failures:
    print("FAIL:", failure)
print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
