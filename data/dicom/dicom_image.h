// One DICOM object read with DCMTK: its metadata (no pixel data read) and its first frame rendered
// to 8-bit grayscale the way a radiologist's display shows it.
//
// Note [X-ray intensities]: stored values go through the Modality LUT (rescale slope and
// intercept), then a VOI window chosen by `DicomWindow` — the file's first window (or VOI LUT;
// the image's min-max when it has neither), a fixed centre/width, or percentile scaling that
// clips a share of the pixels at each end — and are drawn to 0..255 with MONOCHROME1 inverted, so
// bone is bright in every image whatever its photometric interpretation. Compressed transfer
// syntaxes are decoded by DCMTK's codecs (RLE, JPEG baseline/extended/lossless, JPEG-LS); one
// that none decodes (JPEG 2000 in DCMTK) is refused up front.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "data/data_options.h"
#include "data/rgb_image.h"

namespace pathodino::data {

// A DICOM object that is not a readable 2-D grayscale image; what() names the file and why.
class DicomError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DicomMetadata {
  int64_t rows = 0, columns = 0, frames = 1, bits_stored = 0;
  std::string modality, photometric, transfer_syntax, sop_class;
  double spacing_row_mm = 0, spacing_column_mm = 0;  // PixelSpacing, else ImagerPixelSpacing
  std::string patient_id, study_uid;                 // identifying: never log or write these
  bool has_pixel_data = false;
};

// Reads the header only (large values stay on disk). Throws DicomError naming the file when it is
// not DICOM.
DicomMetadata read_dicom_metadata(const std::filesystem::path& file);

// Why `m` is not a 2-D grayscale image this reader renders (empty when it is): no pixel data, a
// multi-frame volume, a colour image, a transfer syntax no codec decodes.
std::string dicom_unsupported_reason(const DicomMetadata& m);

// The first frame as RGB with R = G = B (Note [X-ray intensities]). Throws DicomError naming the
// file and the reason.
RgbImage read_dicom_image(const std::filesystem::path& file, const DicomReadOptions& options);

// Whether `file` has the DICOM preamble ("DICM" at byte 128).
bool is_dicom_file(const std::filesystem::path& file);

}  // namespace pathodino::data
