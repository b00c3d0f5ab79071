#include "trainer/features/feature_file.h"

#include <H5Cpp.h>
#include <unistd.h>

#include <string_view>
#include <type_traits>

#include "trainer/system/durable_file.h"

namespace pathodino::features {
namespace {

// A file is written as `<file>.tmp.<pid>` and renamed; the marker finds what a kill left behind.
constexpr std::string_view kTemporaryMarker = ".tmp.";

// Text attributes are variable-length UTF-8: h5py reads them as str.
H5::StrType text_type() {
  H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  type.setCset(H5T_CSET_UTF8);
  return type;
}

void put(H5::H5Object& object, const std::string& name, const std::string& value) {
  const H5::StrType type = text_type();
  object.createAttribute(name, type, H5::DataSpace(H5S_SCALAR)).write(type, value);
}

// The HDF5 type of a number attribute: int64 or double, nothing else is stored.
template <typename T>
const H5::PredType& native_type() {
  static_assert(std::is_same_v<T, int64_t> || std::is_same_v<T, double>);
  return std::is_same_v<T, double> ? H5::PredType::NATIVE_DOUBLE : H5::PredType::NATIVE_INT64;
}

template <typename T>
requires std::is_arithmetic_v<T>
void put(H5::H5Object& object, const std::string& name, T value) {
  object.createAttribute(name, native_type<T>(), H5::DataSpace(H5S_SCALAR))
      .write(native_type<T>(), &value);
}

std::string text(const H5::H5Object& object, const std::string& name) {
  std::string value;
  const H5::Attribute attribute = object.openAttribute(name);
  attribute.read(attribute.getStrType(), value);
  return value;
}

template <typename T>
T number(const H5::H5Object& object, const std::string& name) {
  T value{};
  object.openAttribute(name).read(native_type<T>(), &value);
  return value;
}

void write_texts(H5::H5File& file, const std::string& name, const std::vector<std::string>& texts) {
  std::vector<const char*> pointers;
  for (const std::string& t : texts) pointers.push_back(t.c_str());
  const hsize_t dims[1] = {texts.size()};
  file.createDataSet(name, text_type(), H5::DataSpace(1, dims)).write(pointers.data(), text_type());
}

std::vector<std::string> read_texts(const H5::H5File& file, const std::string& name) {
  const H5::DataSet set = file.openDataSet(name);
  hsize_t n = 0;
  set.getSpace().getSimpleExtentDims(&n);
  std::vector<char*> pointers(n, nullptr);
  if (n > 0) set.read(pointers.data(), text_type());
  std::vector<std::string> texts(pointers.begin(), pointers.end());
  if (n > 0)
    H5Dvlen_reclaim(text_type().getId(), set.getSpace().getId(), H5P_DEFAULT, pointers.data());
  return texts;
}

// Where each row came from: a slide's tile coordinates, or an image's path and label.
void write_rows(H5::H5File& file, const SlideFeatures& slide) {
  const FeatureFileInfo& info = slide.info;
  if (!slide.paths.empty()) {
    write_texts(file, "paths", slide.paths);
    write_texts(file, "class_names", slide.class_names);
    const hsize_t dims[1] = {slide.labels.size()};
    file.createDataSet("labels", H5::PredType::STD_I64LE, H5::DataSpace(1, dims))
        .write(slide.labels.data(), H5::PredType::NATIVE_INT64);
    return;
  }
  const hsize_t coord_dims[2] = {static_cast<hsize_t>(info.tiles), 2};
  H5::DataSet coords =
      file.createDataSet("coords", H5::PredType::STD_I64LE, H5::DataSpace(2, coord_dims));
  coords.write(slide.coords.data(), H5::PredType::NATIVE_INT64);
  put(coords, "patch_size", info.tile_size);
  put(coords, "patch_size_level0", info.tile_size_level0);
}

void write_file(const std::filesystem::path& path, const SlideFeatures& slide) {
  const FeatureFileInfo& info = slide.info;
  H5::H5File file(path.string(), H5F_ACC_TRUNC);
  const hsize_t feature_dims[2] = {static_cast<hsize_t>(info.tiles),
                                   static_cast<hsize_t>(info.dim)};
  file.createDataSet("features", H5::PredType::IEEE_F32LE, H5::DataSpace(2, feature_dims))
      .write(slide.features.data(), H5::PredType::NATIVE_FLOAT);
  write_rows(file, slide);
  put(file, "slide", info.slide);
  put(file, "tiles", info.tiles);
  put(file, "dim", info.dim);
  put(file, "tile_size", info.tile_size);
  put(file, "tile_size_level0", info.tile_size_level0);
  put(file, "target_mpp", info.target_mpp);
  put(file, "level0_mpp", info.level0_mpp);
  put(file, "backbone", info.backbone);
  put(file, "backbone_sha256", info.backbone_sha256);
  put(file, "pathodino_version", info.pathodino_version);
  file.flush(H5F_SCOPE_GLOBAL);
}

FeatureFileInfo read_info(const H5::H5File& file) {
  FeatureFileInfo info;
  info.slide = text(file, "slide");
  info.tiles = number<int64_t>(file, "tiles");
  info.dim = number<int64_t>(file, "dim");
  info.tile_size = number<int64_t>(file, "tile_size");
  info.tile_size_level0 = number<int64_t>(file, "tile_size_level0");
  info.target_mpp = number<double>(file, "target_mpp");
  info.level0_mpp = number<double>(file, "level0_mpp");
  info.backbone = text(file, "backbone");
  info.backbone_sha256 = text(file, "backbone_sha256");
  info.pathodino_version = text(file, "pathodino_version");
  return info;
}

}  // namespace

void write_feature_file(const std::filesystem::path& file, const SlideFeatures& slide) {
  const FeatureFileInfo& info = slide.info;
  const auto rows = static_cast<size_t>(info.tiles);
  const bool images = !slide.paths.empty();
  if (slide.features.size() != rows * static_cast<size_t>(info.dim) ||
      (images ? slide.paths.size() != rows || slide.labels.size() != rows || !slide.coords.empty()
              : slide.coords.size() != rows * 2))
    throw FeatureFileError(file.string() + ": features, coords or paths do not match " +
                           std::to_string(info.tiles) + " tiles of width " +
                           std::to_string(info.dim));
  const std::filesystem::path temp =
      file.string() + std::string(kTemporaryMarker) + std::to_string(::getpid());
  try {
    H5::Exception::dontPrint();
    write_file(temp, slide);  // closed when it returns
  } catch (const H5::Exception& e) {
    std::filesystem::remove(temp);
    throw FeatureFileError(file.string() + ": HDF5 write failed: " + e.getDetailMsg());
  }
  system::sync_file(temp);
  system::rename_durably(temp, file);
}

FeatureFileInfo read_feature_file_info(const std::filesystem::path& file) {
  try {
    H5::Exception::dontPrint();
    return read_info(H5::H5File(file.string(), H5F_ACC_RDONLY));
  } catch (const H5::Exception& e) {
    throw FeatureFileError(file.string() + ": not a pathodino feature file: " + e.getDetailMsg());
  }
}

SlideFeatures read_feature_file(const std::filesystem::path& file) {
  try {
    H5::Exception::dontPrint();
    const H5::H5File h5(file.string(), H5F_ACC_RDONLY);
    SlideFeatures slide;
    slide.info = read_info(h5);
    slide.features.resize(static_cast<size_t>(slide.info.tiles * slide.info.dim));
    h5.openDataSet("features").read(slide.features.data(), H5::PredType::NATIVE_FLOAT);
    if (!h5.nameExists("coords")) {  // a file of images
      slide.paths = read_texts(h5, "paths");
      slide.class_names = read_texts(h5, "class_names");
      slide.labels.resize(slide.paths.size());
      h5.openDataSet("labels").read(slide.labels.data(), H5::PredType::NATIVE_INT64);
      return slide;
    }
    slide.coords.resize(static_cast<size_t>(slide.info.tiles * 2));
    h5.openDataSet("coords").read(slide.coords.data(), H5::PredType::NATIVE_INT64);
    return slide;
  } catch (const H5::Exception& e) {
    throw FeatureFileError(file.string() + ": not a pathodino feature file: " + e.getDetailMsg());
  }
}

void remove_unfinished_writes(const std::filesystem::path& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().filename().string().find(".h5" + std::string(kTemporaryMarker)) !=
        std::string::npos)
      std::filesystem::remove(entry.path());
}

}  // namespace pathodino::features
