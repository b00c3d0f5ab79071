#include "trainer/features/feature_file.h"

#include <H5Cpp.h>
#include <unistd.h>

#include <fstream>
#include <optional>
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

void write_content(H5::H5File& file, const SlideFeatures& slide) {
  const FeatureFileInfo& info = slide.info;
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

// Note [Encrypted feature files]: the file's name is authenticated, not its folder.
std::string authenticated_data(const std::filesystem::path& file) {
  return "pathodino feature file " + file.filename().string();
}

// HDF5's in-memory driver: no file on disk, the image grows in steps of `kGrowth`.
constexpr size_t kGrowth = size_t{1} << 20;

// The whole HDF5 file as bytes, built in memory.
std::string file_image(const std::filesystem::path& file, const SlideFeatures& slide) {
  H5::FileAccPropList access;
  access.setCore(kGrowth, false);
  H5::H5File h5(file.string(), H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, access);
  write_content(h5, slide);
  const ssize_t size = H5Fget_file_image(h5.getId(), nullptr, 0);
  std::string image(size > 0 ? static_cast<size_t>(size) : 0, '\0');
  if (size <= 0 || H5Fget_file_image(h5.getId(), image.data(), image.size()) != size)
    throw H5::FileIException("H5Fget_file_image", "cannot take the in-memory file's image");
  return image;
}

void write_file(const std::filesystem::path& temp, const std::filesystem::path& file,
                const SlideFeatures& slide, const system::AesKey* key) {
  if (key == nullptr) {
    H5::H5File h5(temp.string(), H5F_ACC_TRUNC);
    write_content(h5, slide);
    return;
  }
  const std::string sealed =
      system::encrypt(*key, authenticated_data(file), file_image(file, slide));
  std::ofstream out(temp, std::ios::binary | std::ios::trunc);
  if (!out.write(sealed.data(), static_cast<std::streamsize>(sealed.size())) || !out.flush())
    throw FeatureFileError(file.string() + ": cannot write " + temp.string());
}

// An open HDF5 file: from disk, or decrypted into memory (the plaintext lives in `image`).
struct OpenedFile {
  std::string image;
  std::optional<H5::H5File> h5;
};

void open_file(const std::filesystem::path& file, const system::AesKey* key, OpenedFile& opened) {
  if (!system::is_encrypted_file(file)) {
    if (key != nullptr)  // a plain file put in place of an encrypted one
      throw FeatureFileError(file.string() + ": not encrypted, but read with a key");
    opened.h5.emplace(file.string(), H5F_ACC_RDONLY);
    return;
  }
  if (key == nullptr)
    throw FeatureFileError(file.string() +
                           ": an encrypted feature file; give its key (--encryption-key)");
  try {
    opened.image = system::decrypt_file(file, *key, authenticated_data(file));
  } catch (const system::EncryptionError& e) {
    throw FeatureFileError(e.what());
  }
  H5::FileAccPropList access;
  access.setCore(kGrowth, false);
  if (H5Pset_file_image(access.getId(), opened.image.data(), opened.image.size()) < 0)
    throw FeatureFileError(file.string() + ": HDF5 cannot take the decrypted image");
  // HDF5 refuses to open an image under the name of a file that exists on disk.
  opened.h5.emplace(file.string() + "#decrypted", H5F_ACC_RDONLY, H5::FileCreatPropList::DEFAULT,
                    access);
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

void write_feature_file(const std::filesystem::path& file, const SlideFeatures& slide,
                        const system::AesKey* key) {
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
    write_file(temp, file, slide, key);  // closed when it returns
  } catch (const H5::Exception& e) {
    std::filesystem::remove(temp);
    throw FeatureFileError(file.string() + ": HDF5 write failed: " + e.getDetailMsg());
  } catch (...) {
    std::filesystem::remove(temp);
    throw;
  }
  system::sync_file(temp);
  system::rename_durably(temp, file);
}

FeatureFileInfo read_feature_file_info(const std::filesystem::path& file,
                                       const system::AesKey* key) {
  try {
    H5::Exception::dontPrint();
    OpenedFile opened;
    open_file(file, key, opened);
    return read_info(*opened.h5);
  } catch (const H5::Exception& e) {
    throw FeatureFileError(file.string() + ": not a pathodino feature file: " + e.getDetailMsg());
  }
}

SlideFeatures read_feature_file(const std::filesystem::path& file, const system::AesKey* key) {
  try {
    H5::Exception::dontPrint();
    OpenedFile opened;
    open_file(file, key, opened);
    const H5::H5File& h5 = *opened.h5;
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
