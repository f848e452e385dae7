#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/yaml_tree.hpp"
#include "model/duration.hpp"

namespace pw::config::detail {

/// Edit distance between two strings, compared case-insensitively.
std::size_t EditDistance(std::string_view a, std::string_view b);

/// The closest candidate within a small edit distance, or empty.
std::string_view Closest(std::string_view word, const std::vector<std::string_view>& candidates);

/// Collects located errors and warnings while walking one file's YAML tree, with typed
/// getters that report wrong types and bounds in one consistent wording.
///
/// Thread safety: not thread-safe (one per file being validated).
class Checker {
  public:
    explicit Checker(std::string file) : file_(std::move(file)) {}

    const std::string& file() const { return file_; }
    std::vector<ConfigError>& errors() { return errors_; }
    std::vector<ConfigError>& warnings() { return warnings_; }

    void Error(const YamlNode& at, std::string message);
    void ErrorAt(const YamlNode& at, std::string path, std::string message);
    void Warn(const YamlNode& at, std::string message);

    /// True for a map; reports anything else (`expected <what>, got ...`) except Invalid nodes.
    bool IsMap(const YamlNode& node, std::string_view what = "a map");
    /// Reports keys of `map` not in KnownKeys().at(level), with a did-you-mean.
    void CheckKeys(const YamlNode& map, const std::string& level);
    /// The value under `key`, reporting `required key is missing` (at the map) when absent.
    const YamlNode* Required(const YamlNode& map, std::string_view key,
                             std::string_view message = "required key is missing");

    std::optional<std::string> String(const YamlNode* node);
    std::optional<std::int64_t> Int(const YamlNode* node, std::int64_t min, std::int64_t max);
    /// A plain decimal number (`25`, `0.5`; no sign or exponent) within [min, max].
    std::optional<double> Number(const YamlNode* node, double min, double max);
    std::optional<bool> Bool(const YamlNode* node);
    /// A duration within [min, max]; `min_note` is appended to the `must be >=` message.
    std::optional<model::Seconds> Duration(const YamlNode* node, model::Seconds min,
                                           model::Seconds max, std::string_view min_note = "");
    std::optional<std::string> Enum(const YamlNode* node,
                                    const std::vector<std::string_view>& values);

    static std::string Describe(const YamlNode& node);

  private:
    std::string file_;
    std::vector<ConfigError> errors_;
    std::vector<ConfigError> warnings_;
};

}  // namespace pw::config::detail
