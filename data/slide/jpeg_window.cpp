#include "data/slide/jpeg_window.h"

// clang-format off
#include <cstdio>  // jpeglib.h needs FILE
#include <jpeglib.h>
// clang-format on

#include <csetjmp>
#include <cstdint>
#include <cstring>

namespace pathodino::data {
namespace {

// libjpeg reports fatal errors through error_exit, which must not return: jump back to the
// decoder's frame (which holds no objects with destructors between setjmp and longjmp).
struct ErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_error(j_common_ptr cinfo) {
  auto* errors = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, errors->message);
  std::longjmp(errors->jump, 1);
}

// A warning means damaged data that libjpeg papered over: refuse, and let OpenSlide decide.
void on_message(j_common_ptr cinfo, int level) {
  if (level < 0) on_error(cinfo);
}

// Rows are decoded into a small ring and copied out kLag rows later, from rows that start on no
// 16-byte boundary: libjpeg-turbo's colour conversion writes an aligned output row (32 bytes for
// AVX2, 16 for SSE2) with non-temporal stores (vmovntdq / movntdq), which send it past the caches
// to memory, and copying it out then read it back from memory. Whether a plain buffer was aligned
// varied from process to process, and with it the fast path: ~1,250 or ~1,800 regions/s
// (benchmarks/RESULTS.md, "Fast tile path: rows never 32-byte aligned"). The lag lets a row's
// stores land before they are read.
constexpr JDIMENSION kLag = 4, kRing = 2 * kLag;
constexpr size_t kRowAlignment = 32, kRowOffset = 8;  // every row ≡ 8 (mod 32)

// The decoding proper, in a function without C++ objects so that longjmp skips no destructor.
bool decode(jpeg_decompress_struct* cinfo, ErrorManager* errors, const uint8_t* data, size_t size,
            JDIMENSION x, JDIMENSION y, JDIMENSION width, JDIMENSION height, uint8_t* out,
            size_t out_stride, uint8_t* ring, size_t row_bytes, unsigned scale_denom) {
  if (setjmp(errors->jump)) return false;
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(cinfo, TRUE);
  cinfo->out_color_space = JCS_RGB;
  cinfo->dct_method = JDCT_ISLOW;
  cinfo->do_fancy_upsampling = TRUE;
  cinfo->scale_num = 1;
  cinfo->scale_denom = scale_denom;
  jpeg_start_decompress(cinfo);
  if (x + width > cinfo->output_width || y + height > cinfo->output_height) {
    std::strcpy(errors->message, "window outside the tile");
    return false;
  }
  // Fancy upsampling replicates the edge chroma at a cropped row's ends: decode one iMCU more on
  // each side so the window's own edge pixels see their true neighbours.
  const JDIMENSION margin = 16;
  JDIMENSION crop_x = x > margin ? x - margin : 0;
  JDIMENSION crop_width =
      (x + width + margin < cinfo->output_width ? x + width + margin : cinfo->output_width) -
      crop_x;
  jpeg_crop_scanline(cinfo, &crop_x, &crop_width);  // widened to the iMCU grid
  if (y > 0) jpeg_skip_scanlines(cinfo, y);
  const auto copy_out = [&](JDIMENSION row) {
    std::memcpy(out + row * out_stride, ring + (row % kRing) * row_bytes + (x - crop_x) * 3,
                width * 3);
  };
  for (JDIMENSION row = 0; row < height; ++row) {
    JSAMPROW rows[1] = {ring + (row % kRing) * row_bytes};
    if (jpeg_read_scanlines(cinfo, rows, 1) != 1) {
      std::strcpy(errors->message, "tile ended early");
      return false;
    }
    if (row >= kLag) copy_out(row - kLag);
  }
  jpeg_abort_decompress(cinfo);  // the rows below the window are not needed
  for (JDIMENSION row = height > kLag ? height - kLag : 0; row < height; ++row) copy_out(row);
  return true;
}

}  // namespace

std::string decode_jpeg_window(const std::vector<uint8_t>& stream, int64_t x, int64_t y,
                               int64_t width, int64_t height, uint8_t* out, size_t out_stride,
                               int scale_denom) {
  jpeg_decompress_struct cinfo;
  std::memset(&cinfo, 0, sizeof(cinfo));  // destroy is safe even if create never ran
  ErrorManager errors;
  cinfo.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = on_error;
  errors.base.emit_message = on_message;
  errors.message[0] = '\0';
  thread_local std::vector<uint8_t> ring_storage;
  const size_t row_bytes = (static_cast<size_t>(x + width + 128) * 3  // crop: margin + iMCU grid
                            + kRowAlignment - 1) /
                           kRowAlignment * kRowAlignment;
  ring_storage.resize(row_bytes * kRing + 2 * kRowAlignment);
  const auto start = reinterpret_cast<uintptr_t>(ring_storage.data());
  auto* ring = reinterpret_cast<uint8_t*>(
      (start + kRowAlignment - 1) / kRowAlignment * kRowAlignment + kRowOffset);
  const bool ok = decode(&cinfo, &errors, stream.data(), stream.size(), static_cast<JDIMENSION>(x),
                         static_cast<JDIMENSION>(y), static_cast<JDIMENSION>(width),
                         static_cast<JDIMENSION>(height), out, out_stride, ring, row_bytes,
                         static_cast<unsigned>(scale_denom));
  jpeg_destroy_decompress(&cinfo);
  return ok ? std::string() : std::string(errors.message[0] ? errors.message : "JPEG error");
}

}  // namespace pathodino::data
