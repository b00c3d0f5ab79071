#include "trainer/checkpoint/checkpoint_directory.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>

#include "trainer/checkpoint/checkpoint_manifest.h"
#include "trainer/system/durable_file.h"

namespace pathodino::checkpoint {
namespace {

constexpr const char* kLatest = "latest";
constexpr const char* kPartialSuffix = ".partial";
constexpr const char* kReplacedSuffix = ".replaced";

// "step-00001250" → 1250; nullopt for anything else.
std::optional<int64_t> parse_step_name(const std::string& name) {
  if (name.size() < 6 || name.compare(0, 5, "step-") != 0) return std::nullopt;
  const std::string digits = name.substr(5);
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 18)
    return std::nullopt;
  return std::stoll(digits);
}

}  // namespace

std::string step_directory_name(int64_t step) {
  char name[32];
  std::snprintf(name, sizeof name, "step-%08lld", static_cast<long long>(step));
  return name;
}

std::string shard_authenticated_data(int64_t step, const std::string& shard_file) {
  return "pathodino checkpoint step " + std::to_string(step) + " shard " + shard_file;
}

std::string shard_file_name(int rank, int world_size) {
  char name[64];
  std::snprintf(name, sizeof name, "shard-%05d-of-%05d.safetensors", rank, world_size);
  return name;
}

std::vector<int64_t> steps_to_delete(std::vector<int64_t> steps, std::optional<int64_t> latest,
                                     const CheckpointOptions& options) {
  std::sort(steps.begin(), steps.end());
  std::set<int64_t> keep;
  const auto keep_last = static_cast<size_t>(std::max<int64_t>(1, options.keep_last));
  for (size_t i = steps.size() > keep_last ? steps.size() - keep_last : 0; i < steps.size(); ++i)
    keep.insert(steps[i]);
  if (options.keep_every_steps > 0)
    for (int64_t step : steps)
      if (step % options.keep_every_steps == 0) keep.insert(step);
  if (latest) keep.insert(*latest);
  std::vector<int64_t> doomed;
  for (int64_t step : steps)
    if (!keep.count(step)) doomed.push_back(step);
  return doomed;
}

std::filesystem::path CheckpointDirectory::step_path(int64_t step) const {
  return root_ / step_directory_name(step);
}

std::filesystem::path CheckpointDirectory::partial_path(int64_t step) const {
  return root_ / (step_directory_name(step) + kPartialSuffix);
}

std::vector<int64_t> CheckpointDirectory::complete_steps() const {
  std::vector<int64_t> steps;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(root_, error)) {
    const auto step = parse_step_name(entry.path().filename().string());
    if (step && std::filesystem::exists(entry.path() / kManifestFile)) steps.push_back(*step);
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

std::optional<int64_t> CheckpointDirectory::latest() const {
  const std::filesystem::path pointer = root_ / kLatest;
  if (!std::filesystem::exists(pointer)) return std::nullopt;
  std::ifstream in(pointer);
  std::string name;
  std::getline(in, name);
  const auto step = parse_step_name(name);
  if (!in || !step)
    throw CheckpointError(pointer.string() + ": does not name a step directory (read '" + name +
                          "')");
  return step;
}

std::filesystem::path CheckpointDirectory::begin(int64_t step) const {
  std::filesystem::create_directories(root_);
  for (const auto& entry : std::filesystem::directory_iterator(root_)) {
    const std::string name = entry.path().filename().string();
    const bool leftover = name.ends_with(kPartialSuffix) || name.ends_with(kReplacedSuffix) ||
                          name.find(".tmp.") != std::string::npos;
    if (leftover) std::filesystem::remove_all(entry.path());
  }
  // No fsync of the root here: a step-N.partial/ lost in a crash is a leftover anyway, and the
  // commit's rename fsyncs the root after the directory's own entries are durable (1–4 ms of the
  // step boundary saved per async save).
  const std::filesystem::path partial = partial_path(step);
  std::filesystem::create_directories(partial);
  return partial;
}

void CheckpointDirectory::commit(int64_t step) const {
  const std::filesystem::path final_path = step_path(step);
  const std::filesystem::path replaced = final_path.string() + kReplacedSuffix;
  if (std::filesystem::exists(final_path)) {
    // Only when re-saving a step (after resuming from an older checkpoint); `latest` never names
    // it at this point, so moving it aside first loses nothing that resume would read.
    std::filesystem::remove_all(replaced);
    system::rename_durably(final_path, replaced);
  }
  system::rename_durably(partial_path(step), final_path);
  system::write_file_durably(root_ / kLatest, step_directory_name(step) + "\n");
  std::filesystem::remove_all(replaced);
}

std::vector<int64_t> CheckpointDirectory::apply_retention(const CheckpointOptions& options) const {
  const std::vector<int64_t> doomed = steps_to_delete(complete_steps(), latest(), options);
  for (int64_t step : doomed) std::filesystem::remove_all(step_path(step));
  if (!doomed.empty()) system::sync_directory(root_);
  return doomed;
}

}  // namespace pathodino::checkpoint
