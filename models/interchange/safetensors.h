// The safetensors format, without LibTorch: an 8-byte little-endian header length N, N bytes of
// JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the
// raw little-endian, C-order tensor bytes.
//
// Reading validates everything before any tensor is used: header length within the file and
// below a sane bound, well-formed JSON, known dtypes, byte sizes that match the shapes, offsets in
// range and not overlapping, no duplicate names. Errors throw SafetensorsError naming the file
// and the tensor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace pathodino::models {

class SafetensorsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class StDtype { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };
std::size_t dtype_size(StDtype dtype);
const char* dtype_name(StDtype dtype);

struct StTensor {
  std::string name;
  StDtype dtype = StDtype::F32;
  std::vector<int64_t> shape;
  std::vector<std::byte> data;  // exactly numel × dtype_size bytes
};

struct SafetensorsContent {
  std::vector<StTensor> tensors;  // in file (offset) order
  std::map<std::string, std::string> metadata;
  const StTensor* find(const std::string& name) const;
};

SafetensorsContent read_safetensors(const std::filesystem::path& path);
// The same from bytes already in memory (a decrypted file); `origin` names them in errors.
SafetensorsContent read_safetensors(std::istream& in, uint64_t size,
                                    const std::filesystem::path& origin);

// Writes to a temporary file next to `path`, fsyncs, then renames: `path` is either the old file
// or the complete new one, never a torn write. Tensors are laid out in the given order.
void write_safetensors(const std::filesystem::path& path, const SafetensorsContent& content);

// The same from bytes the caller owns (no copy into StTensor): what checkpoint shards use.
struct StTensorView {
  std::string name;
  StDtype dtype = StDtype::F32;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;
  std::size_t size = 0;  // bytes
};
// Transforms a file's bytes on their way to disk (encryption, implemented above this layer):
// prefix() is written first, update() replaces every byte (same length), suffix() comes last.
class ByteFilter {
 public:
  virtual ~ByteFilter() = default;
  virtual std::string prefix() = 0;
  virtual void update(const std::byte* in, std::size_t size, std::byte* out) = 0;
  virtual std::string suffix() = 0;
};

void write_safetensors(const std::filesystem::path& path, const std::vector<StTensorView>& tensors,
                       const std::map<std::string, std::string>& metadata,
                       ByteFilter* filter = nullptr);

}  // namespace pathodino::models
