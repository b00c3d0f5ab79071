// MetricRegistry: the numbers one rank exposes to Prometheus, rendered in the text exposition
// format (version 0.0.4). Families are declared once with their type and help; every sample
// carries the registry's constant labels (rank, run) and at most one label of its own (say
// term="dino"): low cardinality by construction, never a slide path. The trainer updates it at
// step boundaries; the metrics server renders a snapshot per scrape under the same mutex, so a
// scrape never sees half a step. Names follow Prometheus practice: `pathodino_` prefix, base
// units in the name (`_seconds`, `_bytes`), counters ending in `_total`.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace pathodino::metrics {

enum class MetricType { gauge, counter };

class MetricRegistry {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;
  explicit MetricRegistry(Labels constant_labels);

  // Throws std::invalid_argument for a name Prometheus refuses, a counter without `_total`, or a
  // family declared twice.
  void declare(const std::string& name, MetricType type, const std::string& help);
  // A gauge's value (label: one optional (key, value) of the sample's own).
  void set(const std::string& name, double value, const Labels& label = {});
  // A counter's increase (delta ≥ 0).
  void add(const std::string& name, double delta, const Labels& label = {});

  std::string render() const;

 private:
  struct Family {
    MetricType type;
    std::string help;
    std::map<std::string, double> samples;  // by rendered label set
  };
  Family& family(const std::string& name, MetricType expected);
  std::string label_text(const Labels& label) const;

  std::string constant_;  // rendered constant labels, e.g. rank="0",run="x"
  std::map<std::string, Family> families_;
  mutable std::mutex mutex_;
};

// A label value or help text escaped as the exposition format requires.
std::string escape_label_value(const std::string& value);

}  // namespace pathodino::metrics
