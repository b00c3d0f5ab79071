#include "trainer/config/cross_checks.h"

#include <algorithm>
#include <string>

namespace pathodino::config {
namespace {

class Reporter {
 public:
  Reporter(const ConfigNode& tree, ConfigIssues& issues) : tree_(tree), issues_(issues) {}

  // Reports at `key`, or at `other` when that one was set with higher precedence (a later file,
  // or --set): the value the user most likely has to change.
  void report(const std::string& key, const std::string& other, const std::string& message) {
    const ConfigNode* node = tree_.find_path(key);
    const ConfigNode* alternative = other.empty() ? nullptr : tree_.find_path(other);
    if (alternative && (!node || alternative->origin.layer > node->origin.layer))
      issues_.push_back({other, alternative->origin, message});
    else
      issues_.push_back({key, node ? node->origin : Origin{"default", 0}, message});
  }

 private:
  const ConfigNode& tree_;
  ConfigIssues& issues_;
};

std::string str(int64_t v) { return std::to_string(v); }

// Crop sizes against the patch size and each other; [min, max] pairs in order.
void check_crops(const ExperimentConfig& c, Reporter& r) {
  const int64_t patch = c.model.patch_size;

  if (c.data.global_crops_size % patch != 0)
    r.report("data.global_crops_size", "model.patch_size",
             "global crop size " + str(c.data.global_crops_size) +
                 " is not a multiple of model.patch_size " + str(patch));
  if (c.data.local_crops_number > 0 && c.data.local_crops_size % patch != 0)
    r.report("data.local_crops_size", "model.patch_size",
             "local crop size " + str(c.data.local_crops_size) +
                 " is not a multiple of model.patch_size " + str(patch));
  if (c.data.local_crops_number > 0 && c.data.local_crops_size > c.data.global_crops_size)
    r.report("data.local_crops_size", "data.global_crops_size",
             "local crop size " + str(c.data.local_crops_size) +
                 " is larger than the global crop size " + str(c.data.global_crops_size));

  // The device path blurs by convolution after reflect padding of 4 pixels, which needs 5 or more.
  const int64_t smallest = c.data.local_crops_number > 0
                               ? std::min(c.data.local_crops_size, c.data.global_crops_size)
                               : c.data.global_crops_size;
  if (c.data.device_augment && smallest < 5)
    r.report("data.device_augment", "data.local_crops_size",
             "the device path needs crops of 5 pixels or more, found " + str(smallest));

  auto ordered_pair = [&](const std::vector<double>& v, const std::string& key) {
    if (v.size() == 2 && v[0] > v[1])
      r.report(key, "",
               "expected [min, max] with min <= max, found [" + std::to_string(v[0]) + ", " +
                   std::to_string(v[1]) + "]");
  };
  ordered_pair(c.data.global_crops_scale, "data.global_crops_scale");
  ordered_pair(c.data.local_crops_scale, "data.local_crops_scale");
  ordered_pair(c.ssl.ibot.mask_ratio_min_max, "ssl.ibot.mask_ratio_min_max");
}

// Schedules that fit in the run and go the right way.
void check_schedules(const ExperimentConfig& c, Reporter& r) {
  const int64_t epochs = c.optim.epochs;
  auto within_run = [&](int64_t value, const std::string& key) {
    if (value > epochs)
      r.report(key, "optim.epochs",
               str(value) + " epochs is longer than the run (optim.epochs = " + str(epochs) + ")");
  };
  within_run(c.optim.warmup_epochs, "optim.warmup_epochs");
  within_run(c.optim.freeze_last_layer_epochs, "optim.freeze_last_layer_epochs");

  if (c.optim.heads_only_steps >= epochs * c.optim.iterations_per_epoch)
    r.report("optim.heads_only_steps", "optim.epochs",
             "the heads-only warm-up (" + str(c.optim.heads_only_steps) +
                 " steps) leaves no step for the backbone");

  if (c.optim.min_lr > c.optim.base_lr)
    r.report("optim.min_lr", "optim.base_lr", "min_lr is above base_lr");
  if (c.ssl.teacher.final_momentum < c.ssl.teacher.momentum)
    r.report("ssl.teacher.final_momentum", "ssl.teacher.momentum",
             "the EMA momentum must not decrease: final_momentum < momentum");
}

// What the chosen data source needs.
void check_source(const ExperimentConfig& c, Reporter& r) {
  if (c.data.source == data::SourceKind::wsi && c.data.wsi.index.empty())
    r.report("data.wsi.index", "data.source",
             "required key is missing: data.source is wsi, so a tile index is needed");
  if (c.data.source == data::SourceKind::images && c.data.images.root.empty())
    r.report("data.images.root", "data.source",
             "required key is missing: data.source is images, so an image folder is needed");
  if (c.data.source == data::SourceKind::dicom && c.data.dicom.index.empty())
    r.report("data.dicom.index", "data.source",
             "required key is missing: data.source is dicom, so a DICOM index is needed");
  if (c.data.dicom.read.window == data::DicomWindow::fixed && c.data.dicom.read.width < 1)
    r.report("data.dicom.read.width", "data.dicom.read.window",
             "a fixed window needs a width of at least 1");
  if (c.data.wsi.target_mpp.empty())
    r.report("data.wsi.target_mpp", "", "expected at least one µm/px value");
}

// What the chosen data source, device and evaluation need.
void check_requirements(const ExperimentConfig& c, Reporter& r) {
  check_source(c, r);
  if (c.run.device == DeviceKind::cpu && c.run.precision == Precision::bf16)
    r.report("run.precision", "run.device", "bf16 autocast is a CUDA feature: use fp32 on CPU");
  if (c.run.device == DeviceKind::cpu && c.distributed.backend == distributed::Backend::nccl)
    r.report("distributed.backend", "run.device", "NCCL needs CUDA tensors: use mpi on CPU");

  // The kNN monitor and the linear probe score labelled images: refused now, not after training.
  const bool labelled = !c.eval.knn_dataset.empty() || c.data.source == data::SourceKind::synthetic;
  if (!labelled && c.eval.knn_every_steps > 0)
    r.report("eval.knn_every_steps", "",
             "the kNN monitor needs labelled images: set eval.knn_dataset (an image folder with "
             "train/<class>/ and val/<class>/; `pathodino synth --labelled-tiles N` writes one)");
  if (!labelled && c.eval.linear_probe)
    r.report("eval.linear_probe", "",
             "the linear probe needs labelled images: set eval.knn_dataset (an image folder with "
             "train/<class>/ and val/<class>/)");
}

// Key files are read when the run starts; here only what is missing.
void check_security(const ExperimentConfig& c, Reporter& r) {
  if (c.checkpoint.require_signature && c.checkpoint.public_key.empty())
    r.report("checkpoint.public_key", "checkpoint.require_signature",
             "required key is missing: checkpoint.require_signature is on, so "
             "checkpoint.public_key (an Ed25519 public key file) is needed to check signatures");
  const metrics::MetricsOptions& m = c.metrics;
  if (m.prometheus && !metrics::is_loopback(m.bind_address) && m.bearer_token_file.empty())
    r.report("metrics.bearer_token_file", "metrics.bind_address",
             "required key is missing: metrics.bind_address " + m.bind_address +
                 " lets other machines scrape, so metrics.bearer_token_file (a file holding "
                 "the token scrapes must send) is needed");
  if (c.privacy.pseudonymise && c.privacy.key_file.empty())
    r.report("privacy.key_file", "privacy.pseudonymise",
             "required key is missing: privacy.pseudonymise is on, so the secret key file of "
             "the pseudonyms is needed");
  if (m.tls_certificate.empty() != m.tls_private_key.empty())
    r.report(m.tls_certificate.empty() ? "metrics.tls_certificate" : "metrics.tls_private_key", "",
             "HTTPS needs both metrics.tls_certificate and metrics.tls_private_key");
}

void check_run_name(const ExperimentConfig& c, Reporter& r) {
  const std::string& name = c.run.name;
  const bool bad_name = std::any_of(name.begin(), name.end(), [](unsigned char ch) {
    return !(std::isalnum(ch) || ch == '_' || ch == '-' || ch == '.');
  });
  if (bad_name || name == "." || name == "..")
    r.report("run.name", "",
             "'" + name + "' is not usable as a folder name (letters, digits, . _ -)");
}

// Each k-means level clusters the centroids of the one below, so it must ask for fewer clusters.
void check_curate_levels(const ExperimentConfig& c, Reporter& r) {
  const std::vector<int64_t>& levels = c.curate.levels;
  if (levels.empty()) r.report("curate.levels", "", "at least one k-means level is needed");
  for (size_t i = 1; i < levels.size(); ++i)
    if (levels[i] >= levels[i - 1])
      r.report("curate.levels", "",
               "level " + str(static_cast<int64_t>(i + 1)) + " asks for " + str(levels[i]) +
                   " clusters of the " + str(levels[i - 1]) +
                   " centroids below it: each level must have fewer clusters than the last");
  if (c.curate.resample_sizes.size() > levels.size())
    r.report("curate.resample_sizes", "curate.levels",
             str(static_cast<int64_t>(c.curate.resample_sizes.size())) + " resample sizes for " +
                 str(static_cast<int64_t>(levels.size())) + " levels: at most one per level");
}

}  // namespace

void check_consistency(const ExperimentConfig& c, const ConfigNode& tree, ConfigIssues& issues) {
  Reporter r(tree, issues);
  check_crops(c, r);
  check_schedules(c, r);
  check_requirements(c, r);
  check_security(c, r);
  check_run_name(c, r);
  check_curate_levels(c, r);
}

}  // namespace pathodino::config
