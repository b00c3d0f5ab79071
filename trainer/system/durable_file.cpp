#include "trainer/system/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace pathodino::system {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw DurableWriteError(path.string() + ": " + what + ": " + std::strerror(errno));
}

// Closes the descriptor on every path out.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

void sync_directory(const std::filesystem::path& directory) {
  const std::filesystem::path dir = directory.empty() ? "." : directory;
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) fail(dir, "cannot open the directory to sync it");
  if (::fsync(fd.get()) != 0) fail(dir, "fsync of the directory failed");
}

void sync_file(const std::filesystem::path& file) {
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail(file, "cannot open the file to sync it");
  if (::fsync(fd.get()) != 0) fail(file, "fsync failed");
}

void write_file_durably(const std::filesystem::path& path, std::string_view bytes,
                        bool sync_parent) {
  const std::filesystem::path temp = path.string() + ".tmp." + std::to_string(::getpid());
  {
    FileDescriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) fail(temp, "cannot create");
    size_t written = 0;
    while (written < bytes.size()) {
      const ssize_t n = ::write(fd.get(), bytes.data() + written, bytes.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int saved = errno;
        ::unlink(temp.c_str());
        errno = saved;
        fail(temp, "write failed");
      }
      written += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
      const int saved = errno;
      ::unlink(temp.c_str());
      errno = saved;
      fail(temp, "fsync failed");
    }
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    errno = saved;
    fail(path, "rename failed");
  }
  if (sync_parent) sync_directory(path.parent_path());
}

void rename_durably(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) fail(to, "rename from " + from.string() + " failed");
  sync_directory(to.parent_path());
  if (from.parent_path() != to.parent_path()) sync_directory(from.parent_path());
}

}  // namespace pathodino::system
