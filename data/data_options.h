// DataOptions: the `data:` section of an experiment config — where tiles come from, how they are
// cropped and augmented, and how the loader batches them. Crop defaults are DINOv2's
// (`crops:` in ssl_default_config.yaml); pathology choices (µm/px, tissue share) follow UNI/Phikon.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pathodino::data {

enum class SourceKind { synthetic, wsi, images, dicom };
enum class AugmentationPreset { dinov2, pathology, xray };

// Tiles cut on the fly from whole-slide images through a prebuilt tile index.
struct WsiOptions {
  std::string index;                    // tile index file (`pathodino index`)
  std::vector<double> target_mpp{0.5};  // µm/px of the tiles; several = mixed magnification
  int64_t tile_size = 224;              // pixels at the target µm/px
  double tissue_threshold = 0.6;        // minimum tissue fraction of a kept tile
  double fallback_mpp = 0.0;            // µm/px for slides that carry none; 0 = refuse them
  std::string balance_by;               // group column to balance over; empty = no balancing
  double balance_alpha = 0.0;           // group weight ∝ count^alpha (0 = uniform over groups)
  bool tiff_fast_path = true;           // libtiff + libjpeg-turbo for JPEG TIFFs, else OpenSlide
  bool scaled_decode = true;  // fast path: decode at 1/2, 1/4, 1/8 when the level is that finer
  // Evaluation manifests (slide manifests: `path`, `patient`, …) whose slides and patients must
  // not train: a run on an index that holds one is refused (data/index/leakage_guard.h).
  std::vector<std::string> exclude;
  std::string patient_column = "patient";  // the manifests' column that names the patient
};

// Ordinary images in folders (one folder per class, or a CSV).
struct ImageFolderOptions {
  std::string root;
};

// How a DICOM image's values become display gray levels (Note [X-ray intensities] in
// data/dicom/dicom_image.h).
enum class DicomWindow { file, fixed, percentile };

struct DicomReadOptions {
  DicomWindow window = DicomWindow::file;
  double center = 0, width = 0;  // fixed: in modality units (e.g. HU)
  double clip_percent = 0.5;     // percentile: % of pixels clipped at each end
};

// DICOM images (chest X-rays…) through a DICOM index (`pathodino index-dicom`).
struct DicomOptions {
  std::string index;
  DicomReadOptions read;
};

// Procedurally rendered H&E-like textures with class labels; needs no files.
struct SyntheticOptions {
  int64_t num_classes = 4;
  int64_t images_per_class = 256;
  int64_t image_size = 256;  // pixels
  // Per-image staining differences, as between slides and sites: 0 = none, 1 = the range of
  // data/synthetic/stain_variation.h. Colour then stops identifying a class; morphology does.
  double stain_variation = 1.0;
};

struct DataOptions {
  SourceKind source = SourceKind::synthetic;
  int64_t batch_size_per_rank = 64;
  int64_t loader_threads = 0;    // 0 = cores of this rank left after intra-op threads
  int64_t prefetch_batches = 4;  // bounded queue depth, in batches
  int64_t global_crops_size = 224;
  std::vector<double> global_crops_scale{0.32, 1.0};
  int64_t local_crops_number = 8;
  int64_t local_crops_size = 96;
  std::vector<double> local_crops_scale{0.05, 0.32};
  AugmentationPreset augmentation = AugmentationPreset::dinov2;
  // Blur probability of global crop 1, global crop 2 and the local crops: what DINOv2's released
  // code does (Note [Blur probabilities] in data/augment/multi_crop.h).
  std::vector<double> blur_probabilities{0.0, 0.9, 0.5};
  double hed_jitter = 0.0;  // HED stain jitter σ per crop (data/augment/stain_jitter); 0 = off
  // Loader threads crop and resample only; colour, blur, solarize, HED and normalisation run
  // batched on the training device (Note [Crop plans]).
  bool device_augment = false;
  std::vector<double> mean{0.485, 0.456, 0.406};
  std::vector<double> std{0.229, 0.224, 0.225};
  WsiOptions wsi;
  ImageFolderOptions images;
  DicomOptions dicom;
  SyntheticOptions synthetic;
};

}  // namespace pathodino::data
