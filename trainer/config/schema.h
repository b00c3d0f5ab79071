// Schema: the typed description of every key of a YAML file — its dotted path, C++ field,
// documentation and allowed values. It reads a ConfigNode tree into a struct (collecting every
// problem: unknown keys with a suggestion, wrong types, out-of-range values, missing required
// keys) and writes the struct back as a tree. The experiment config's keys are declared in
// experiment_schema.cpp, a sweep file's in sweep_file.cpp.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trainer/config/field_codec.h"

namespace pathodino::config {

struct FieldSpec {
  std::string path;
  std::string doc;
  FieldKind kind = FieldKind::string;
  std::vector<std::string> choices;  // allowed values of a choice (or restricted string) field
  std::optional<double> min, max;    // numeric bounds; for lists, bounds of every element
  bool min_exclusive = false, max_exclusive = false;
  std::optional<std::size_t> length;  // exact list length
  bool required = false;

  // Chainable constraints, used where the keys are declared.
  FieldSpec& at_least(double v) { return min = v, min_exclusive = false, *this; }
  FieldSpec& above(double v) { return min = v, min_exclusive = true, *this; }
  FieldSpec& at_most(double v) { return max = v, max_exclusive = false, *this; }
  FieldSpec& below(double v) { return max = v, max_exclusive = true, *this; }
  FieldSpec& of_length(std::size_t n) { return length = n, *this; }
  FieldSpec& one_of(std::vector<std::string> values) { return choices = std::move(values), *this; }
  FieldSpec& is_required() { return required = true, *this; }

  // "a float > 0", "a list of 2 floats, each in [0, 1]", "one of: mlp, swiglu", ...
  std::string expected() const;
};

// The keys of a schema without the type they are read into: lookup, suggestions, and the walk
// over a tree that finds each declared key, reports unknown ones and checks required ones.
class SchemaKeys {
 public:
  const FieldSpec* find(std::string_view path) const;
  bool is_section(std::string_view path) const;
  // The key the user most likely meant, or empty.
  std::string suggest(std::string_view unknown_path) const;
  std::vector<const FieldSpec*> fields() const;

 protected:
  FieldSpec& declare(std::string path, std::string doc, FieldKind kind);
  // Calls read(index, node) for every declared key of `root`, in file order; appends unknown
  // keys, sections that are not maps and missing required keys to `issues`.
  void walk(const ConfigNode& root, ConfigIssues& issues,
            const std::function<void(std::size_t, const ConfigNode&)>& read) const;
  // A tree with every declared key set to value_of(index), in declaration order.
  ConfigNode assemble(const std::function<ConfigNode(std::size_t)>& value_of) const;

 private:
  void walk_map(const ConfigNode& map, const std::string& prefix, ConfigIssues& issues,
                const std::function<void(std::size_t, const ConfigNode&)>& read,
                std::vector<std::string>& seen) const;
  std::deque<FieldSpec> specs_;  // deque: FieldSpec references stay valid while declaring
};

// A schema of the struct `Root`: each key is bound to one of its fields.
template <class Root>
class Schema : public SchemaKeys {
 public:
  // Declares a key. `get` maps a Root to the field, e.g.
  //   [](ExperimentConfig& c) -> auto& { return c.optim.base_lr; }
  template <class Get>
  FieldSpec& field(std::string path, std::string doc, Get get);

  // Reads `root` over the defaults held by `into`; appends every problem to `issues`.
  void read(const ConfigNode& root, Root& into, ConfigIssues& issues) const {
    walk(root, issues,
         [&](std::size_t i, const ConfigNode& node) { read_[i](into, node, issues); });
  }
  // The whole struct as a tree, keys in declaration order.
  ConfigNode write(const Root& from) const {
    return assemble([&](std::size_t i) { return write_[i](from); });
  }

 private:
  std::vector<std::function<void(Root&, const ConfigNode&, ConfigIssues&)>> read_;
  std::vector<std::function<ConfigNode(const Root&)>> write_;
};

// The elements of a list field's node: a sequence, or the convenient spellings "0.5, 0.5, 0.5"
// and a single value; nullopt (with the problem in `issues`) when it is neither or of another
// length than the field's.
std::optional<std::vector<ConfigNode>> list_items(const FieldSpec& spec, const ConfigNode& node,
                                                  ConfigIssues& issues);

// Checks a value against the bounds and choices of `spec`; returns the problem or "".
std::string check_constraints(const FieldSpec& spec, double value);
std::string check_choices(const FieldSpec& spec, const std::string& value);

// ---- implementation of the template ----

// One element of a field: decoded, then checked against bounds or choices. `where` locates it in
// a list.
template <class Element>
std::optional<Element> read_field_element(const FieldSpec& spec, const ConfigNode& node,
                                          ConfigIssues& issues, const std::string& where) {
  std::string error;
  std::optional<Element> value = decode_scalar<Element>(node, error);
  if (!value) {
    issues.push_back(
        {spec.path, node.origin, "expected " + spec.expected() + where + ", " + error});
    return std::nullopt;
  }
  std::string problem;
  if constexpr (std::is_arithmetic_v<Element> && !std::is_same_v<Element, bool>)
    problem = check_constraints(spec, static_cast<double>(*value));
  if constexpr (std::is_same_v<Element, std::string>) problem = check_choices(spec, *value);
  if (!problem.empty()) {
    issues.push_back({spec.path, node.origin, problem + where});
    return std::nullopt;
  }
  return value;
}

template <class Root>
template <class Get>
FieldSpec& Schema<Root>::field(std::string path, std::string doc, Get get) {
  using T = std::remove_cvref_t<std::invoke_result_t<Get, Root&>>;
  using Traits = FieldTraits<T>;
  using Element = typename Traits::Element;
  FieldSpec& declared = declare(std::move(path), std::move(doc), Traits::kind);
  if constexpr (std::is_enum_v<Element>)
    for (const auto& entry : EnumNames<Element>::values) declared.choices.emplace_back(entry.name);
  const FieldSpec* spec = &declared;

  read_.push_back([get, spec](Root& into, const ConfigNode& node, ConfigIssues& issues) {
    if constexpr (std::is_same_v<T, ConfigNode>) {
      get(into) = node;  // a free-form tree: its owner checks it
    } else if constexpr (Traits::is_list) {
      const std::optional<std::vector<ConfigNode>> items = list_items(*spec, node, issues);
      if (!items) return;
      std::vector<Element> values;
      bool ok = true;
      for (std::size_t i = 0; i < items->size(); ++i) {
        auto value = read_field_element<Element>(*spec, (*items)[i], issues,
                                                 " (element " + std::to_string(i) + ")");
        if (value) values.push_back(*value);
        ok = ok && value.has_value();
      }
      if (ok) get(into) = std::move(values);
    } else {
      if (auto value = read_field_element<Element>(*spec, node, issues, "")) get(into) = *value;
    }
  });

  write_.push_back([get](const Root& from) {
    const T& value = get(const_cast<Root&>(from));
    if constexpr (std::is_same_v<T, ConfigNode>) {
      return value;
    } else if constexpr (Traits::is_list) {
      ConfigNode node;
      node.kind = ConfigNode::Kind::sequence;
      node.origin = {"default", 0};
      for (const auto& element : value) node.items.push_back(encode_scalar(element));
      return node;
    } else {
      return encode_scalar(value);
    }
  });
  return declared;
}

}  // namespace pathodino::config
