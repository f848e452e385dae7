#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace pw::config::detail {

/// A YAML node with its position and field path, built from yaml-cpp's event parser so that
/// every node keeps its mark and duplicate keys, aliases and merge keys can be reported.
///
/// Thread safety: a value type.
struct YamlEntry;

struct YamlNode {
    enum class Kind { Null, Scalar, Sequence, Map, Invalid };  ///< Invalid: already reported.
    Kind kind = Kind::Null;
    int line = 0;      ///< 1-based.
    int column = 0;    ///< 1-based.
    std::string path;  ///< Field path, e.g. `pools[0].scale`; empty for the root.
    std::string tag;   ///< `?` for plain scalars, `!` for quoted ones, else the explicit tag.
    std::string value;
    bool duplicate = false;  ///< A map key that repeats an earlier key (already reported).
    std::vector<YamlNode> items;
    std::vector<YamlEntry> entries;  ///< Map entries in document order.

    bool plain() const { return tag == "?"; }
    /// The value of `key` in a map (first occurrence), or nullptr.
    const YamlNode* find(std::string_view key) const;
};

/// A map entry (a struct rather than std::pair so that it can be declared before YamlNode is
/// complete, which libc++-style checks in clang require).
struct YamlEntry {
    YamlNode first;   ///< The key.
    YamlNode second;  ///< The value.
};

/// Joins a field path and a map key: `a.b`, or `a["x/y"]` for keys that are not identifiers.
std::string JoinPath(const std::string& parent, const std::string& key);

/// Result of parsing one file: the root (Null for an empty file) and the errors found while
/// parsing (syntax, tabs, duplicate keys, aliases, merge keys, several documents).
struct ParsedYaml {
    YamlNode root;
    bool empty = true;
    std::vector<ConfigError> errors;
};

/// Parses YAML text; errors carry `file` as given.
ParsedYaml ParseYaml(const std::string& text, const std::string& file);

}  // namespace pw::config::detail
