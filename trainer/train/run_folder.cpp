#include "trainer/train/run_folder.h"

#include <fstream>
#include <stdexcept>
#include <string>

#include "trainer/checkpoint/checkpoint_directory.h"
#include "trainer/system/durable_file.h"

namespace pathodino::train {
namespace {

// Keeps the log lines of the steps before `first_step` (a resumed run rewrites what follows).
void truncate_log(const std::filesystem::path& file, int64_t first_step) {
  std::ifstream in(file);
  std::string kept, line;
  while (std::getline(in, line)) {
    const auto at = line.find("\"step\":");
    if (at == std::string::npos) continue;
    if (std::stoll(line.substr(at + 7)) < first_step) kept += line + "\n";
  }
  in.close();
  system::write_file_durably(file, kept);
}

}  // namespace

RunPaths run_paths(const RunOptions& run, const checkpoint::CheckpointOptions& checkpoint) {
  const std::filesystem::path dir = std::filesystem::path(run.output_dir) / run.name;
  return {dir, checkpoint.directory.empty() ? dir / "checkpoints"
                                            : std::filesystem::path(checkpoint.directory)};
}

void prepare_run_dir(const RunPaths& paths, bool overwrite, std::optional<int64_t> resumed_step) {
  const std::filesystem::path& dir = paths.run_dir;
  if (resumed_step) {
    std::filesystem::create_directories(dir);
    if (std::filesystem::exists(dir / "metrics.jsonl"))
      truncate_log(dir / "metrics.jsonl", *resumed_step);
    return;
  }
  const bool has_checkpoints =
      !checkpoint::CheckpointDirectory(paths.checkpoints).complete_steps().empty();
  if (std::filesystem::exists(dir / "metrics.jsonl") || has_checkpoints) {
    if (!overwrite)
      throw std::runtime_error(
          (std::filesystem::exists(dir / "metrics.jsonl") ? dir : paths.checkpoints).string() +
          " already holds a run; pass --resume auto to continue it, "
          "--overwrite to replace it, or choose another run.name");
    std::filesystem::remove(dir / "metrics.jsonl");
    std::filesystem::remove_all(paths.checkpoints);
  }
  std::filesystem::create_directories(dir);
}

}  // namespace pathodino::train
