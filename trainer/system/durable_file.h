// Writes that survive a crash or power loss at any instant: the data goes to a temporary file in
// the same directory, is fsynced, renamed over the target, and the directory is fsynced, so the
// target is either the old content or the complete new one. Checkpoints, step timelines and sweep
// plans are written this way.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace pathodino::system {

// Every failed write, fsync or rename; the message names the path and the system error.
class DurableWriteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `sync_parent` false: the caller syncs the directory once after several files.
void write_file_durably(const std::filesystem::path& path, std::string_view bytes,
                        bool sync_parent = true);

// fsync of a file another library wrote and closed (before renaming it into place).
void sync_file(const std::filesystem::path& file);

// fsync of a directory, so that entries created, renamed or removed in it are durable.
void sync_directory(const std::filesystem::path& directory);

// rename(2) of `from` to `to` (files or directories, same filesystem), then both parents synced.
void rename_durably(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace pathodino::system
