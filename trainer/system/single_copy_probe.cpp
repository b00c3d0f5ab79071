#include "trainer/system/single_copy_probe.h"

#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

namespace pathodino::system {

namespace {

// The probe's child: reads the parent's buffer once `ready` says it is filled; exits 0 when it
// read the parent's bytes, errno (< 100) when the read failed, 100+ otherwise. Only
// async-signal-safe calls: it runs between fork and _exit.
[[noreturn]] void read_parent(int ready, const std::vector<uint8_t>& buffer) {
  char go = 0;
  if (read(ready, &go, 1) != 1) _exit(100);
  uint8_t copy[1 << 16];
  iovec local{copy, sizeof(copy)};
  iovec remote{const_cast<uint8_t*>(buffer.data()), buffer.size()};
  const ssize_t got = process_vm_readv(getppid(), &local, 1, &remote, 1, 0);
  if (got != static_cast<ssize_t>(sizeof(copy))) _exit(got < 0 && errno < 100 ? errno : 101);
  for (size_t i = 0; i < sizeof(copy); ++i)
    if (copy[i] != static_cast<uint8_t>(i * 7 + 1)) _exit(102);  // read its own copy, not ours
  _exit(0);
}

std::string verdict(bool sent, int status) {
  if (!sent) return "cannot signal the probe's child";
  if (!WIFEXITED(status)) return "the probe's child died";
  const int code = WEXITSTATUS(status);
  if (code == 0) return {};
  if (code < 100) return std::string("process_vm_readv: ") + std::strerror(code);
  return code == 102 ? "process_vm_readv returned other bytes" : "the probe's child failed";
}

}  // namespace

std::string cross_memory_attach_problem() {
  // Ranks are siblings, not parent and child, so Yama's "descendants only" rule would stop them:
  // Open MPI lifts it with PR_SET_PTRACER_ANY, and so does the probe. The child reads the
  // parent (not the other way round) so that the descendant exception cannot make it pass.
#ifdef PR_SET_PTRACER
  (void)prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
#endif
  std::vector<uint8_t> buffer(1 << 16, 0);
  int ready[2];
  if (pipe(ready) != 0) return std::string("pipe: ") + std::strerror(errno);
  const pid_t child = fork();
  if (child < 0) {
    close(ready[0]);
    close(ready[1]);
    return std::string("fork: ") + std::strerror(errno);
  }
  if (child == 0) {
    close(ready[1]);
    read_parent(ready[0], buffer);
  }
  close(ready[0]);
  for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<uint8_t>(i * 7 + 1);
  const char go = 1;
  const bool sent = write(ready[1], &go, 1) == 1;
  close(ready[1]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return verdict(sent, status);
}

}  // namespace pathodino::system
