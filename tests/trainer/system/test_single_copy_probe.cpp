// The single-copy probe says no, with the reason, where the kernel refuses process_vm_readv (as
// Docker's default seccomp profile does). Where it says yes, the MPI tests run with single copy on
// (cmake/Testing.cmake), so a wrong yes fails them.
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

#include "trainer/system/single_copy_probe.h"

namespace {

// Makes process_vm_readv fail with EPERM in this process and its children; everything else runs.
bool forbid_process_vm_readv() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

TEST(SingleCopyProbe, SaysNoWithTheReasonWhereTheSyscallIsForbidden) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (!forbid_process_vm_readv()) _exit(3);
    const std::string problem = pathodino::system::cross_memory_attach_problem();
    _exit(problem == "process_vm_readv: Operation not permitted" ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 3) GTEST_SKIP() << "this kernel does not allow seccomp filters";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the probe did not report the refused process_vm_readv";
}

}  // namespace
