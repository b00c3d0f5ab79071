#include "trainer/metrics/progress_line.h"

#include <fmt/format.h>

#include <cmath>

namespace pathodino::metrics {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string progress_line(const Progress& p) {
  const double percent =
      p.total_steps > 0 ? 100.0 * static_cast<double>(p.step) / static_cast<double>(p.total_steps)
                        : 0.0;
  std::string line = fmt::format(
      "step {}/{} ({:.0f}%) | {:.1f} img/s | ETA {}", p.step, p.total_steps, percent,
      p.images_per_second,
      format_duration(p.seconds_per_step * static_cast<double>(p.total_steps - p.step)));
  for (size_t i = 0; i < p.terms.size(); ++i)
    line += fmt::format("{}{} {:.4g}", i == 0 ? " | " : " ", p.terms[i].first, p.terms[i].second);
  return line;
}

}  // namespace pathodino::metrics
