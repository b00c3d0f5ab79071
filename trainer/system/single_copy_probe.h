// Can two ranks of this machine copy straight from each other's memory (cross-memory attach,
// process_vm_readv)? Open MPI's shared-memory transport uses it for large messages: one copy
// instead of copy-in/copy-out through shared buffers, and no fragment-by-fragment ping-pong
// between the two ranks. Containers often forbid it (seccomp, Yama ptrace rules); Open MPI then
// aborts at the first large message ("Read -1, expected …"). The launchers therefore turn single
// copy off only where this probe says it cannot work.
#pragma once

#include <string>

namespace pathodino::system {

// Empty when a child process can read its parent's memory the way one Open MPI rank reads
// another's (the parent allows any tracer, as Open MPI's vader does); otherwise why not.
std::string cross_memory_attach_problem();

}  // namespace pathodino::system
