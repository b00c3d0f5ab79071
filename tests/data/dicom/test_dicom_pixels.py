"""DICOM pixels as pathodino renders them (DCMTK) against pydicom's decoders (pylibjpeg for JPEG
and JPEG-LS, its RLE decoder) with the Modality LUT and the DICOM standard's linear VOI window
(PS3.3 C.11.2.1.2) applied here; MONOCHROME1 inverted. The files: the small real ones pydicom
ships (CT, MR; RLE, 12-bit lossy JPEG extended, JPEG-LS), and files DCMTK's own tools write from
images rendered here: an 8-bit secondary capture (img2dcm), a 12-bit DX with a rescale and a
window (dump2dcm), each RLE- (dcmcrle) and JPEG-lossless-compressed (dcmcjpeg), and MONOCHROME1
copies (dcmodify). Objects that are not 2-D grayscale images are skipped with their reason.

    test_dicom_pixels.py DICOM_RENDER
"""
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from PIL import Image
from pydicom.pixels import apply_modality_lut

RENDER = sys.argv[1]
SHIPPED = pathlib.Path(pydicom.__file__).parent / "data" / "test_files"
failures = 0


def check(name, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))
    failures += 0 if ok else 1


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def write_tool_files(d):
    """DCMTK's tools write the test's own files; returns them by name."""
    y, x = np.mgrid[0:80, 0:96]
    Image.fromarray((x * 2 + y).astype(np.uint8), "L").save(d / "in.bmp")
    run("img2dcm", "-i", "BMP", str(d / "in.bmp"), str(d / "sc8.dcm"))
    (x * 35 + y * 8).astype("<u2").tofile(d / "px12.raw")
    (d / "dx12.dump").write_text("\n".join([
        "(0008,0016) UI =DigitalXRayImageStorageForPresentation", "(0008,0018) UI [1.2.3.4.5]",
        "(0008,0060) CS [DX]", "(0010,0020) LO [PAT-0001]", "(0028,0002) US 1",
        "(0028,0004) CS [MONOCHROME2]", "(0028,0010) US 80", "(0028,0011) US 96",
        "(0028,0100) US 16", "(0028,0101) US 12", "(0028,0102) US 11", "(0028,0103) US 0",
        "(0028,1050) DS [3000]", "(0028,1051) DS [4000]", "(0028,1052) DS [-100]",
        "(0028,1053) DS [2]", f"(7fe0,0010) OW ={d / 'px12.raw'}", ""]))
    run("dump2dcm", "+te", str(d / "dx12.dump"), str(d / "dx12.dcm"))
    files = {}
    for base in ("sc8", "dx12"):
        files[base] = d / f"{base}.dcm"
        run("dcmcrle", str(files[base]), str(d / f"{base}_rle.dcm"))
        files[base + "_rle"] = d / f"{base}_rle.dcm"
        run("dcmcjpeg", str(files[base]), str(d / f"{base}_jpegll.dcm"))  # lossless SV1
        files[base + "_jpegll"] = d / f"{base}_jpegll.dcm"
        mono1 = d / f"{base}_mono1.dcm"
        mono1.write_bytes(files[base].read_bytes())
        run("dcmodify", "-nb", "-m", "(0028,0004)=MONOCHROME1", str(mono1))
        files[base + "_mono1"] = mono1
    return files


def linear_window(x, center, width):
    """PS3.3 C.11.2.1.2.1, to 0..255."""
    low, high = center - 0.5 - (width - 1) / 2, center - 0.5 + (width - 1) / 2
    y = ((x - (center - 0.5)) / (width - 1) + 0.5) * 255
    return np.where(x <= low, 0, np.where(x > high, 255, y))


def reference(path, window):
    ds = pydicom.dcmread(path)
    x = apply_modality_lut(ds.pixel_array.astype(np.float64), ds)
    if window is not None:
        y = linear_window(x, *window)
    elif "WindowCenter" in ds:
        first = lambda v: float(v[0] if isinstance(v, pydicom.multival.MultiValue) else v)
        y = linear_window(x, first(ds.WindowCenter), first(ds.WindowWidth))
    else:
        y = (x - x.min()) / max(x.max() - x.min(), 1e-9) * 255
    if ds.PhotometricInterpretation == "MONOCHROME1":
        y = 255 - y
    return y


