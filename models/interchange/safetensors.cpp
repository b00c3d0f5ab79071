#include "models/interchange/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

namespace pathodino::models {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors is little-endian");

constexpr uint64_t kMaxHeaderBytes = 100u << 20;  // the reference implementation's bound

constexpr std::array kDtypes{std::pair{StDtype::F64, "F64"}, std::pair{StDtype::F32, "F32"},
                             std::pair{StDtype::F16, "F16"}, std::pair{StDtype::BF16, "BF16"},
                             std::pair{StDtype::I64, "I64"}, std::pair{StDtype::I32, "I32"},
                             std::pair{StDtype::I16, "I16"}, std::pair{StDtype::I8, "I8"},
                             std::pair{StDtype::U8, "U8"},   std::pair{StDtype::BOOL, "BOOL"}};

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw SafetensorsError(path.string() + ": " + what);
}

void write_all(int fd, const void* data, std::size_t size, const std::filesystem::path& path) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path, std::string("write failed: ") + std::strerror(errno));
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Writes through `filter` (when given) in pieces of a few MiB, so the transformed bytes never
// need a second copy of a whole tensor.
class FileOut {
 public:
  FileOut(int fd, const std::filesystem::path& path, ByteFilter* filter)
      : fd_(fd), path_(path), filter_(filter) {
    if (filter_) buffer_.resize(kPiece);
  }
  void raw(const std::string& bytes) { write_all(fd_, bytes.data(), bytes.size(), path_); }
  void bytes(const void* data, std::size_t size) {
    if (!filter_) return write_all(fd_, data, size, path_);
    const auto* in = static_cast<const std::byte*>(data);
    for (std::size_t done = 0; done < size; done += kPiece) {
      const std::size_t piece = std::min(kPiece, size - done);
      filter_->update(in + done, piece, buffer_.data());
      write_all(fd_, buffer_.data(), piece, path_);
    }
  }

 private:
  static constexpr std::size_t kPiece = std::size_t{4} << 20;
  int fd_;
  const std::filesystem::path& path_;
  ByteFilter* filter_;
  std::vector<std::byte> buffer_;
};

}  // namespace

std::size_t dtype_size(StDtype dtype) {
  switch (dtype) {
    case StDtype::F64:
    case StDtype::I64:
      return 8;
    case StDtype::F32:
    case StDtype::I32:
      return 4;
    case StDtype::F16:
    case StDtype::BF16:
    case StDtype::I16:
      return 2;
    default:
      return 1;
  }
}

const char* dtype_name(StDtype dtype) {
  for (const auto& [value, name] : kDtypes)
    if (value == dtype) return name;
  return "?";
}

const StTensor* SafetensorsContent::find(const std::string& name) const {
  for (const auto& tensor : tensors)
    if (tensor.name == name) return &tensor;
  return nullptr;
}

namespace {

// The header's JSON text, after checking its length against the file's size.
std::string read_header_text(std::istream& in, const std::filesystem::path& path,
                             uint64_t file_size) {
  if (file_size < 8) fail(path, "file of " + std::to_string(file_size) + " bytes has no header");
  uint64_t header_size = 0;
  in.read(reinterpret_cast<char*>(&header_size), 8);
  if (header_size > kMaxHeaderBytes)
    fail(path, "header length " + std::to_string(header_size) + " exceeds the 100 MiB bound");
  if (8 + header_size > file_size)
    fail(path, "header length " + std::to_string(header_size) + " runs past the end of the file (" +
                   std::to_string(file_size) + " bytes)");
  std::string header(header_size, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_size));
  return header;
}

nlohmann::json parse_header(const std::filesystem::path& path, const std::string& header) {
  nlohmann::json json;
  try {
    // Duplicate keys are an error: the parser callback sees every key of the top-level object.
    std::vector<std::string> names;
    json = nlohmann::json::parse(
        header, [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
          if (depth == 1 && event == nlohmann::json::parse_event_t::key) {
            const auto name = parsed.get<std::string>();
            if (std::find(names.begin(), names.end(), name) != names.end())
              fail(path, "tensor '" + name + "' appears twice in the header");
            names.push_back(name);
          }
          return true;
        });
  } catch (const nlohmann::json::exception& e) {
    fail(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!json.is_object()) fail(path, "header is not a JSON object");
  return json;
}

void read_metadata(const std::filesystem::path& path, const nlohmann::json& entry,
                   SafetensorsContent& content) {
  if (!entry.is_object()) fail(path, "__metadata__ is not an object");
  for (const auto& [key, value] : entry.items()) {
    if (!value.is_string()) fail(path, "__metadata__ value of '" + key + "' is not a string");
    content.metadata[key] = value.get<std::string>();
  }
}

// A tensor entry's dtype and shape; returns its element count.
uint64_t read_dtype_and_shape(const std::filesystem::path& path, const std::string& where,
                              const nlohmann::json& entry, StTensor& tensor) {
  if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
      !entry.contains("data_offsets"))
    fail(path, where + ": expected {dtype, shape, data_offsets}");
  const auto& dtype = entry["dtype"];
  auto known = std::find_if(kDtypes.begin(), kDtypes.end(), [&](const auto& d) {
    return dtype.is_string() && dtype.get<std::string>() == d.second;
  });
  if (known == kDtypes.end()) fail(path, where + ": unknown dtype " + dtype.dump());
  tensor.dtype = known->first;
  uint64_t numel = 1;
  if (!entry["shape"].is_array()) fail(path, where + ": shape is not a list");
  for (const auto& dim : entry["shape"]) {
    if (!dim.is_number_unsigned()) fail(path, where + ": shape has a non-natural dimension");
    const uint64_t d = dim.get<uint64_t>();
    if (d != 0 && numel > (uint64_t{1} << 62) / d) fail(path, where + ": shape is too large");
    numel *= d;
    tensor.shape.push_back(static_cast<int64_t>(d));
  }
  return numel;
}

