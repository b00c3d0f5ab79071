// Seconds elapsed on the steady clock: every duration that pathodino logs or reports is read this
// way, so a wall-clock change never shows up as a negative or huge time.
#pragma once

#include <chrono>

namespace pathodino::system {

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace pathodino::system