def rendered(out_dir, window_args, files):
    lines = run(RENDER, *window_args, str(out_dir), *map(str, files)).splitlines()
    result = {}
    for line in lines:
        if " skipped: " in line:
            path, reason = line.split(" skipped: ")
            result[path] = reason
            continue
        path, w, h, raw = line.split(" ")
        result[path] = np.fromfile(raw, dtype=np.uint8).reshape(int(h), int(w))
    return result


def compare(name, got, want, tolerance, mean_tolerance=0.6):
    """Rounding to 8 bits alone gives a mean difference of about 0.5."""
    diff = np.abs(got.astype(np.float64) - want)
    check(f"{name}: pixels within {tolerance} of pydicom's (max {diff.max():.2f}, "
          f"mean {diff.mean():.3f})", got.shape == want.shape and diff.max() <= tolerance
          and diff.mean() <= mean_tolerance, f"shape {got.shape} vs {want.shape}")


with tempfile.TemporaryDirectory() as tmp:
    d = pathlib.Path(tmp)
    tools = write_tool_files(d)
    shipped = {n: SHIPPED / f"{n}.dcm" for n in (
        "CT_small", "MR_small", "MR_small_RLE", "MR_small_jpeg_ls_lossless", "JPGExtended")}
    lossy = {"JPGExtended"}  # 12-bit lossy JPEG: two decoders' inverse DCTs differ slightly
    every = {**shipped, **tools}
    got = rendered(d, ["file"], every.values())
    for name, path in every.items():
        image = got.get(str(path))
        if not isinstance(image, np.ndarray):
            check(f"{name} is rendered", False, image)
            continue
        compare(f"{name} (the file's window)", image, reference(path, None),
                *((3, 1.0) if name in lossy else (1, 0.6)))
    mono2, mono1 = got[str(tools["dx12"])], got[str(tools["dx12_mono1"])]
    check("MONOCHROME1 is drawn inverted: the same stored values give 255 - MONOCHROME2's pixels",
          np.abs(mono1.astype(int) - (255 - mono2.astype(int))).max() <= 1)

    fixed = rendered(d, ["fixed", "1500", "2000"], [tools["dx12"], shipped["CT_small"]])
    compare("dx12 (a fixed window, 1500/2000)", fixed[str(tools["dx12"])],
            reference(tools["dx12"], (1500, 2000)), 1)
    compare("CT_small (a fixed window, 1500/2000 HU)", fixed[str(shipped["CT_small"])],
            reference(shipped["CT_small"], (1500, 2000)), 1)

    clip = rendered(d, ["percentile", "2"], [tools["dx12"]])[str(tools["dx12"])]
    stored = pydicom.dcmread(tools["dx12"]).pixel_array.astype(np.int64).ravel()
    order = np.argsort(stored, kind="stable")
    check("percentile scaling keeps the order of the stored values and spans 0..255",
          bool(np.all(np.diff(clip.ravel()[order].astype(int)) >= 0)) and clip.min() == 0
          and clip.max() == 255)
    low, high = np.mean(clip == 0), np.mean(clip == 255)
    check(f"... clipping about 2 % at each end ({100 * low:.1f} %, {100 * high:.1f} %)",
          0.01 <= low <= 0.04 and 0.01 <= high <= 0.04)

    skipped = rendered(d, ["file"], [SHIPPED / "rtplan.dcm", SHIPPED / "rtdose.dcm",
                                     SHIPPED / "JPEG2000.dcm", SHIPPED / "SC_rgb_rle.dcm"])
    reasons = [skipped[str(SHIPPED / f)] for f in ("rtplan.dcm", "rtdose.dcm", "JPEG2000.dcm",
                                                   "SC_rgb_rle.dcm")]
    check("objects that are not 2-D grayscale images are skipped with their reason",
          reasons[0].startswith("no pixel data") and reasons[1].startswith("a volume of 15 frames")
          and "no decoder" in reasons[2] and "grayscale expected" in reasons[3], reasons)

print(f"test_dicom_pixels.py: {failures} check(s) failed")
sys.exit(1 if failures else 0)
