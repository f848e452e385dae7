#include "config/pool_props.hpp"

#include <algorithm>
#include <cctype>

#include "config/load_detail.hpp"

namespace pw::config::detail {
namespace fs = std::filesystem;
using model::FieldKind;
using model::FieldSpec;
using model::ObjectSpec;
using model::PropValue;

namespace {

// A SAS token carries its signature in the `sig` query parameter (Azure Storage "Create a
// service SAS": sig is required).
bool HasSas(std::string_view url) {
    auto q = url.find('?');
    if (q == std::string_view::npos) return false;
    std::string query = LowerCopy(url.substr(q + 1));
    return query.rfind("sig=", 0) == 0 || query.find("&sig=") != std::string::npos;
}

std::string JoinKeys(const ObjectSpec& spec) {
    std::string out;
    for (const auto& f : spec.fields) out += (out.empty() ? "" : ", ") + std::string(f.key);
    return out;
}

std::optional<PropValue> ParseValue(Checker& c, const YamlNode& node, const FieldSpec& f,
                                    const fs::path& base_dir);

std::optional<PropValue> ParseString(Checker& c, const YamlNode& node, std::int64_t max_len) {
    auto s = c.String(&node);
    if (!s) return std::nullopt;
    if (max_len > 0 && static_cast<std::int64_t>(s->size()) > max_len) {
        c.Error(node, "is " + std::to_string(s->size()) + " characters long; the limit is " +
                          std::to_string(max_len));
        return std::nullopt;
    }
    if (HasSas(*s)) {
        c.Error(node,
                "is a URL with a SAS token (sig=), a secret that must not be in a pool file; "
                "use autoStorageContainerName or identityReference instead");
        return std::nullopt;
    }
    PropValue v;
    v.kind = PropValue::Kind::String;
    v.text = *s;
    return v;
}

/// Any YAML value, kept as typed as poolwarden reads YAML (plain integers and booleans typed).
PropValue ParseJson(const YamlNode& node) {
    PropValue v;
    switch (node.kind) {
        case YamlNode::Kind::Map:
            v.kind = PropValue::Kind::Object;
            for (const auto& [k, item] : node.entries)
                if (k.kind == YamlNode::Kind::Scalar && !k.duplicate)
                    v.members.push_back({k.value, ParseJson(item)});
            return v;
        case YamlNode::Kind::Sequence:
            v.kind = PropValue::Kind::List;
            for (const auto& item : node.items) v.items.push_back(ParseJson(item));
            return v;
        default:
            break;
    }
    const std::string& s = node.value;
    if (node.plain() && (s == "true" || s == "false")) {
        v.kind = PropValue::Kind::Bool;
        v.boolean = s == "true";
    } else if (node.plain() && !s.empty() && s.size() < 10 &&
               std::all_of(s.begin(), s.end(), [](unsigned char ch) { return std::isdigit(ch); })) {
        v.kind = PropValue::Kind::Int;
        v.integer = std::stoll(s);
    } else {
        v.kind = PropValue::Kind::String;
        v.text = s;
    }
    return v;
}

std::optional<PropValue> ParseList(Checker& c, const YamlNode& node, const FieldSpec& f,
                                   const fs::path& base_dir) {
    if (node.kind == YamlNode::Kind::Invalid) return std::nullopt;
    if (node.kind != YamlNode::Kind::Sequence) {
        c.Error(node, "expected a list, got " + Checker::Describe(node));
        return std::nullopt;
    }
    if (f.max_items > 0 && static_cast<int>(node.items.size()) > f.max_items) {
        c.Error(node, "has " + std::to_string(node.items.size()) + " items; the limit is " +
                          std::to_string(f.max_items));
        return std::nullopt;
    }
    PropValue v;
    v.kind = PropValue::Kind::List;
    bool ok = true;
    for (const auto& item : node.items) {
        std::optional<PropValue> parsed;
        switch (f.kind) {
            case FieldKind::ObjectList:
                if (c.IsMap(item)) parsed = ParseProps(c, item, *f.object, base_dir, true);
                break;
            case FieldKind::EnumList:
                if (auto e = c.Enum(&item, {f.values.begin(), f.values.end()})) {
                    parsed.emplace();
                    parsed->kind = PropValue::Kind::String;
                    parsed->text = *e;
                }
                break;
            default:
                parsed = ParseString(c, item, 0);
                break;
        }
        if (parsed)
            v.items.push_back(std::move(*parsed));
        else
            ok = false;
    }
    if (!ok) return std::nullopt;
    return v;
}

std::optional<PropValue> ParseValue(Checker& c, const YamlNode& node, const FieldSpec& f,
                                    const fs::path& base_dir) {
    PropValue v;
    switch (f.kind) {
        case FieldKind::Bool:
            if (auto b = c.Bool(&node)) {
                v.kind = PropValue::Kind::Bool;
                v.boolean = *b;
                return v;
            }
            return std::nullopt;
        case FieldKind::Int:
            if (auto i = c.Int(&node, f.min, f.max)) {
                v.kind = PropValue::Kind::Int;
                v.integer = *i;
                return v;
            }
            return std::nullopt;
        case FieldKind::String:
            return ParseString(c, node, f.max);
        case FieldKind::Enum:
            if (auto e = c.Enum(&node, {f.values.begin(), f.values.end()})) {
                v.kind = PropValue::Kind::String;
                v.text = *e;
                return v;
            }
            return std::nullopt;
        case FieldKind::Object:
            if (!c.IsMap(node)) return std::nullopt;
            return ParseProps(c, node, *f.object, base_dir, true);
        case FieldKind::ObjectList:
        case FieldKind::StringList:
        case FieldKind::EnumList:
            return ParseList(c, node, f, base_dir);
        case FieldKind::StringMap: {
            if (!c.IsMap(node)) return std::nullopt;
            v.kind = PropValue::Kind::Object;
            for (const auto& [key, value] : node.entries) {
                if (key.kind != YamlNode::Kind::Scalar || key.duplicate) continue;
                if (auto s = ParseString(c, value, 0)) v.members.push_back({key.value, *s});
            }
            return v;
        }
        case FieldKind::Json:
            if (!c.IsMap(node)) return std::nullopt;
            return ParseJson(node);
        case FieldKind::SecretFile:
        case FieldKind::JsonSecretFile:
            if (auto s = c.String(&node)) {
                v.kind = PropValue::Kind::SecretFile;
                v.text = *s;
                v.resolved = Resolve(base_dir, *s).string();
                return v;
            }
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

std::string LiteralSecretMessage(std::string_view file_key) {
    return "secrets are never written in pool files; put the value in a file and name it with " +
           std::string(file_key);
}

PropValue ParseProps(Checker& c, const YamlNode& map, const ObjectSpec& spec,
                     const fs::path& base_dir, bool check_keys) {
    PropValue out;
    out.kind = PropValue::Kind::Object;
    std::size_t errors_before = c.errors().size();
    for (const auto& [key, value] : map.entries) {
        if (key.kind != YamlNode::Kind::Scalar || key.duplicate || spec.find(key.value)) continue;
        // Captured by name: clang 14 cannot capture a structured binding.
        auto secret = std::find_if(spec.fields.begin(), spec.fields.end(),
                                   [&name = key.value](const FieldSpec& f) {
                                       return f.secret() && f.rest_name() == name;
                                   });
        if (secret != spec.fields.end()) {
            c.Error(key, LiteralSecretMessage(secret->key));
            continue;
        }
        if (!check_keys) continue;
        std::vector<std::string_view> known;
        for (const auto& f : spec.fields) known.push_back(f.key);
        auto suggestion = Closest(key.value, known);
        if (!suggestion.empty())
            c.Error(key, "unknown key (did you mean '" + std::string(suggestion) + "'?)");
        else
            c.Error(key, "unknown key; expected one of: " + JoinKeys(spec));
    }
    for (const auto& f : spec.fields) {
        const YamlNode* node = f.required ? c.Required(map, f.key) : map.find(f.key);
        if (!node) continue;
        if (auto v = ParseValue(c, *node, f, base_dir))
            out.members.push_back({std::string(f.key), std::move(*v)});
    }
    if (c.errors().size() == errors_before) CheckObjectRules(c, spec, map, out);
    return out;
}

}  // namespace pw::config::detail
