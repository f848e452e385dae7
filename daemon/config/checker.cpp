#include "config/checker.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <regex>
#include <sstream>

#include "config/known_keys.hpp"

namespace pw::config::detail {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string JoinList(const std::vector<std::string_view>& values) {
    std::string out;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out += ", ";
        out += values[i];
    }
    return out;
}

}  // namespace

std::size_t EditDistance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t subst = prev[j - 1] + (Lower(a[i - 1]) == Lower(b[j - 1]) ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string_view Closest(std::string_view word, const std::vector<std::string_view>& candidates) {
    std::string_view best;
    std::size_t best_distance = std::numeric_limits<std::size_t>::max();
    for (auto candidate : candidates) {
        std::size_t d = EditDistance(word, candidate);
        std::size_t limit = std::max<std::size_t>(2, candidate.size() / 3);
        if (d <= limit && d < best_distance) {
            best = candidate;
            best_distance = d;
        }
    }
    return best;
}

void Checker::Error(const YamlNode& at, std::string message) {
    errors_.push_back({file_, at.line, at.column, at.path, std::move(message)});
}

void Checker::ErrorAt(const YamlNode& at, std::string path, std::string message) {
    errors_.push_back({file_, at.line, at.column, std::move(path), std::move(message)});
}

void Checker::Warn(const YamlNode& at, std::string message) {
    warnings_.push_back({file_, at.line, at.column, at.path, std::move(message)});
}

std::string Checker::Describe(const YamlNode& node) {
    switch (node.kind) {
        case YamlNode::Kind::Null:
            return "nothing (null)";
        case YamlNode::Kind::Map:
            return "a map";
        case YamlNode::Kind::Sequence:
            return "a list";
        default:
            break;
    }
    std::string text = node.value.size() > 40 ? node.value.substr(0, 40) + "..." : node.value;
    if (!node.plain()) return "\"" + text + "\" (quoted, so a string)";
    return "'" + text + "'";
}

bool Checker::IsMap(const YamlNode& node, std::string_view what) {
    if (node.kind == YamlNode::Kind::Map) return true;
    if (node.kind != YamlNode::Kind::Invalid)
        Error(node, "expected " + std::string(what) + ", got " + Describe(node));
    return false;
}

void Checker::CheckKeys(const YamlNode& map, const std::string& level) {
    const auto& known = KnownKeys().at(level);
    for (const auto& [key, value] : map.entries) {
        if (key.kind != YamlNode::Kind::Scalar || key.duplicate) continue;
        if (std::find(known.begin(), known.end(), key.value) != known.end()) continue;
        auto suggestion = Closest(key.value, known);
        if (!suggestion.empty())
            Error(key, "unknown key (did you mean '" + std::string(suggestion) + "'?)");
        else
            Error(key, "unknown key; expected one of: " + JoinList(known));
    }
}

const YamlNode* Checker::Required(const YamlNode& map, std::string_view key,
                                  std::string_view message) {
    const YamlNode* node = map.find(key);
    if (!node) ErrorAt(map, JoinPath(map.path, std::string(key)), std::string(message));
    return node;
}

std::optional<std::string> Checker::String(const YamlNode* node) {
    if (!node || node->kind == YamlNode::Kind::Invalid) return std::nullopt;
    if (node->kind == YamlNode::Kind::Null ||
        (node->kind == YamlNode::Kind::Scalar && node->value.empty())) {
        Error(*node, "must not be empty");
        return std::nullopt;
    }
    if (node->kind != YamlNode::Kind::Scalar) {
        Error(*node, "expected a string, got " + Describe(*node));
        return std::nullopt;
    }
    return node->value;
}

std::optional<std::int64_t> Checker::Int(const YamlNode* node, std::int64_t min, std::int64_t max) {
    if (!node || node->kind == YamlNode::Kind::Invalid) return std::nullopt;
    const std::string& v = node->value;
    std::size_t pos = (!v.empty() && (v[0] == '-' || v[0] == '+')) ? 1 : 0;
    bool digits = node->kind == YamlNode::Kind::Scalar && node->plain() && pos < v.size() &&
                  std::all_of(v.begin() + static_cast<std::ptrdiff_t>(pos), v.end(),
                              [](unsigned char c) { return std::isdigit(c); });
    if (!digits) {
        Error(*node, "expected an integer, got " + Describe(*node));
        return std::nullopt;
    }
    std::int64_t n = 0;
    for (std::size_t i = pos; i < v.size(); ++i) {
        n = n * 10 + (v[i] - '0');
        if (n > std::int64_t{std::numeric_limits<std::int32_t>::max()} + 1) break;
    }
    if (v[0] == '-') n = -n;
    if (n > std::numeric_limits<std::int32_t>::max() ||
        n < std::numeric_limits<std::int32_t>::min()) {
        Error(*node, "'" + v + "' is out of range for a 32-bit integer");
        return std::nullopt;
    }
    if (n < min) {
        Error(*node, "must be >= " + std::to_string(min));
        return std::nullopt;
    }
    if (n > max) {
        Error(*node, "must be <= " + std::to_string(max));
        return std::nullopt;
    }
    return n;
}

std::optional<double> Checker::Number(const YamlNode* node, double min, double max) {
    if (!node || node->kind == YamlNode::Kind::Invalid) return std::nullopt;
    static const std::regex kDecimal("[0-9]{1,9}(\\.[0-9]{1,9})?");
    if (node->kind != YamlNode::Kind::Scalar || !node->plain() ||
        !std::regex_match(node->value, kDecimal)) {
        Error(*node, "expected a number like 25 or 0.5, got " + Describe(*node));
        return std::nullopt;
    }
    const double v = std::stod(node->value);
    auto text = [](double x) {
        std::ostringstream out;
        out << x;
        return out.str();
    };
    if (v < min) {
        Error(*node, "must be >= " + text(min));
        return std::nullopt;
    }
    if (v > max) {
        Error(*node, "must be <= " + text(max));
        return std::nullopt;
    }
    return v;
}

std::optional<bool> Checker::Bool(const YamlNode* node) {
    if (!node || node->kind == YamlNode::Kind::Invalid) return std::nullopt;
    if (node->kind == YamlNode::Kind::Scalar && node->plain()) {
        const std::string& v = node->value;
        if (v == "true" || v == "True" || v == "TRUE") return true;
        if (v == "false" || v == "False" || v == "FALSE") return false;
    }
    Error(*node, "expected true or false, got " + Describe(*node));
    return std::nullopt;
}

std::optional<model::Seconds> Checker::Duration(const YamlNode* node, model::Seconds min,
                                                model::Seconds max, std::string_view min_note) {
    if (!node || node->kind == YamlNode::Kind::Invalid) return std::nullopt;
    std::optional<model::Seconds> d;
    if (node->kind == YamlNode::Kind::Scalar) d = model::ParseDuration(node->value);
    if (!d) {
        Error(*node, "expected a duration like 90s, 45m, 1h30m or PT45M, got " + Describe(*node));
        return std::nullopt;
    }
    if (*d < min) {
        Error(*node, "must be >= " + model::FormatShortDuration(min) + std::string(min_note));
        return std::nullopt;
    }
    if (*d > max) {
        Error(*node, "must be <= " + model::FormatShortDuration(max));
        return std::nullopt;
    }
    return d;
}

std::optional<std::string> Checker::Enum(const YamlNode* node,
                                         const std::vector<std::string_view>& values) {
    if (!node || node->kind == YamlNode::Kind::Invalid) return std::nullopt;
    if (node->kind == YamlNode::Kind::Scalar &&
        std::find(values.begin(), values.end(), node->value) != values.end())
        return node->value;
    std::string message = "expected one of " + JoinList(values) + ", got " + Describe(*node);
    if (node->kind == YamlNode::Kind::Scalar) {
        auto suggestion = Closest(node->value, values);
        if (!suggestion.empty()) message += " (did you mean '" + std::string(suggestion) + "'?)";
    }
    Error(*node, std::move(message));
    return std::nullopt;
}

}  // namespace pw::config::detail
