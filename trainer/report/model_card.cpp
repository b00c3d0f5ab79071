#include "trainer/report/model_card.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "data/index/tile_index.h"

namespace pathodino::report {
namespace {

// The value at a dotted key path of the resolved config, as text ("" when absent); a sequence in
// YAML's flow style.
std::string value_at(const YAML::Node& root, const std::string& path) {
  YAML::Node node = YAML::Clone(root);
  for (size_t start = 0; start <= path.size();) {
    const size_t dot = std::min(path.find('.', start), path.size());
    if (!node.IsMap()) return "";
    node = node[path.substr(start, dot - start)];
    if (!node) return "";
    start = dot + 1;
  }
  if (node.IsScalar()) return node.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

// Tiles and slides of the index per value of `column` (site, …), in name order.
std::string groups_table(const data::TileIndex& index, const std::string& column) {
  std::map<std::string, std::pair<int64_t, int64_t>> by;  // value -> (slides, tiles)
  for (const data::IndexedSlide& s : index.slides()) {
    const auto it = s.groups.find(column);
    auto& [slides, tiles] = by[it == s.groups.end() ? "(none)" : it->second];
    ++slides;
    tiles += s.tiles;
  }
  std::string table = fmt::format("\n| {} | slides | tiles |\n|---|---:|---:|\n", column);
  for (const auto& [value, counts] : by)
    table += fmt::format("| {} | {} | {} |\n", value, counts.first, counts.second);
  return table;
}

std::string index_facts(const YAML::Node& config) {
  const std::string file = value_at(config, "data.wsi.index");
  try {
    const data::TileIndex index(file);
    std::string out = fmt::format(
        "- Tile index `{}`: {} slides, {} tiles of {} px at {} µm/px (data.wsi.target_mpp).\n",
        file, index.slides().size(), index.size(), value_at(config, "data.wsi.tile_size"),
        value_at(config, "data.wsi.target_mpp"));
    const std::string balance = value_at(config, "data.wsi.balance_by");
    if (!balance.empty())
      out += fmt::format("- Sampling balanced over `{}` (alpha {}).\n", balance,
                         value_at(config, "data.wsi.balance_alpha"));
    const bool sites =
        std::any_of(index.slides().begin(), index.slides().end(),
                    [](const data::IndexedSlide& s) { return s.groups.count("site"); });
    if (sites) out += groups_table(index, "site");
    if (!balance.empty() && balance != "site") out += groups_table(index, balance);
    return out;
  } catch (const std::exception& e) {
    return fmt::format("- Tile index `{}` could not be read: {}\n", file, e.what());
  }
}

double median_of(const metrics::Curve& curve) {
  std::vector<double> v;
  for (const auto& point : curve) v.push_back(point.second);
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

}  // namespace

std::string data_section(const CardInputs& in) {
  const YAML::Node config = YAML::Load(in.config_yaml);
  const std::string source = value_at(config, "data.source");
  std::string out = fmt::format("### Data\n\n- Source: `{}`.\n", source);
  if (source == "wsi")
    out += index_facts(config);
  else if (source == "images")
    out += fmt::format("- Image folder `{}`.\n", value_at(config, "data.images.root"));
  else if (source == "synthetic")
    out += fmt::format("- Synthetic images: {} classes × {} images of {} px.\n",
                       value_at(config, "data.synthetic.num_classes"),
                       value_at(config, "data.synthetic.images_per_class"),
                       value_at(config, "data.synthetic.image_size"));
  if (in.evaluation)
    out +=
        fmt::format("- Evaluation set: {}; {} bank / {} query images, {} classes.\n",
                    in.evaluation->labelled_set, in.evaluation->teacher.knn.bank_size,
                    in.evaluation->teacher.knn.query_count, in.evaluation->teacher.knn.num_classes);
  return out + "\n";
}

std::string recipe_section(const CardInputs& in) {
  const YAML::Node config = YAML::Load(in.config_yaml);
  static const char* const kKeys[] = {"model.arch",
                                      "model.patch_size",
                                      "model.num_register_tokens",
                                      "model.layerscale_init",
                                      "model.pretrained",
                                      "ssl.dino.head.n_prototypes",
                                      "ssl.dino.loss_weight",
                                      "ssl.ibot.loss_weight",
                                      "ssl.koleo.loss_weight",
                                      "ssl.centering",
                                      "ssl.teacher.temp",
                                      "ssl.teacher.momentum",
                                      "ssl.teacher.final_momentum",
                                      "optim.epochs",
                                      "optim.iterations_per_epoch",
                                      "optim.base_lr",
                                      "optim.lr_scaling",
                                      "optim.weight_decay",
                                      "optim.warmup_epochs",
                                      "data.batch_size_per_rank",
                                      "data.global_crops_size",
                                      "data.local_crops_number",
                                      "data.local_crops_size",
                                      "data.augmentation",
                                      "data.hed_jitter",
                                      "run.seed",
                                      "run.precision",
                                      "distributed.backend"};
  std::string out =
      "### Recipe\n\nThe main keys of the resolved config (all of it: the run's "
      "`config.yaml`).\n\n| key | value |\n|---|---|\n";
  for (const char* key : kKeys) {
    const std::string v = value_at(config, key);
    if (!v.empty()) out += fmt::format("| `{}` | {} |\n", key, v);
  }
  return out + "\n";
}

std::string compute_section(const CardInputs& in) {
  const metrics::RunLog& log = *in.log;
  const YAML::Node config = YAML::Load(in.config_yaml);
  const int64_t steps = log.last_step + 1;
  const int64_t batch = std::stoll(value_at(config, "data.batch_size_per_rank"));
  std::string out = "### Compute\n\n";
  out += fmt::format("- {} steps logged ({} records{}); ", steps, log.records,
                     log.unreadable == 0
                         ? ""
                         : fmt::format(", {} unreadable line(s) skipped, the first at {}",
                                       log.unreadable, log.first_unreadable));
  const std::optional<LatestCheckpoint>& c = in.checkpoint;
  out +=
      c ? fmt::format(
              "{} rank(s), {} images per step in all; {} images drawn by step {} "
              "(the latest checkpoint's sampler position).\n",
              c->world_size, batch * c->world_size, c->images_drawn, c->step)
        : fmt::format("{} images per step per rank (no checkpoint names the world size).\n", batch);
  const double step_seconds = median_of(log.curve("step_seconds"));
  out += fmt::format(
      "- Median step {:.3f} s and {:.1f} images/s over {} logged step(s); {} steps "
      "at that pace: {:.0f} s.\n",
      step_seconds, median_of(log.curve("images_per_second")), log.curve("step_seconds").size(),
      steps, step_seconds * static_cast<double>(steps));
  out += fmt::format(
      "- Device `{}`, precision `{}`, {} LibTorch thread(s) per rank (0 = cores / "
      "local ranks).\n",
      value_at(config, "run.device"), value_at(config, "run.precision"),
      value_at(config, "run.intra_op_threads"));
  return out + "\n";
}

}  // namespace pathodino::report
