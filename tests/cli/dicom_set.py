"""Writes a labelled set of synthetic chest-X-ray-like DICOM files with DCMTK's own tools, as a
hospital archive mixes them: 12-bit DX images (dump2dcm) with a rescale and a window, half of
them MONOCHROME1 (stored inverted, so they display alike), a third RLE- (dcmcrle) and a third
JPEG-lossless-compressed (dcmcjpeg); two classes that differ in anatomy-like structure, not in
brightness. Every file carries a PatientID (PAT-<n>) and a StudyInstanceUID that must never
leave it. Layout: OUT/train/<class>/*.dcm and OUT/val/<class>/*.dcm.

    dicom_set.py OUT PER_CLASS_TRAIN PER_CLASS_VAL [SIZE]
"""
import pathlib
import subprocess
import sys

import numpy as np

out, n_train, n_val = pathlib.Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
size = int(sys.argv[4]) if len(sys.argv) > 4 else 96
rng = np.random.default_rng(7)


def chest(label):
    """A soft thorax with two lung fields; class 1 adds a round opacity (about a sixth of the
    image across) in one lung. Exposure differs by up to 30 % between images, so brightness alone
    does not tell the classes apart."""
    y, x = np.mgrid[0:size, 0:size] / size
    body = np.exp(-((x - 0.5) ** 2 / 0.12 + (y - 0.5) ** 2 / 0.2))
    lungs = sum(np.exp(-((x - cx) ** 2 / 0.012 + (y - 0.48) ** 2 / 0.05)) for cx in (0.33, 0.67))
    image = 1800 + 1400 * body - 900 * lungs
    for rib in np.linspace(0.25, 0.75, 6):  # ribs: thin bright arcs
        image += 250 * np.exp(-((y - rib - 0.05 * np.cos(6 * x)) ** 2) / 0.0004)
    if label == 1:
        cx, cy = rng.uniform(0.28, 0.72), rng.uniform(0.35, 0.6)
        image += 700 * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 0.015)
    image *= rng.uniform(0.7, 1.3)  # exposure differs between images
    image += rng.normal(0, 40, image.shape)
    return np.clip(image, 0, 4095).astype("<u2")


def run(*args):
    subprocess.run(args, check=True, capture_output=True)


count = 0
for split, n in (("train", n_train), ("val", n_val)):
    for label, name in enumerate(("normal", "nodule")):
        folder = out / split / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            pixels = chest(label)
            mono1 = count % 2 == 1
            if mono1:
                pixels = (4095 - pixels).astype("<u2")  # stored inverted, displayed alike
            raw = folder / f"{i}.raw"
            pixels.tofile(raw)
            dump = folder / f"{i}.dump"
            dump.write_text("\n".join([
                "(0008,0016) UI =DigitalXRayImageStorageForPresentation",
                f"(0008,0018) UI [1.2.826.0.1.3680043.9.7.{count}]", "(0008,0060) CS [DX]",
                f"(0010,0020) LO [PAT-{count // 2:04d}]",
                f"(0020,000d) UI [1.2.826.0.1.3680043.9.8.{count // 2}]", "(0028,0002) US 1",
                f"(0028,0004) CS [{'MONOCHROME1' if mono1 else 'MONOCHROME2'}]",
                f"(0028,0010) US {size}", f"(0028,0011) US {size}", "(0028,0030) DS [0.2\\0.2]",
                "(0028,0100) US 16", "(0028,0101) US 12", "(0028,0102) US 11",
                "(0028,0103) US 0", "(0028,1050) DS [2048]", "(0028,1051) DS [4096]",
                "(0028,1052) DS [0]", "(0028,1053) DS [1]", f"(7fe0,0010) OW ={raw}", ""]))
            plain = folder / f"{i}.dcm"
            run("dump2dcm", "+te", str(dump), str(plain))
            raw.unlink()
            dump.unlink()
            if count % 3 == 1:
                run("dcmcrle", str(plain), str(plain))
            elif count % 3 == 2:
                run("dcmcjpeg", str(plain), str(plain))
            count += 1
print(f"{count} DICOM files in {out}")
