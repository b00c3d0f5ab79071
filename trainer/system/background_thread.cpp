#include "trainer/system/background_thread.h"

#include <pthread.h>
#include <sched.h>

namespace pathodino::system {

bool run_calling_thread_in_background() {
#ifdef SCHED_BATCH
  sched_param param{};
  param.sched_priority = 0;  // the only priority SCHED_BATCH takes
  return pthread_setschedparam(pthread_self(), SCHED_BATCH, &param) == 0;
#else
  return false;
#endif
}

}  // namespace pathodino::system
