// The safetensors reader and writer: exact round trips, and a corpus of malformed files, each
// refused with a message naming the file and the tensor.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "models/interchange/safetensors.h"

namespace fs = std::filesystem;
using namespace pathodino::models;

namespace {

fs::path temp_path(const std::string& name) {
  return fs::temp_directory_path() / ("pathodino-st-" + std::to_string(::getpid()) + "-" + name);
}

// A file from a raw header text and data bytes.
fs::path raw_file(const std::string& name, const std::string& header, std::size_t data_bytes,
                  std::optional<uint64_t> declared_length = {}) {
  const auto path = temp_path(name);
  std::ofstream out(path, std::ios::binary);
  const uint64_t length = declared_length.value_or(header.size());
  out.write(reinterpret_cast<const char*>(&length), 8);
  out << header << std::string(data_bytes, '\x01');
  return path;
}

std::string refusal(const fs::path& path) {
  try {
    read_safetensors(path);
  } catch (const SafetensorsError& e) {
    fs::remove(path);
    return e.what();
  }
  fs::remove(path);
  return "accepted";
}

StTensor f32(const std::string& name, std::vector<int64_t> shape, float first) {
  StTensor t{name, StDtype::F32, shape, {}};
  int64_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<float> values(n);
  for (int64_t i = 0; i < n; ++i) values[i] = first + 0.5f * i;
  t.data.resize(n * 4);
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

TEST(Safetensors, RoundTripIsExact) {
  SafetensorsContent content;
  content.tensors = {f32("a.weight", {2, 3}, 1), f32("b", {5}, -2), f32("empty", {0, 4}, 0)};
  content.tensors.push_back(
      {"bytes", StDtype::U8, {3}, {std::byte{1}, std::byte{2}, std::byte{255}}});
  content.metadata = {{"format", "x"}, {"note", "µm/px"}};
  const auto path = temp_path("roundtrip.safetensors");
  write_safetensors(path, content);
  const auto back = read_safetensors(path);
  ASSERT_EQ(back.tensors.size(), content.tensors.size());
  for (const auto& t : content.tensors) {
    const StTensor* r = back.find(t.name);
    ASSERT_NE(r, nullptr) << t.name;
    EXPECT_EQ(r->dtype, t.dtype);
    EXPECT_EQ(r->shape, t.shape);
    EXPECT_EQ(r->data, t.data) << t.name;
  }
  EXPECT_EQ(back.metadata, content.metadata);
  // The data section starts 8-byte aligned.
  uint64_t header_length = 0;
  std::ifstream(path, std::ios::binary).read(reinterpret_cast<char*>(&header_length), 8);
  EXPECT_EQ(header_length % 8, 0u);
  fs::remove(path);
}

TEST(Safetensors, FailedWriteLeavesThePreviousFile) {
  const auto dir = temp_path("readonly-dir");
  fs::create_directories(dir);
  SafetensorsContent old;
  old.tensors = {f32("w", {4}, 7)};
  write_safetensors(dir / "model.safetensors", old);
  SafetensorsContent duplicate;  // invalid: refused before anything is renamed over the old file
  duplicate.tensors = {f32("w", {1}, 0), f32("w", {1}, 0)};
  EXPECT_THROW(write_safetensors(dir / "model.safetensors", duplicate), SafetensorsError);
  EXPECT_EQ(read_safetensors(dir / "model.safetensors").find("w")->data, old.tensors[0].data);
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1) << "temporary file left behind";
  fs::remove_all(dir);
}

struct Malformed {
  const char* name;
  std::string header;
  std::size_t data_bytes;
  std::optional<uint64_t> declared_length;
  const char* message;
};

class MalformedFile : public testing::TestWithParam<Malformed> {};

TEST_P(MalformedFile, IsRefusedWithAClearReason) {
  const Malformed& m = GetParam();
  const auto path = raw_file(m.name, m.header, m.data_bytes, m.declared_length);
  const std::string message = refusal(path);
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;  // names the file
  EXPECT_NE(message.find(m.message), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, MalformedFile,
    testing::Values(
        Malformed{"header_past_eof", R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4,
                  1000, "runs past the end of the file"},
        Malformed{"header_absurdly_long", "{}", 0, uint64_t{1} << 40, "exceeds the 100 MiB bound"},
        Malformed{"not_json", R"({"a": {"dtype": "F32", )", 0, {}, "not valid JSON"},
        Malformed{"not_an_object", R"([1, 2])", 0, {}, "not a JSON object"},
        Malformed{"unknown_dtype",
                  R"({"w":{"dtype":"F8_E9","shape":[1],"data_offsets":[0,1]}})",
                  1,
                  {},
                  "tensor 'w': unknown dtype \"F8_E9\""},
        Malformed{"offsets_out_of_range",
                  R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                  4,
                  {},
                  "tensor 'w': data_offsets [0, 8] outside the 4-byte data section"},
        Malformed{"offsets_reversed",
                  R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})",
                  4,
                  {},
                  "tensor 'w': data_offsets [4, 0]"},
        Malformed{"size_does_not_match_shape",
                  R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                  8,
                  {},
                  "tensor 'w': 8 bytes for a F32 tensor of 3 elements"},
        Malformed{
            "overlapping",
            R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
            12,
            {},
            "tensors 'a' and 'b' overlap"},
        Malformed{
            "duplicate_name",
            R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
            8,
            {},
            "tensor 'w' appears twice"},
        Malformed{"negative_dimension",
                  R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})",
                  4,
                  {},
                  "tensor 'w': shape has a non-natural dimension"},
        Malformed{"missing_fields",
                  R"({"w":{"dtype":"F32"}})",
                  0,
                  {},
                  "tensor 'w': expected {dtype, shape, data_offsets}"},
        Malformed{"metadata_not_strings",
                  R"({"__metadata__":{"epochs":3}})",
                  0,
                  {},
                  "__metadata__ value of 'epochs' is not a string"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Safetensors, TruncatedAndEmptyFilesAreRefused) {
  SafetensorsContent content;
  content.tensors = {f32("w", {64}, 0)};
  const auto path = temp_path("truncated.safetensors");
  write_safetensors(path, content);
  fs::resize_file(path, fs::file_size(path) - 10);
  EXPECT_NE(refusal(path).find("outside the"), std::string::npos);
  const auto empty = temp_path("empty.safetensors");
  std::ofstream{empty};
  EXPECT_NE(refusal(empty).find("has no header"), std::string::npos);
  EXPECT_NE(refusal(temp_path("does-not-exist")).find("cannot open"), std::string::npos);
}

}  // namespace
