#include "data/dicom/dicom_image.h"

#include <dcmtk/config/osconfig.h>  // DCMTK wants its configuration first
#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmimgle/dcmimage.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <fstream>

namespace pathodino::data {
namespace {

// DCMTK's decoders are process-wide registrations: made once, on first use, released at exit.
// Its logger is off: its lines could quote file names or element values that no pseudonym
// replaces, and a reader's failures reach the caller as DicomError, whose text callers scrub.
struct DcmtkCodecs {
  DcmtkCodecs() {
    OFLog::configure(OFLogger::OFF_LOG_LEVEL);
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  }
  ~DcmtkCodecs() {
    DcmRLEDecoderRegistration::cleanup();
    DJLSDecoderRegistration::cleanup();
    DJDecoderRegistration::cleanup();
  }
  DcmtkCodecs(const DcmtkCodecs&) = delete;
  DcmtkCodecs& operator=(const DcmtkCodecs&) = delete;
};

void ensure_codecs() { static const DcmtkCodecs codecs; }

// Values above this many bytes stay on disk when only the header is wanted.
constexpr Uint32 kHeaderValueBytes = 4096;

void load(DcmFileFormat& format, const std::filesystem::path& file, Uint32 max_value_bytes) {
  const OFCondition status =
      format.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, max_value_bytes);
  if (status.bad())
    throw DicomError(file.string() + ": not a readable DICOM file (" + status.text() + ")");
}

std::string text(DcmDataset& d, const DcmTagKey& tag) {
  OFString value;
  return d.findAndGetOFString(tag, value).good() ? std::string(value.c_str()) : std::string();
}

double number(DcmDataset& d, const DcmTagKey& tag, unsigned long position) {
  Float64 value = 0;
  return d.findAndGetFloat64(tag, value, position).good() ? value : 0.0;
}

DicomMetadata metadata_of(DcmFileFormat& format) {
  DcmDataset& d = *format.getDataset();
  DicomMetadata m;
  Uint16 rows = 0, columns = 0, bits = 0;
  d.findAndGetUint16(DCM_Rows, rows);
  d.findAndGetUint16(DCM_Columns, columns);
  d.findAndGetUint16(DCM_BitsStored, bits);
  m.rows = rows;
  m.columns = columns;
  m.bits_stored = bits;
  Sint32 frames = 1;
  if (d.findAndGetSint32(DCM_NumberOfFrames, frames).good()) m.frames = frames;
  m.modality = text(d, DCM_Modality);
  m.photometric = text(d, DCM_PhotometricInterpretation);
  m.sop_class = text(d, DCM_SOPClassUID);
  m.transfer_syntax = DcmXfer(d.getOriginalXfer()).getXferID();
  const DcmTagKey spacing =
      d.tagExists(DCM_PixelSpacing) ? DCM_PixelSpacing : DCM_ImagerPixelSpacing;
  m.spacing_row_mm = number(d, spacing, 0);
  m.spacing_column_mm = number(d, spacing, 1);
  m.patient_id = text(d, DCM_PatientID);
  m.study_uid = text(d, DCM_StudyInstanceUID);
  m.has_pixel_data = d.tagExists(DCM_PixelData);
  return m;
}

void set_window(DicomImage& image, const DicomReadOptions& o) {
  switch (o.window) {
    case DicomWindow::fixed:
      image.setWindow(o.center, o.width);
      return;
    case DicomWindow::percentile:
      image.setHistogramWindow(o.clip_percent / 100.0);
      return;
    case DicomWindow::file:
      if (image.getWindowCount() > 0)
        image.setWindow(0);
      else if (image.getVoiLutCount() > 0)
        image.setVoiLut(0);
      else
        image.setMinMaxWindow();
      return;
  }
}

}  // namespace

DicomMetadata read_dicom_metadata(const std::filesystem::path& file) {
  DcmFileFormat format;
  load(format, file, kHeaderValueBytes);
  return metadata_of(format);
}

std::string dicom_unsupported_reason(const DicomMetadata& m) {
  ensure_codecs();
  if (!m.has_pixel_data)
    return "no pixel data (SOP class " + (m.sop_class.empty() ? "unknown" : m.sop_class) + ")";
  if (m.frames > 1)
    return "a volume of " + std::to_string(m.frames) + " frames (" + m.modality +
           "): 2-D images expected";
  if (m.photometric != "MONOCHROME1" && m.photometric != "MONOCHROME2")
    return "photometric interpretation " + m.photometric + ": grayscale expected";
  const DcmXfer syntax(m.transfer_syntax.c_str());
  if (syntax.isEncapsulated() &&
      !DcmCodecList::canChangeCoding(syntax.getXfer(), EXS_LittleEndianExplicit))
    return std::string("transfer syntax ") + syntax.getXferName() + " (" + m.transfer_syntax +
           "): no decoder";
  return "";
}

RgbImage read_dicom_image(const std::filesystem::path& file, const DicomReadOptions& options) {
  ensure_codecs();
  DcmFileFormat format;
  load(format, file, DCM_MaxReadLength);
  if (const std::string reason = dicom_unsupported_reason(metadata_of(format)); !reason.empty())
    throw DicomError(file.string() + ": " + reason);
  DicomImage image(&format, format.getDataset()->getOriginalXfer(), CIF_UsePartialAccessToPixelData,
                   0, 1);
  if (image.getStatus() != EIS_Normal)
    throw DicomError(file.string() + ": " + DicomImage::getString(image.getStatus()));
  set_window(image, options);
  const auto* gray = static_cast<const uint8_t*>(image.getOutputData(8, 0, 0));
  if (gray == nullptr) throw DicomError(file.string() + ": DCMTK rendered no pixels");
  RgbImage rgb{static_cast<int64_t>(image.getWidth()), static_cast<int64_t>(image.getHeight()), {}};
  const size_t pixels = static_cast<size_t>(rgb.width * rgb.height);
  rgb.pixels.resize(pixels * 3);
  for (size_t i = 0; i < pixels; ++i)
    rgb.pixels[3 * i] = rgb.pixels[3 * i + 1] = rgb.pixels[3 * i + 2] = gray[i];
  return rgb;
}

bool is_dicom_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  char magic[132] = {};
  return in.read(magic, sizeof(magic)) && std::string_view(magic + 128, 4) == "DICM";
}

}  // namespace pathodino::data
