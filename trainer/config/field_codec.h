// How each C++ field type is read from and written to a ConfigNode: strict scalar parsing
// (an integer field refuses "1.5", a float field refuses "fast" and non-finite values, quoted
// text is always a string), lists, and enumerations by their names in enum_names.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "trainer/config/config_node.h"
#include "trainer/config/enum_names.h"

namespace pathodino::config {

enum class FieldKind {
  integer,
  real,
  boolean,
  string,
  choice,
  integer_list,
  real_list,
  string_list,
  tree  // a free-form subtree that the schema's owner checks itself
};

// Scalar conversions; nullopt when `text` is not exactly one value of the type.
std::optional<int64_t> parse_integer(const std::string& text);
std::optional<double> parse_real(const std::string& text);  // finite values only
std::optional<bool> parse_boolean(const std::string& text);
std::string format_real(double value);  // shortest text that reads back to the same double

// A scalar node; `quote` when the text must stay a string for a YAML reader.
ConfigNode scalar_node(std::string text, bool quote = false);

// Decodes one scalar into T (int64_t, double, bool, std::string or a config enum). On failure
// returns nullopt and sets `error` to what was found.
template <class T>
std::optional<T> decode_scalar(const ConfigNode& node, std::string& error);

template <class T>
ConfigNode encode_scalar(const T& value);

template <class T>
struct FieldTraits {
  static constexpr FieldKind kind = std::is_enum_v<T>            ? FieldKind::choice
                                    : std::is_same_v<T, bool>    ? FieldKind::boolean
                                    : std::is_same_v<T, int64_t> ? FieldKind::integer
                                    : std::is_same_v<T, double>  ? FieldKind::real
                                                                 : FieldKind::string;
  using Element = T;
  static constexpr bool is_list = false;
};

template <>
struct FieldTraits<ConfigNode> {
  static constexpr FieldKind kind = FieldKind::tree;
  using Element = ConfigNode;
  static constexpr bool is_list = false;
};

template <class T>
struct FieldTraits<std::vector<T>> {
  static constexpr FieldKind kind = std::is_same_v<T, int64_t>  ? FieldKind::integer_list
                                    : std::is_same_v<T, double> ? FieldKind::real_list
                                                                : FieldKind::string_list;
  using Element = T;
  static constexpr bool is_list = true;
};

// ---- implementation of the templates ----

template <class T>
std::optional<T> decode_scalar(const ConfigNode& node, std::string& error) {
  if (node.kind != ConfigNode::Kind::scalar) {
    error = "found " + std::string(node.kind_name());
    return std::nullopt;
  }
  const std::string& text = node.scalar;
  if constexpr (std::is_same_v<T, std::string>) {
    return text;
  } else {
    if (node.quoted) {
      error = "found the quoted string \"" + text + "\"";
      return std::nullopt;
    }
    std::optional<T> value;
    if constexpr (std::is_enum_v<T>) {
      for (const auto& entry : EnumNames<T>::values)
        if (entry.name == text) value = entry.value;
    } else if constexpr (std::is_same_v<T, bool>) {
      value = parse_boolean(text);
    } else if constexpr (std::is_same_v<T, int64_t>) {
      value = parse_integer(text);
    } else {
      value = parse_real(text);
    }
    if (!value) error = "found '" + text + "'";
    return value;
  }
}

template <class T>
ConfigNode encode_scalar(const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    const bool ambiguous = value.empty() || parse_real(value) || parse_boolean(value) ||
                           value == "null" || value == "~";
    return scalar_node(value, ambiguous);
  } else if constexpr (std::is_enum_v<T>) {
    return scalar_node(std::string(enum_name(value)));
  } else if constexpr (std::is_same_v<T, bool>) {
    return scalar_node(value ? "true" : "false");
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return scalar_node(std::to_string(value));
  } else {
    return scalar_node(format_real(value));
  }
}

}  // namespace pathodino::config
