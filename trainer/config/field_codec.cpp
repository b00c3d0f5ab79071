#include "trainer/config/field_codec.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace pathodino::config {

std::optional<int64_t> parse_integer(const std::string& text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

std::optional<double> parse_real(const std::string& text) {
  double value = 0;
  const char* begin = text.data() + (text.starts_with('+') ? 1 : 0);
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<bool> parse_boolean(const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "no" || lower == "off") return false;
  return std::nullopt;
}

std::string format_real(double value) {
  char buffer[64];
  auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string text(buffer, ptr);
  // Keep it visibly a float, also to YAML 1.1 readers (PyYAML), which need a '.' in the mantissa:
  // "1" → "1.0", "1e-06" → "1.0e-06".
  const auto exponent = text.find('e');
  const auto mantissa_end = exponent == std::string::npos ? text.size() : exponent;
  if (text.find('.') == std::string::npos && text.find('n') == std::string::npos)
    text.insert(mantissa_end, ".0");
  return text;
}

ConfigNode scalar_node(std::string text, bool quote) {
  ConfigNode node;
  node.kind = ConfigNode::Kind::scalar;
  node.scalar = std::move(text);
  node.quoted = quote;
  node.origin = {"default", 0};
  return node;
}

}  // namespace pathodino::config