// A tensor entry's [begin, end) in the data section, checked against its size and dtype.
std::pair<uint64_t, uint64_t> read_offsets(const std::filesystem::path& path,
                                           const std::string& where, const nlohmann::json& entry,
                                           const StTensor& tensor, uint64_t numel,
                                           uint64_t data_size) {
  const auto& offsets = entry["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned())
    fail(path, where + ": data_offsets must be [begin, end]");
  const uint64_t begin = offsets[0], end = offsets[1];
  if (begin > end || end > data_size)
    fail(path, where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                   "] outside the " + std::to_string(data_size) + "-byte data section");
  if (end - begin != numel * dtype_size(tensor.dtype))
    fail(path, where + ": " + std::to_string(end - begin) + " bytes for a " +
                   dtype_name(tensor.dtype) + " tensor of " + std::to_string(numel) + " elements");
  return {begin, end};
}

// Sorts the tensors by their place in the data section, which must not overlap: sorted by begin,
// each range must end before the next begins.
void sort_without_overlap(const std::filesystem::path& path,
                          const std::vector<std::pair<uint64_t, uint64_t>>& ranges,
                          std::vector<StTensor>& tensors) {
  std::vector<std::size_t> order(ranges.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return ranges[a] < ranges[b]; });
  for (std::size_t i = 1; i < order.size(); ++i) {
    const auto& previous = ranges[order[i - 1]];
    const auto& current = ranges[order[i]];
    if (current.first < previous.second && current.first != current.second &&
        previous.first != previous.second)
      fail(path, "tensors '" + tensors[order[i - 1]].name + "' and '" + tensors[order[i]].name +
                     "' overlap in the data section");
  }
  std::vector<StTensor> sorted;
  for (auto i : order) sorted.push_back(std::move(tensors[i]));
  tensors = std::move(sorted);
}

}  // namespace

SafetensorsContent read_safetensors(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open");
  in.seekg(0, std::ios::end);
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  return read_safetensors(in, file_size, path);
}

SafetensorsContent read_safetensors(std::istream& in, uint64_t file_size,
                                    const std::filesystem::path& path) {
  const std::string header = read_header_text(in, path, file_size);
  const uint64_t data_start = 8 + header.size(), data_size = file_size - data_start;
  const nlohmann::json json = parse_header(path, header);

  SafetensorsContent content;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, entry] : json.items()) {
    if (name == "__metadata__") {
      read_metadata(path, entry, content);
      continue;
    }
    const std::string where = "tensor '" + name + "'";
    StTensor tensor;
    tensor.name = name;
    const uint64_t numel = read_dtype_and_shape(path, where, entry, tensor);
    const auto [begin, end] = read_offsets(path, where, entry, tensor, numel, data_size);
    tensor.data.resize(end - begin);
    in.seekg(static_cast<std::streamoff>(data_start + begin));
    in.read(reinterpret_cast<char*>(tensor.data.data()), static_cast<std::streamsize>(end - begin));
    if (!in) fail(path, where + ": cannot read its bytes");
    ranges.emplace_back(begin, end);
    content.tensors.push_back(std::move(tensor));
  }
  sort_without_overlap(path, ranges, content.tensors);
  return content;
}

void write_safetensors(const std::filesystem::path& path, const SafetensorsContent& content) {
  std::vector<StTensorView> views;
  for (const auto& tensor : content.tensors)
    views.push_back(
        {tensor.name, tensor.dtype, tensor.shape, tensor.data.data(), tensor.data.size()});
  write_safetensors(path, views, content.metadata);
}

void write_safetensors(const std::filesystem::path& path, const std::vector<StTensorView>& tensors,
                       const std::map<std::string, std::string>& metadata, ByteFilter* filter) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& tensor : tensors) {
    if (header.contains(tensor.name)) fail(path, "tensor '" + tensor.name + "' given twice");
    header[tensor.name] = {{"dtype", dtype_name(tensor.dtype)},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + tensor.size}}};
    offset += tensor.size;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // pad so the data section is 8-byte aligned
  const uint64_t header_size = text.size();

  const auto temp = path.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail(path, std::string("cannot create: ") + std::strerror(errno));
  try {
    FileOut out(fd, path, filter);
    if (filter) out.raw(filter->prefix());
    out.bytes(&header_size, 8);
    out.bytes(text.data(), text.size());
    for (const auto& tensor : tensors) out.bytes(tensor.data, tensor.size);
    if (filter) out.raw(filter->suffix());
    if (::fsync(fd) != 0) fail(path, std::string("fsync failed: ") + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    ::unlink(temp.c_str());
    fail(path, std::string("rename failed: ") + std::strerror(errno));
  }
}

}  // namespace pathodino::models
