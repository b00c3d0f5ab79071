#include "trainer/report/run_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "trainer/audit/audit_trail.h"
#include "trainer/checkpoint/checkpoint_manifest.h"
#include "trainer/checkpoint/checkpoint_reader.h"
#include "trainer/config/resolve.h"
#include "trainer/report/model_card.h"
#include "trainer/report/run_plots.h"
#include "trainer/system/durable_file.h"
#include "trainer/system/sha256.h"

namespace pathodino::report {
namespace {

namespace fs = std::filesystem;

// The latest checkpoint's world size, step and images drawn; nullopt without a readable one.
std::optional<LatestCheckpoint> latest_checkpoint(const ExperimentConfig& config,
                                                  const fs::path& run) {
  const fs::path root = config.checkpoint.directory.empty() ? run / "checkpoints"
                                                            : fs::path(config.checkpoint.directory);
  try {
    const checkpoint::Manifest m =
        checkpoint::read_manifest(checkpoint::resolve_checkpoint_path(root));
    return LatestCheckpoint{m.world_size, m.step, m.sampler.position};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

nlohmann::json backbone_json(const BackboneEvaluation& b) {
  nlohmann::json j{{"backbone", b.backbone},
                   {"knn_top1", b.knn.top1},
                   {"knn_balanced", b.knn.scores.overall.balanced}};
  for (const eval::GroupAccuracy& g : b.knn.scores.groups)
    j["groups"][g.group] = {{"count", g.count}, {"top1", g.top1}, {"balanced", g.balanced}};
  if (!b.knn.scores.groups.empty()) j["group_column"] = b.knn.scores.column;
  if (b.robustness) {
    j["robustness_index"] = b.robustness->neighbours.robustness_index();
    j["site_balanced"] = b.robustness->site_balanced;
    j["site_top1"] = b.robustness->site_top1;
  }
  return j;
}

nlohmann::json report_json(const CardInputs& in, const std::vector<PlotFile>& plots) {
  nlohmann::json j{{"run", in.run_name}, {"steps", in.log->last_step + 1}};
  for (const PlotFile& p : plots) j["plots"].push_back(p.file);
  for (const char* key : {"loss", "dino_loss", "ibot_loss", "koleo_loss", "teacher_entropy",
                          "knn_top1", "knn_balanced", "knn_robustness_index"})
    if (const auto v = in.log->last(key)) j["last_logged"][key] = *v;
  if (!in.evaluation) {
    j["evaluation"] = {{"skipped", in.not_evaluated}};
    return j;
  }
  const ReportEvaluation& e = *in.evaluation;
  nlohmann::json random{{"best_seed", e.best_random}, {"best", backbone_json(e.best())}};
  for (const BackboneEvaluation& r : e.random) random["seeds"].push_back(backbone_json(r));
  if (const auto ri = e.random_robustness_index()) random["robustness_index_mean"] = *ri;
  if (const auto site = e.random_site_balanced()) random["site_balanced_mean"] = *site;
  j["evaluation"] = {{"labelled_set", e.labelled_set},
                     {"teacher", backbone_json(e.teacher)},
                     {"random", random},
                     {"seconds", e.seconds}};
  return j;
}

std::string markdown(const CardInputs& in, const std::vector<PlotFile>& plots,
                     const fs::path& run) {
  std::string md = fmt::format(
      "# Run report: {}\n\nWritten by pathodino {} from `{}`: its config.yaml, metrics.jsonl ({} "
      "records, last step {}), the latest checkpoint's manifest and teacher_backbone.safetensors; "
      "the numbers are also in report.json.\n\n## Training\n\n",
      in.run_name, PATHODINO_VERSION, run.string(), in.log->records, in.log->last_step);
  for (const PlotFile& p : plots) md += fmt::format("![{0}]({1})\n\n*{0}.*\n\n", p.caption, p.file);
  if (plots.empty()) md += "The run logged no curves.\n\n";
  return md + "## Model card\n\n" + data_section(in) + recipe_section(in) + compute_section(in) +
         evaluation_section(in) + limits_section(in);
}

}  // namespace

ReportFiles write_run_report(const ReportRequest& request, std::ostream& progress) {
  const fs::path run = request.run_dir;
  const fs::path config_file = run / "config.yaml";
  if (!fs::is_regular_file(config_file))
    throw std::runtime_error(config_file.string() +
                             ": not found; a run report needs a run folder (run.output_dir/name)");
  const ExperimentConfig config = config::resolve_config(config_file, {});
  const metrics::RunLog log = metrics::read_run_log(run / "metrics.jsonl");
  if (log.unreadable > 0)
    progress << "warning: " << log.unreadable << " unreadable line(s) of the metrics log skipped, "
             << "the first at " << log.first_unreadable << "\n";
  const fs::path out = request.out_dir.empty() ? run / "report" : request.out_dir;
  fs::create_directories(out);

  const int64_t seeds = request.seeds.value_or(config.eval.report_seeds);
  const fs::path teacher = run / "teacher_backbone.safetensors";
  std::optional<ReportEvaluation> evaluation;
  CardInputs in{config.run.name.empty() ? run.filename().string() : config.run.name,
                config::to_yaml(config, false),
                &log,
                nullptr,
                "",
                latest_checkpoint(config, run),
                config.ssl.dino.head.n_prototypes};
  if (seeds == 0) {
    in.not_evaluated = "no random-feature seeds were asked for (eval.report_seeds = 0)";
  } else if (!fs::is_regular_file(teacher)) {
    in.not_evaluated = teacher.string() + " is missing (the run has not finished)";
  } else {
    progress << fmt::format(
                    "report: scoring the teacher and random features (seeds 0..{}) on "
                    "the labelled set\n",
                    seeds - 1)
             << std::flush;
    evaluation = evaluate_for_report(config, teacher, seeds);
    in.evaluation = &*evaluation;
  }
  RandomLevels levels;
  if (evaluation) {
    levels.knn_top1 = evaluation->best().knn.top1;
    levels.knn_balanced = evaluation->best().knn.scores.overall.balanced;
    levels.robustness_index = evaluation->random_robustness_index();
  }
  const std::vector<PlotFile> plots = write_run_plots(log, levels, in.prototypes, out);
  ReportFiles files{out / "report.md", out / "report.json", {}};
  for (const PlotFile& p : plots) files.plots.push_back(out / p.file);
  system::write_file_durably(files.markdown, markdown(in, plots, run));
  system::write_file_durably(files.json, report_json(in, plots).dump(1) + "\n");
  audit::AuditTrail(run / audit::kRunAuditLog, config.audit)
      .record("report", {{{"report", files.markdown.string()},
                          {"report_sha256", system::file_sha256(files.markdown)},
                          {"evaluated", in.evaluation ? "yes" : in.not_evaluated}},
                         {{"random_seeds", in.evaluation ? seeds : 0}}});
  return files;
}

}  // namespace pathodino::report
