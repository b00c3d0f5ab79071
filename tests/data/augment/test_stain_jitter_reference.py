"""HED stain jitter against scikit-image's colour deconvolution formulas (skimage.color.rgb2hed /
hed2rgb: separate_stains and combine_stains with Ruifrok & Johnston's rgb_from_hed), written here in
numpy, on the planar image the C++ side dumped. Max abs difference <= 1e-5.

    test_stain_jitter_reference.py STAIN_JITTER_DUMP
"""
import json
import subprocess
import sys

import numpy as np

RGB_FROM_HED = np.array([[0.65, 0.70, 0.29], [0.07, 0.99, 0.11], [0.27, 0.57, 0.78]])
HED_FROM_RGB = np.linalg.inv(RGB_FROM_HED)


def rgb2hed(rgb):  # skimage.color.separate_stains
    rgb = np.maximum(rgb, 1e-6)
    return np.maximum((np.log(rgb) / np.log(1e-6)) @ HED_FROM_RGB, 0)


def hed2rgb(stains):  # skimage.color.combine_stains
    return np.clip(np.exp(-(stains * -np.log(1e-6)) @ RGB_FROM_HED), 0, 1)


dump = json.loads(subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout)
h, w = dump["height"], dump["width"]
planar = np.array(dump["input"], dtype=np.float64).reshape(3, h, w)
rgb = planar.transpose(1, 2, 0).reshape(-1, 3)
stains = rgb2hed(rgb) * np.array(dump["alpha"]) + np.array(dump["beta"])
expected = hed2rgb(stains).reshape(h, w, 3).transpose(2, 0, 1)
got = np.array(dump["output"]).reshape(3, h, w)
diff = np.abs(got - expected).max()
changed = np.abs(got - planar).max()
print(f"HED jitter vs scikit-image formulas: max |diff| = {diff:.2e} (the jitter moved pixels by up to {changed:.3f})")
assert changed > 0.01, "the jitter did nothing"
assert diff <= 1e-5, diff
