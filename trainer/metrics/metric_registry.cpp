#include "trainer/metrics/metric_registry.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace pathodino::metrics {
namespace {

bool valid_name(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == ':'))
      return false;
  return true;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

// Backslash and newline are escaped in HELP text and label values; double quotes in labels only.
std::string escape(const std::string& text, bool quotes) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quotes)
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string escape_label_value(const std::string& value) { return escape(value, true); }

MetricRegistry::MetricRegistry(Labels constant_labels) {
  for (const auto& [key, value] : constant_labels) {
    if (!valid_name(key) || key.find(':') != std::string::npos)
      throw std::invalid_argument("metrics: invalid label name '" + key + "'");
    constant_ += (constant_.empty() ? "" : ",") + key + "=\"" + escape_label_value(value) + "\"";
  }
}

void MetricRegistry::declare(const std::string& name, MetricType type, const std::string& help) {
  if (!valid_name(name)) throw std::invalid_argument("metrics: invalid metric name '" + name + "'");
  if (type == MetricType::counter && !name.ends_with("_total"))
    throw std::invalid_argument("metrics: counter '" + name + "' must end in _total");
  std::lock_guard lock(mutex_);
  if (!families_.emplace(name, Family{type, help, {}}).second)
    throw std::invalid_argument("metrics: '" + name + "' declared twice");
}

MetricRegistry::Family& MetricRegistry::family(const std::string& name, MetricType expected) {
  const auto it = families_.find(name);
  if (it == families_.end()) throw std::logic_error("metrics: '" + name + "' was never declared");
  if (it->second.type != expected)
    throw std::logic_error("metrics: '" + name + "' is a " +
                           (it->second.type == MetricType::gauge ? "gauge" : "counter"));
  return it->second;
}

std::string MetricRegistry::label_text(const Labels& label) const {
  std::string text = constant_;
  for (const auto& [key, value] : label) {
    if (!valid_name(key)) throw std::invalid_argument("metrics: invalid label name '" + key + "'");
    text += (text.empty() ? "" : ",") + key + "=\"" + escape_label_value(value) + "\"";
  }
  return text;
}

void MetricRegistry::set(const std::string& name, double value, const Labels& label) {
  const std::string labels = label_text(label);
  std::lock_guard lock(mutex_);
  family(name, MetricType::gauge).samples[labels] = value;
}

void MetricRegistry::add(const std::string& name, double delta, const Labels& label) {
  if (!(delta >= 0)) throw std::invalid_argument("metrics: counter '" + name + "' cannot decrease");
  const std::string labels = label_text(label);
  std::lock_guard lock(mutex_);
  family(name, MetricType::counter).samples[labels] += delta;
}

std::string MetricRegistry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (f.samples.empty()) continue;
    out += "# HELP " + name + " " + escape(f.help, false) + "\n";
    out += "# TYPE " + name + (f.type == MetricType::gauge ? " gauge\n" : " counter\n");
    for (const auto& [labels, value] : f.samples)
      out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + format_value(value) + "\n";
  }
  return out;
}

}  // namespace pathodino::metrics
