#include "config/yaml_tree.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace pw::config::detail {
namespace {

bool IsIdentifier(const std::string& key) {
    return !key.empty() && std::all_of(key.begin(), key.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-';
    });
}

class TreeBuilder : public YAML::EventHandler {
  public:
    TreeBuilder(YamlNode& root, std::vector<ConfigError>& errors, const std::string& file)
        : root_(root), errors_(errors), file_(file) {}

    void OnDocumentStart(const YAML::Mark&) override {}
    void OnDocumentEnd() override {}

    void OnNull(const YAML::Mark& mark, YAML::anchor_t) override {
        Add(YamlNode::Kind::Null, mark, "?", "");
    }

    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
        YamlNode& node = Add(YamlNode::Kind::Invalid, mark, "?", "");
        Error(node, "YAML aliases (*name) are not supported; write the value out in full");
    }

    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                  const std::string& value) override {
        Add(YamlNode::Kind::Scalar, mark, tag, value);
    }

    void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        stack_.push_back({&Add(YamlNode::Kind::Sequence, mark, tag, ""), true});
    }
    void OnSequenceEnd() override { stack_.pop_back(); }

    void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
        stack_.push_back({&Add(YamlNode::Kind::Map, mark, tag, ""), true});
    }
    void OnMapEnd() override { stack_.pop_back(); }

  private:
    struct Frame {
        YamlNode* node;
        bool expect_key;
    };

    void Error(const YamlNode& at, std::string message) {
        errors_.push_back({file_, at.line, at.column, at.path, std::move(message)});
    }

    YamlNode& Add(YamlNode::Kind kind, const YAML::Mark& mark, const std::string& tag,
                  const std::string& value) {
        YamlNode node;
        node.kind = kind;
        node.line = mark.line + 1;
        node.column = mark.column + 1;
        node.tag = tag;
        node.value = value;
        if (stack_.empty()) {
            root_ = std::move(node);
            return root_;
        }
        Frame& top = stack_.back();
        YamlNode& parent = *top.node;
        if (parent.kind == YamlNode::Kind::Sequence) {
            node.path = parent.path + "[" + std::to_string(parent.items.size()) + "]";
            parent.items.push_back(std::move(node));
            return parent.items.back();
        }
        if (top.expect_key) {
            top.expect_key = false;
            return AddKey(parent, std::move(node));
        }
        top.expect_key = true;
        auto& [key, val] = parent.entries.back();
        node.path =
            key.kind == YamlNode::Kind::Scalar ? JoinPath(parent.path, key.value) : parent.path;
        if (node.kind == YamlNode::Kind::Null && node.line != key.line) {
            // An empty value: yaml-cpp marks the next token; point at the key instead.
            node.line = key.line;
            node.column = key.column;
        }
        val = std::move(node);
        return val;
    }

    YamlNode& AddKey(YamlNode& map, YamlNode key) {
        if (key.kind == YamlNode::Kind::Scalar) {
            key.path = JoinPath(map.path, key.value);
            if (key.plain() && key.value == "<<") {
                key.kind = YamlNode::Kind::Invalid;
                Error(key, "YAML merge keys (<<) are not supported; write the keys out in full");
            } else {
                for (const auto& [other, unused] : map.entries) {
                    if (other.kind == YamlNode::Kind::Scalar && !other.duplicate &&
                        other.value == key.value) {
                        key.duplicate = true;
                        Error(key, "duplicate key (first at line " + std::to_string(other.line) +
                                       ", column " + std::to_string(other.column) + ")");
                        break;
                    }
                }
            }
        } else if (key.kind != YamlNode::Kind::Invalid && map.kind == YamlNode::Kind::Map) {
            key.path = map.path;
            key.kind = YamlNode::Kind::Invalid;
            Error(key, "map keys must be plain strings");
        }
        map.entries.push_back(YamlEntry{std::move(key), YamlNode{}});
        YamlNode& stored = map.entries.back().first;
        return stored;
    }

    YamlNode& root_;
    std::vector<ConfigError>& errors_;
    const std::string& file_;
    std::vector<Frame> stack_;
};

void ReportTab(const std::string& text, int up_to_line, const std::string& file,
               std::vector<ConfigError>& errors) {
    int line = 1;
    std::size_t pos = 0;
    while (pos < text.size() && line <= up_to_line) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        for (std::size_t i = pos; i < end && (text[i] == ' ' || text[i] == '\t'); ++i) {
            if (text[i] == '\t') {
                errors.push_back({file, line, static_cast<int>(i - pos) + 1, "",
                                  "tab character in indentation (YAML indents with spaces only)"});
                return;
            }
        }
        pos = end + 1;
        ++line;
    }
}

}  // namespace

const YamlNode* YamlNode::find(std::string_view key) const {
    for (const auto& [k, v] : entries)
        if (k.kind == Kind::Scalar && !k.duplicate && k.value == key) return &v;
    return nullptr;
}

std::string JoinPath(const std::string& parent, const std::string& key) {
    if (!IsIdentifier(key)) {
        std::string quoted = "[\"";
        for (char c : key) {
            if (c == '"' || c == '\\') quoted.push_back('\\');
            quoted.push_back(c);
        }
        return parent + quoted + "\"]";
    }
    return parent.empty() ? key : parent + "." + key;
}

ParsedYaml ParseYaml(const std::string& text, const std::string& file) {
    ParsedYaml out;
    std::istringstream in(text);
    try {
        YAML::Parser parser(in);
        TreeBuilder builder(out.root, out.errors, file);
        if (!parser.HandleNextDocument(builder)) return out;
        out.empty = false;
        YamlNode extra;
        std::vector<ConfigError> ignored;
        TreeBuilder rest(extra, ignored, file);
        if (parser.HandleNextDocument(rest)) {
            out.errors.push_back({file, extra.line, extra.column, "",
                                  "only one YAML document per file is allowed (found '---')"});
        }
    } catch (const YAML::ParserException& e) {
        out.empty = false;
        out.root = YamlNode{};
        out.root.kind = YamlNode::Kind::Invalid;
        out.errors.clear();  // what was reported before the syntax error is mostly its echo
        ReportTab(text, e.mark.line + 1, file, out.errors);
        if (out.errors.empty()) {
            out.errors.push_back(
                {file, e.mark.line + 1, e.mark.column + 1, "", "YAML syntax error: " + e.msg});
        }
    }
    return out;
}

}  // namespace pw::config::detail
