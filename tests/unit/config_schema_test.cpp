// Keeps config/*.schema.json in sync with the validator: the same keys at every level, the same
// enums, and the same verdict on the examples and on a set of broken documents.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/known_keys.hpp"
#include "config/load.hpp"
#include "config/yaml_tree.hpp"
#include "model/pool_fields.hpp"

namespace pw::config {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json ReadJson(const fs::path& file) {
    std::ifstream in(file);
    return json::parse(in);
}

std::string ReadText(const fs::path& file) {
    std::ifstream in(file);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

/// YAML (as poolwarden reads it) to JSON: plain integers and true/false are typed, the rest are
/// strings; quoted scalars stay strings.
json ToJson(const detail::YamlNode& node) {
    using Kind = detail::YamlNode::Kind;
    switch (node.kind) {
        case Kind::Null:
        case Kind::Invalid:
            return nullptr;
        case Kind::Sequence: {
            json out = json::array();
            for (const auto& item : node.items) out.push_back(ToJson(item));
            return out;
        }
        case Kind::Map: {
            json out = json::object();
            for (const auto& [k, v] : node.entries) out[k.value] = ToJson(v);
            return out;
        }
        case Kind::Scalar:
            break;
    }
    if (node.plain()) {
        if (std::regex_match(node.value, std::regex("[-+]?[0-9]+"))) {
            return std::stoll(node.value);
        }
        if (std::regex_match(node.value, std::regex("[-+]?[0-9]+\\.[0-9]+"))) {
            return std::stod(node.value);
        }
        if (node.value == "true") return true;
        if (node.value == "false") return false;
    }
    return node.value;
}

json YamlFileToJson(const std::string& text) {
    auto parsed = detail::ParseYaml(text, "x");
    EXPECT_TRUE(parsed.errors.empty());
    return ToJson(parsed.root);
}

/// A small JSON Schema validator for the keywords our schemas use; any other keyword fails the
/// test so that the schemas cannot drift into something this check ignores.
class MiniValidator {
  public:
    explicit MiniValidator(json root) : root_(std::move(root)) {}

    std::vector<std::string> Validate(const json& doc) {
        errors_.clear();
        Check(root_, doc, "");
        return errors_;
    }

  private:
    static bool HasType(const json& v, const std::string& type) {
        if (type == "object") return v.is_object();
        if (type == "array") return v.is_array();
        if (type == "string") return v.is_string();
        if (type == "integer") return v.is_number_integer();
        if (type == "number") return v.is_number();
        if (type == "boolean") return v.is_boolean();
        if (type == "null") return v.is_null();
        ADD_FAILURE() << "unknown type " << type;
        return false;
    }

    bool Matches(const json& schema, const json& v) {
        auto saved = errors_;
        errors_.clear();
        Check(schema, v, "");
        bool ok = errors_.empty();
        errors_ = std::move(saved);
        return ok;
    }

    const json& Resolve(const std::string& ref) {
        EXPECT_EQ(ref.rfind("#/", 0), 0u) << ref;
        return root_.at(json::json_pointer(ref.substr(1)));
    }

    void Check(const json& schema, const json& v, const std::string& at) {
        static const std::set<std::string> kIgnored = {"$schema",     "$id",     "title",
                                                       "description", "default", "$defs"};
        for (const auto& [key, sub] : schema.items()) {
            if (kIgnored.count(key) || key == "then" || key == "else") continue;
            if (key == "$ref") {
                Check(Resolve(sub), v, at);
            } else if (key == "type") {
                std::vector<std::string> types =
                    sub.is_array() ? sub.get<std::vector<std::string>>()
                                   : std::vector<std::string>{sub.get<std::string>()};
                bool any = false;
                for (const auto& t : types) any = any || HasType(v, t);
                if (!any) errors_.push_back(at + ": wrong type");
            } else if (key == "enum") {
                if (std::find(sub.begin(), sub.end(), v) == sub.end())
                    errors_.push_back(at + ": not in enum");
            } else if (key == "const") {
                if (v != sub) errors_.push_back(at + ": not const");
            } else if (key == "pattern") {
                if (v.is_string() &&
                    !std::regex_search(v.get<std::string>(), std::regex(sub.get<std::string>())))
                    errors_.push_back(at + ": pattern mismatch");
            } else if (key == "minLength") {
                if (v.is_string() && v.get<std::string>().size() < sub.get<std::size_t>())
                    errors_.push_back(at + ": too short");
            } else if (key == "maxLength") {
                if (v.is_string() && v.get<std::string>().size() > sub.get<std::size_t>())
                    errors_.push_back(at + ": too long");
            } else if (key == "maxItems") {
                if (v.is_array() && v.size() > sub.get<std::size_t>())
                    errors_.push_back(at + ": too many items");
            } else if (key == "minimum") {
                if (v.is_number() && v.get<double>() < sub.get<double>())
                    errors_.push_back(at + ": below minimum");
            } else if (key == "maximum") {
                if (v.is_number() && v.get<double>() > sub.get<double>())
                    errors_.push_back(at + ": above maximum");
            } else if (key == "required") {
                for (const auto& name : sub)
                    if (v.is_object() && !v.contains(name.get<std::string>()))
                        errors_.push_back(at + ": missing " + name.get<std::string>());
            } else if (key == "properties") {
                if (!v.is_object()) continue;
                for (const auto& [name, value] : v.items())
                    if (sub.contains(name)) Check(sub.at(name), value, at + "/" + name);
            } else if (key == "additionalProperties") {
                if (!v.is_object()) continue;
                const json empty = json::object();
                const json& props = schema.contains("properties") ? schema.at("properties") : empty;
                for (const auto& [name, value] : v.items()) {
                    if (props.contains(name)) continue;
                    if (sub.is_boolean()) {
                        if (!sub.get<bool>()) errors_.push_back(at + ": unexpected " + name);
                    } else {
                        Check(sub, value, at + "/" + name);
                    }
                }
            } else if (key == "propertyNames") {
                if (!v.is_object()) continue;
                for (const auto& [name, value] : v.items()) Check(sub, json(name), at + "/" + name);
            } else if (key == "items") {
                if (!v.is_array()) continue;
                for (std::size_t i = 0; i < v.size(); ++i)
                    Check(sub, v[i], at + "/" + std::to_string(i));
            } else if (key == "allOf") {
                for (const auto& s : sub) Check(s, v, at);
            } else if (key == "anyOf" || key == "oneOf") {
                int matched = 0;
                for (const auto& s : sub) matched += Matches(s, v) ? 1 : 0;
                if (key == "anyOf" ? matched == 0 : matched != 1)
                    errors_.push_back(at + ": " + key + " matched " + std::to_string(matched));
            } else if (key == "not") {
                if (Matches(sub, v)) errors_.push_back(at + ": matches a 'not'");
            } else if (key == "if") {
                if (Matches(sub, v)) {
                    if (schema.contains("then")) Check(schema.at("then"), v, at);
                } else if (schema.contains("else")) {
                    Check(schema.at("else"), v, at);
                }
            } else {
                ADD_FAILURE() << "schema keyword '" << key << "' at " << at
                              << " is not understood by this test's validator";
            }
        }
    }

    json root_;
    std::vector<std::string> errors_;
};

const fs::path kSource = PW_SOURCE_DIR;
const fs::path kDaemonSchema = kSource / "config/poolwarden.schema.json";
const fs::path kPoolSchema = kSource / "config/pool-file.schema.json";

std::set<std::string> Keys(const std::vector<std::string_view>& keys) {
    return {keys.begin(), keys.end()};
}

TEST(ConfigSchema, KeysMatchTheValidatorAtEveryLevel) {
    struct Level {
        std::string name;
        fs::path schema;
        std::string pointer;
    };
    const std::vector<Level> levels = {
        {"daemon", kDaemonSchema, ""},
        {"daemon.cloud", kDaemonSchema, "/$defs/cloudEndpoints"},
        {"daemon.auth", kDaemonSchema, "/$defs/auth"},
        {"daemon.tls", kDaemonSchema, "/$defs/tls"},
        {"daemon.listen", kDaemonSchema, "/$defs/listen"},
        {"daemon.accounts[]", kDaemonSchema, "/$defs/account"},
        {"daemon.reconcile", kDaemonSchema, "/$defs/reconcile"},
        {"daemon.limits", kDaemonSchema, "/$defs/limits"},
        {"daemon.limits.bucket", kDaemonSchema, "/$defs/bucket"},
        {"daemon.policy", kDaemonSchema, "/$defs/policy"},
        {"daemon.quota", kDaemonSchema, "/$defs/quota"},
        {"daemon.prune", kDaemonSchema, "/$defs/prune"},
        {"daemon.rollout", kDaemonSchema, "/$defs/rollout"},
        {"daemon.rollout.groups.*", kDaemonSchema, "/$defs/rolloutGroup"},
        {"daemon.rollout.groups.*.healthGate", kDaemonSchema, "/$defs/healthGate"},
        {"daemon.leaderElection", kDaemonSchema, "/$defs/leaderElection"},
        {"poolFile", kPoolSchema, ""},
        {"pool", kPoolSchema, "/$defs/pool"},
        {"pool.identity", kPoolSchema, "/$defs/identity"},
        {"pool.scale", kPoolSchema, "/$defs/scale"},
        {"pool.scale.autoScale", kPoolSchema, "/$defs/autoScale"},
        {"pool.startTask", kPoolSchema, "/$defs/startTask"},
        {"pool.updatePolicy", kPoolSchema, "/$defs/updatePolicy"},
        {"pool.updatePolicy.drain", kPoolSchema, "/$defs/drain"},
        {"pool.updatePolicy.maintenanceWindows[]", kPoolSchema, "/$defs/maintenanceWindow"},
    };
    ASSERT_EQ(levels.size(), KnownKeys().size()) << "a validator level has no schema mapping";
    for (const auto& level : levels) {
        SCOPED_TRACE(level.name);
        json schema = ReadJson(level.schema).at(json::json_pointer(level.pointer));
        EXPECT_EQ(schema.at("additionalProperties"), false);
        std::set<std::string> schema_keys;
        for (const auto& [key, prop] : schema.at("properties").items()) {
            schema_keys.insert(key);
            EXPECT_TRUE(prop.contains("description")) << key << " has no description";
        }
        EXPECT_EQ(schema_keys, Keys(KnownKeys().at(level.name)));
    }
}

/// The JSON Schema of one table field (model/pool_fields.hpp), as the schema file must hold it.
json FieldSchema(const model::FieldSpec& f) {
    using K = model::FieldKind;
    auto string_schema = [] {
        // A SAS token (sig=) is refused anywhere in the table-declared properties.
        return json{
            {"type", "string"}, {"minLength", 1}, {"not", {{"pattern", "[?&][Ss][Ii][Gg]="}}}};
    };
    auto ref = [](const model::ObjectSpec* o) {
        return json{{"$ref", "#/$defs/" + std::string(o->name)}};
    };
    auto values = [&] { return json(std::vector<std::string>(f.values.begin(), f.values.end())); };
    json out;
    switch (f.kind) {
        case K::Bool:
            out = {{"type", "boolean"}};
            break;
        case K::Int:
            out = {{"type", "integer"}, {"minimum", f.min}, {"maximum", f.max}};
            break;
        case K::String:
            out = string_schema();
            if (f.max > 0 && f.max < 2147483647LL) out["maxLength"] = f.max;
            break;
        case K::Enum:
            out = {{"type", "string"}, {"enum", values()}};
            break;
        case K::Object:
            out = ref(f.object);
            break;
        case K::ObjectList:
            out = {{"type", "array"}, {"items", ref(f.object)}};
            break;
        case K::StringList:
            out = {{"type", "array"}, {"items", string_schema()}};
            break;
        case K::EnumList:
            out = {{"type", "array"}, {"items", {{"enum", values()}}}};
            break;
        case K::StringMap:
            out = {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}};
            break;
        case K::Json:
            out = {{"type", "object"}};
            break;
        case K::SecretFile:
        case K::JsonSecretFile:
            out = {{"type", "string"}, {"minLength", 1}};
            break;
    }
    if (f.max_items > 0) out["maxItems"] = f.max_items;
    std::string doc(f.doc);
    if (f.secret())
        doc += " (Batch's " + std::string(f.rest_name()) + "; the secret itself is refused)";
    else if (f.rest_name() != f.key)
        doc += " (Batch's " + std::string(f.rest_name()) + ")";
    out["description"] = doc;
    return out;
}

json ObjectSchema(const model::ObjectSpec& o) {
    json out = {{"type", "object"}, {"additionalProperties", false}};
    json required = json::array();
    json props = json::object();
    for (const auto& f : o.fields) {
        if (f.required) required.push_back(std::string(f.key));
        props[std::string(f.key)] = FieldSchema(f);
    }
    if (!required.empty()) out["required"] = required;
    out["properties"] = props;
    out["description"] =
        "Batch " + std::string(o.rest_type) + " (BatchService.json 2025-06-01.21.0).";
    return out;
}

// The table-declared pool properties: every object of the tables is a $defs entry generated
// from the table, and the pool and startTask levels hold each table field's schema.
// PW_UPDATE_SCHEMA=1 rewrites them in config/pool-file.schema.json (review the diff).
TEST(ConfigSchema, TableDeclaredPropertiesMatchTheTables) {
    nlohmann::ordered_json file;
    {
        std::ifstream in(kPoolSchema);
        file = nlohmann::ordered_json::parse(in);
    }
    const bool update = std::getenv("PW_UPDATE_SCHEMA") != nullptr;
    auto check = [&](const std::string& pointer, const json& expected) {
        SCOPED_TRACE(pointer);
        auto ptr = nlohmann::ordered_json::json_pointer(pointer);
        if (update) file[ptr] = nlohmann::ordered_json::parse(expected.dump());
        ASSERT_TRUE(file.contains(ptr)) << "missing in the schema";
        EXPECT_EQ(json::parse(file.at(ptr).dump()), expected);
    };
    for (const auto* o : model::AllPoolObjects()) {
        if (o == &model::PoolFields() || o == &model::StartTaskFields()) {
            const std::string level = o == &model::PoolFields() ? "pool" : "startTask";
            for (const auto& f : o->fields)
                check("/$defs/" + level + "/properties/" + std::string(f.key), FieldSchema(f));
            continue;
        }
        check("/$defs/" + std::string(o->name), ObjectSchema(*o));
    }
    if (update) std::ofstream(kPoolSchema) << file.dump(2) << "\n";
}

/// README rows for the fields of `o` under `prefix`, nested objects after their parent.
void ReadmeRows(const model::ObjectSpec& o, const std::string& prefix, std::string_view update,
                std::string& out) {
    using K = model::FieldKind;
    for (const auto& f : o.fields) {
        const std::string key = prefix + std::string(f.key);
        std::string type;
        switch (f.kind) {
            case K::Bool:
                type = "bool";
                break;
            case K::Int:
                type = "int";
                break;
            case K::String:
                type = "string";
                break;
            case K::Enum:
                type = "enum";
                break;
            case K::Object:
                type = "map";
                break;
            case K::ObjectList:
                type = "list of maps";
                break;
            case K::StringList:
                type = "list of strings";
                break;
            case K::EnumList:
                type = "list of enum";
                break;
            case K::StringMap:
                type = "map of strings";
                break;
            case K::Json:
                type = "any map";
                break;
            case K::SecretFile:
                type = "secret file";
                break;
            case K::JsonSecretFile:
                type = "secret JSON file";
                break;
        }
        std::vector<std::string> rule;
        if (f.required) rule.push_back("required");
        if (f.kind == K::Int) {
            if (f.min != -2147483648LL || f.max != 2147483647LL)
                rule.push_back(
                    std::to_string(f.min) + " to " +
                    (f.max == 2147483647LL ? std::string("2147483647") : std::to_string(f.max)));
        }
        if (f.kind == K::String && f.max < 2147483647LL)
            rule.push_back("at most " + std::to_string(f.max) + " characters");
        if (!f.values.empty()) {
            std::string v;
            for (auto e : f.values)
                v += (v.empty() ? "" : ", ") + std::string("`") + std::string(e) + "`";
            rule.push_back(v);
        }
        if (f.max_items > 0) rule.push_back("at most " + std::to_string(f.max_items) + " items");
        rule.push_back(std::string(f.doc));
        std::string joined;
        for (const auto& r : rule) joined += (joined.empty() ? "" : "; ") + r;
        const std::string_view cls = f.update == model::UpdateClass::Patchable   ? "patchable"
                                     : f.update == model::UpdateClass::EmptyOnly ? "empty-only"
                                     : f.update == model::UpdateClass::Fixed     ? "fixed"
                                                                                 : update;
        out += "| `" + key + "` | `" + std::string(f.rest_name()) + "` | " + type + " | " + joined +
               " | " + std::string(cls) + " |\n";
        if (f.object) {
            const std::string sub = key + (f.kind == K::ObjectList ? "[]." : ".");
            ReadmeRows(*f.object, sub, cls, out);
        }
    }
}

// README.md's pool property table is generated from the tables (PW_UPDATE_SCHEMA=1 rewrites it).
TEST(ConfigSchema, ReadmeTableMatchesTheTables) {
    std::string rows = "| key | REST name | type | rule | update |\n|---|---|---|---|---|\n";
    ReadmeRows(model::PoolFields(), "", "", rows);
    ReadmeRows(model::StartTaskFields(), "startTask.", "patchable", rows);
    const fs::path readme = kSource / "README.md";
    std::string text = ReadText(readme);
    const std::string begin = "<!-- pool-properties:begin -->\n";
    const std::string end = "<!-- pool-properties:end -->";
    auto b = text.find(begin);
    auto e = text.find(end);
    ASSERT_NE(b, std::string::npos);
    ASSERT_NE(e, std::string::npos);
    b += begin.size();
    if (std::getenv("PW_UPDATE_SCHEMA")) {
        text.replace(b, e - b, rows);
        std::ofstream(readme) << text;
        e = b + rows.size();
    }
    EXPECT_EQ(text.substr(b, e - b), rows);
}

TEST(ConfigSchema, EnumsMatchTheValidator) {
    json daemon = ReadJson(kDaemonSchema);
    json pool = ReadJson(kPoolSchema);
    auto as_set = [](const json& j) {
        auto v = j.get<std::vector<std::string>>();
        return std::set<std::string>(v.begin(), v.end());
    };
    EXPECT_EQ(as_set(daemon.at("/properties/cloud/oneOf/0/enum"_json_pointer)),
              Keys(KnownEnums().at("cloud")));
    EXPECT_EQ(as_set(daemon.at("/$defs/auth/properties/method/enum"_json_pointer)),
              Keys(KnownEnums().at("auth.method")));
    EXPECT_EQ(as_set(pool.at("/$defs/pool/properties/nodeDeallocationOption/enum"_json_pointer)),
              Keys(KnownEnums().at("nodeDeallocationOption")));
    EXPECT_EQ(as_set(daemon.at("/$defs/account/properties/poolApi/enum"_json_pointer)),
              Keys(KnownEnums().at("poolApi")));
    EXPECT_EQ(as_set(pool.at("/$defs/identity/properties/type/enum"_json_pointer)),
              Keys(KnownEnums().at("identity.type")));
}

TEST(ConfigSchema, ExamplesValidateUnderBothTheSchemaAndTheValidator) {
    MiniValidator daemon_schema(ReadJson(kDaemonSchema));
    MiniValidator pool_schema(ReadJson(kPoolSchema));
    for (const char* f : {"config/poolwarden.yaml", "config/examples/poolwarden.yaml",
                          "tests/data/config/mixed/poolwarden.yaml"}) {
        SCOPED_TRACE(f);
        EXPECT_THAT(daemon_schema.Validate(YamlFileToJson(ReadText(kSource / f))),
                    ::testing::IsEmpty());
    }
    for (const char* f :
         {"config/examples/pools.d/render.yaml", "config/examples/pools.d/sim-hpc.yaml",
          "config/examples/pools.d/tools-latest.yaml",
          "tests/data/config/mixed/pools.d/b-good.yaml"}) {
        SCOPED_TRACE(f);
        EXPECT_THAT(pool_schema.Validate(YamlFileToJson(ReadText(kSource / f))),
                    ::testing::IsEmpty());
    }
    auto loaded = LoadConfig(kSource / "config/examples/poolwarden.yaml");
    ASSERT_TRUE(loaded.ok());
    EXPECT_TRUE(loaded->all_errors().empty());
    EXPECT_EQ(loaded->desired().pools.size(), 3u);
}

struct Broken {
    std::string name;
    bool daemon;  ///< true: a daemon file; false: a pool file.
    std::string text;
};

void PrintTo(const Broken& b, std::ostream* os) { *os << b.name; }

class SchemaAgrees : public ::testing::TestWithParam<Broken> {};

const std::string kPoolHead =
    "pools:\n  - id: p1\n    account: a\n    vmSize: S\n    image: "
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/"
    "versions/1.0.0\n    nodeAgentSkuId: n\n";

TEST_P(SchemaAgrees, BothRejectTheDocument) {
    const Broken& b = GetParam();
    MiniValidator schema(ReadJson(b.daemon ? kDaemonSchema : kPoolSchema));
    EXPECT_THAT(schema.Validate(YamlFileToJson(b.text)), ::testing::Not(::testing::IsEmpty()));

    std::random_device rd;
    fs::path dir = fs::path(::testing::TempDir()) / ("pw-schema-" + std::to_string(rd()));
    fs::create_directories(dir / "pools.d");
    std::string daemon_text =
        b.daemon ? b.text
                 : "accounts:\n  - {name: a, subscriptionId: 11111111-1111-1111-1111-111111111111, "
                   "resourceGroup: rg, accountName: abc}\npoolsDir: pools.d\n";
    std::ofstream(dir / "poolwarden.yaml") << daemon_text;
    if (!b.daemon) std::ofstream(dir / "pools.d/p.yaml") << b.text;
    auto loaded = LoadConfig(dir / "poolwarden.yaml");
    bool rejected = !loaded.ok() || !loaded->all_errors().empty();
    EXPECT_TRUE(rejected);
    fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(
    Config, SchemaAgrees,
    ::testing::Values(
        Broken{"UnknownDaemonKey", true, "poolsDir: pools.d\npoolDir: x\n"},
        Broken{"CloudTypo", true, "poolsDir: pools.d\ncloud: AzureCloud\n"},
        Broken{"SecretWithoutTenant", true,
               "poolsDir: pools.d\nauth: {method: clientSecret, clientId: "
               "33333333-3333-3333-3333-333333333333, clientSecretFile: s}\n"},
        Broken{"SecretFileWithManagedIdentity", true,
               "poolsDir: pools.d\nauth: {clientSecretFile: s}\n"},
        Broken{"HttpToRemoteHost", true,
               "poolsDir: pools.d\ncloud: {resourceManager: http://rm.example/, authorityHost: "
               "https://a/, batchResource: https://b/, managementResource: https://m/}\n"},
        Broken{"ConcurrencyTooHigh", true, "poolsDir: pools.d\nreconcile: {concurrency: 65}\n"},
        Broken{"LimitsTypo", true, "poolsDir: pools.d\nlimits: {armRead: {burst: 10}}\n"},
        Broken{"LimitsRateZero", true,
               "poolsDir: pools.d\nlimits: {armWrites: {burst: 10, perSecond: 0}}\n"},
        Broken{"LimitsBurstNotANumber", true,
               "poolsDir: pools.d\nlimits: {batch: {burst: lots}}\n"},
        Broken{"ListenMaxConnectionsZero", true,
               "poolsDir: pools.d\nlisten: {address: 127.0.0.1:9464, maxConnections: 0}\n"},
        Broken{"ListenMaxConnectionsTooHigh", true,
               "poolsDir: pools.d\nlisten: {maxConnections: 1025}\n"},
        Broken{"ListenUnknownKey", true, "poolsDir: pools.d\nlisten: {port: 9464}\n"},
        Broken{"ListenBadAddressInMap", true, "poolsDir: pools.d\nlisten: {address: 9464}\n"},
        Broken{"AccountNameUppercase", true,
               "poolsDir: pools.d\naccounts:\n  - {name: a, subscriptionId: "
               "11111111-1111-1111-1111-111111111111, resourceGroup: rg, accountName: ABC}\n"},
        Broken{"BothScaleModes", false,
               kPoolHead + "    scale: {targetDedicatedNodes: 1, autoScale: {formula: x, "
                           "maxNodes: 1}}\n"},
        Broken{"NoScaleMode", false, kPoolHead + "    scale: {}\n"},
        Broken{"AutoscaleWithoutMaxNodes", false,
               kPoolHead + "    scale: {autoScale: {formula: x}}\n"},
        Broken{
            "IdTooLong", false,
            "pools:\n  - id: " + std::string(65, 'x') + kPoolHead.substr(kPoolHead.find('\n', 10))},
        Broken{"ReservedMetadata", false,
               kPoolHead + "    scale: {targetDedicatedNodes: 1}\n    metadata: "
                           "{poolwarden.io/x: y}\n"},
        Broken{"BadImageVersion", false,
               "pools:\n  - id: p1\n    account: a\n    vmSize: S\n    image: /subscriptions/s\n"
               "    nodeAgentSkuId: n\n    scale: {targetDedicatedNodes: 1}\n"},
        Broken{"DurationTypo", false,
               kPoolHead + "    scale: {targetDedicatedNodes: 1}\n    resizeTimeout: 20 min\n"},
        Broken{"TaskSlotsTooHigh", false,
               kPoolHead + "    scale: {targetDedicatedNodes: 1}\n    taskSlotsPerNode: 300\n"},
        Broken{"NegativeNodes", false, kPoolHead + "    scale: {targetDedicatedNodes: -1}\n"},
        Broken{"LunOutOfRange", false,
               kPoolHead + "    scale: {targetDedicatedNodes: 1}\n    virtualMachineConfiguration:"
                           " {dataDisks: [{lun: 64, diskSizeGB: 1}]}\n"},
        Broken{"LiteralRegistryPassword", false,
               kPoolHead + "    scale: {targetDedicatedNodes: 1}\n    virtualMachineConfiguration:"
                           " {containerConfiguration: {type: dockerCompatible, "
                           "containerRegistries: [{username: u, password: p}]}}\n"},
        Broken{"SasInResourceFile", false,
               kPoolHead + "    scale: {targetDedicatedNodes: 1}\n    startTask: {commandLine: x, "
                           "resourceFiles: [{httpUrl: 'https://a/b?sv=1&sig=x', filePath: b}]}\n"},
        Broken{"CachingTypo", false,
               kPoolHead + "    scale: {targetDedicatedNodes: 1}\n    virtualMachineConfiguration:"
                           " {osDisk: {caching: ReadOnly}}\n"},
        Broken{"ContainerTypeMissing", false,
               kPoolHead + "    scale: {targetDedicatedNodes: 1}\n    virtualMachineConfiguration:"
                           " {containerConfiguration: {containerImageNames: [i]}}\n"},
        Broken{"TooManyPackages", false,
               kPoolHead +
                   "    scale: {targetDedicatedNodes: 1}\n    applicationPackageReferences: "
                   "[{applicationId: a}, {applicationId: a}, {applicationId: a}, "
                   "{applicationId: a}, {applicationId: a}, {applicationId: a}, "
                   "{applicationId: a}, {applicationId: a}, {applicationId: a}, "
                   "{applicationId: a}, {applicationId: a}]\n"}),
    [](const ::testing::TestParamInfo<Broken>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace pw::config
