// The spelling of every enumeration that appears in an experiment config, in one table per enum.
// The schema parses, prints and lists choices from these; code branches on the enums, never on
// the strings.
#pragma once

#include <array>
#include <string_view>

#include "trainer/config/experiment_config.h"

namespace pathodino::config {

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

// Specialised below for every config enum: `static constexpr std::array values`.
template <class E>
struct EnumNames;

#define PATHODINO_ENUM_NAMES(Type, ...)                                           \
  template <>                                                                     \
  struct EnumNames<Type> {                                                        \
    using E = Type;                                                               \
    static constexpr std::array values = std::to_array<EnumName<E>>(__VA_ARGS__); \
  }

PATHODINO_ENUM_NAMES(DeviceKind, {{E::auto_select, "auto"}, {E::cpu, "cpu"}, {E::cuda, "cuda"}});
PATHODINO_ENUM_NAMES(Precision, {{E::auto_select, "auto"}, {E::fp32, "fp32"}, {E::bf16, "bf16"}});
PATHODINO_ENUM_NAMES(models::FfnKind, {{E::mlp, "mlp"}, {E::swiglu, "swiglu"}});
PATHODINO_ENUM_NAMES(models::DropPathSchedule, {{E::uniform, "uniform"}, {E::linear, "linear"}});
PATHODINO_ENUM_NAMES(ssl::Centering, {{E::softmax_center, "softmax_center"},
                                      {E::sinkhorn_knopp, "sinkhorn_knopp"}});
PATHODINO_ENUM_NAMES(optim::LrScaling,
                     {{E::sqrt, "sqrt"}, {E::linear, "linear"}, {E::none, "none"}});
PATHODINO_ENUM_NAMES(optim::ScheduleKind, {{E::cosine, "cosine"}, {E::constant, "constant"}});
PATHODINO_ENUM_NAMES(data::SourceKind, {{E::synthetic, "synthetic"},
                                        {E::wsi, "wsi"},
                                        {E::images, "images"},
                                        {E::dicom, "dicom"}});
PATHODINO_ENUM_NAMES(data::DicomWindow,
                     {{E::file, "file"}, {E::fixed, "fixed"}, {E::percentile, "percentile"}});
PATHODINO_ENUM_NAMES(data::AugmentationPreset,
                     {{E::dinov2, "dinov2"}, {E::pathology, "pathology"}, {E::xray, "xray"}});
PATHODINO_ENUM_NAMES(distributed::Backend,
                     {{E::auto_select, "auto"}, {E::mpi, "mpi"}, {E::nccl, "nccl"}});
PATHODINO_ENUM_NAMES(checkpoint::OnSaveFailure,
                     {{E::keep_training, "keep_training"}, {E::stop, "stop"}});

#undef PATHODINO_ENUM_NAMES

template <class E>
constexpr std::string_view enum_name(E value) {
  for (const auto& entry : EnumNames<E>::values)
    if (entry.value == value) return entry.name;
  return "?";
}

}  // namespace pathodino::config
