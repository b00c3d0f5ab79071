// Threads that work for training in the background (the async checkpoint save and its
// communicator's thread) should never take a core from the training thread the moment they are
// woken. Under Linux's default policy a freshly woken thread preempts the thread that woke it;
// measured, that put 2–5 ms into a checkpoint poll at a step boundary (benchmarks/RESULTS.md,
// "Checkpoint write throughput on a fair disk, background threads that do not preempt").
// SCHED_BATCH keeps the thread's fair share of CPU but gives up wake-up preemption: it
// runs when a core frees up or at the next scheduler tick.
#pragma once

namespace pathodino::system {

// Applies to the calling thread. Best effort: false (and nothing changed) where not supported.
bool run_calling_thread_in_background();

}  // namespace pathodino::system
