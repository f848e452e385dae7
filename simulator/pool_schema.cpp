#include "pool_schema.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace pw::sim {
extern const char* const kPoolSchemaJson;

namespace {

using Json = nlohmann::json;

const Json& Schema() {
    static const Json schema = Json::parse(kPoolSchemaJson);
    return schema;
}

struct Range {
    std::int64_t min;
    std::int64_t max;
};

// Ranges and list limits the spec states in its descriptions (BatchService.json
// 2025-06-01.21.0, the member named by each key).
const std::map<std::string, Range>& Ranges() {
    static const std::map<std::string, Range> ranges = {
        {"DataDisk.lun", {0, 63}},  // "The value must be between 0 and 63, inclusive."
        {"DataDisk.diskSizeGB", {1, 2147483647}},
        {"BatchOsDisk.diskSizeGB", {1, 2147483647}},
        {"NetworkSecurityGroupRule.priority",
         {150, 4096}},  // "Allowed priorities are 150 to 4096."
        {"BatchInboundNatPool.backendPort", {1, 65535}},
        {"BatchInboundNatPool.frontendPortRangeStart", {1, 65534}},
        {"BatchInboundNatPool.frontendPortRangeEnd", {1, 65534}},
        {"BatchPoolCreateOptions.taskSlotsPerNode", {1, 256}},  // "...or 256"
    };
    return ranges;
}

// "There is a maximum of 10 Package references on any given Pool"; "The maximum number of
// inbound NAT Pools per Batch Pool is 5".
const std::map<std::string, std::size_t>& ListLimits() {
    static const std::map<std::string, std::size_t> limits = {
        {"BatchPoolCreateOptions.applicationPackageReferences", 10},
        {"BatchPoolEndpointConfiguration.inboundNATPools", 5},
    };
    return limits;
}

bool IEquals(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

std::optional<PoolBodyProblem> Invalid(const std::string& path, std::string reason) {
    return PoolBodyProblem{"InvalidPropertyValue", path, std::move(reason)};
}

std::optional<PoolBodyProblem> CheckObject(const Json& value, const std::string& def,
                                           const std::string& path);

std::optional<PoolBodyProblem> CheckMember(const Json& value, const Json& m,
                                           const std::string& owner, const std::string& key,
                                           const std::string& path) {
    const std::string t = m.at("t");
    if (t == "string") {
        if (!value.is_string()) return Invalid(path, "The value must be a string.");
        if (m.contains("enum")) {
            const auto s = value.get<std::string>();
            bool ok = std::any_of(m["enum"].begin(), m["enum"].end(),
                                  [&](const Json& e) { return IEquals(e.get<std::string>(), s); });
            if (!ok) return Invalid(path, "The value '" + s + "' is not a valid value.");
        }
        return std::nullopt;
    }
    if (t == "integer") {
        if (!value.is_number_integer()) return Invalid(path, "The value must be an integer.");
        auto it = Ranges().find(owner + "." + key);
        if (it != Ranges().end()) {
            auto n = value.get<std::int64_t>();
            if (n < it->second.min || n > it->second.max)
                return Invalid(path, "The value must be between " + std::to_string(it->second.min) +
                                         " and " + std::to_string(it->second.max) + ".");
        }
        return std::nullopt;
    }
    if (t == "boolean") {
        if (!value.is_boolean()) return Invalid(path, "The value must be true or false.");
        return std::nullopt;
    }
    if (t == "map") {
        if (!value.is_object()) return Invalid(path, "The value must be an object.");
        return std::nullopt;
    }
    if (t == "array") {
        if (!value.is_array()) return Invalid(path, "The value must be an array.");
        auto it = ListLimits().find(owner + "." + key);
        if (it != ListLimits().end() && value.size() > it->second)
            return Invalid(path,
                           "The list has more than " + std::to_string(it->second) + " items.");
        for (std::size_t i = 0; i < value.size(); ++i)
            if (auto p = CheckMember(value[i], m["items"], owner, key,
                                     path + "[" + std::to_string(i) + "]"))
                return p;
        return std::nullopt;
    }
    if (m.contains("ref")) {
        if (!value.is_object()) return Invalid(path, "The value must be an object.");
        return CheckObject(value, m["ref"], path);
    }
    return std::nullopt;
}

std::optional<PoolBodyProblem> CheckObject(const Json& value, const std::string& def,
                                           const std::string& path) {
    const Json& members = Schema().at(def);
    for (const auto& [key, m] : members.items()) {
        if (m.value("req", false) && (!value.contains(key) || value[key].is_null()))
            return PoolBodyProblem{"MissingRequiredProperty", Join(path, key),
                                   "A required property was not specified."};
    }
    for (const auto& [key, v] : value.items()) {
        if (!members.contains(key) || v.is_null()) continue;
        if (auto p = CheckMember(v, members[key], def, key, Join(path, key))) return p;
    }
    return std::nullopt;
}

void StripSecrets(Json& value, const std::string& def) {
    if (!value.is_object() || !Schema().contains(def)) return;
    const Json& members = Schema().at(def);
    for (auto it = value.begin(); it != value.end();) {
        const std::string key = it.key();
        const Json* m = members.contains(key) ? &members[key] : nullptr;
        // VMExtension.protectedSettings carries secrets too; Batch does not return it (guess:
        // the spec does not mark it, but the VM extension API never returns it).
        if (m &&
            (m->value("secret", false) || (def == "VMExtension" && key == "protectedSettings"))) {
            it = value.erase(it);
            continue;
        }
        if (m && m->at("t") == "array" && m->at("items").contains("ref")) {
            for (auto& item : it.value()) StripSecrets(item, m->at("items")["ref"]);
        } else if (m && m->contains("ref")) {
            StripSecrets(it.value(), (*m)["ref"]);
        }
        ++it;
    }
}

void Default(Json& object, const char* key, Json value) {
    if (object.is_object() && !object.contains(key)) object[key] = std::move(value);
}

}  // namespace

std::optional<PoolBodyProblem> CheckPoolBody(const Json& body) {
    if (!body.is_object()) return Invalid("", "The request body must be a JSON object.");
    return CheckObject(body, "BatchPoolCreateOptions", "");
}

std::optional<PoolBodyProblem> CheckPoolPatchMembers(const Json& body) {
    if (!body.is_object()) return Invalid("", "The request body must be a JSON object.");
    const Json& members = Schema().at("BatchPoolCreateOptions");
    for (const auto& [key, v] : body.items()) {
        if (!members.contains(key) || v.is_null()) continue;
        if (auto p = CheckMember(v, members[key], "BatchPoolCreateOptions", key, key)) return p;
    }
    return std::nullopt;
}

Json PoolForGet(Json pool) {
    StripSecrets(pool, "BatchPoolCreateOptions");
    // Server defaults stated in the spec's descriptions (BatchService.json 2025-06-01.21.0).
    if (pool.contains("virtualMachineConfiguration")) {
        Json& vm = pool["virtualMachineConfiguration"];
        if (vm.contains("dataDisks") && vm["dataDisks"].is_array()) {
            for (auto& d : vm["dataDisks"]) {
                Default(d, "caching",
                        "readwrite");  // "The default value for caching is readwrite."
                Default(d, "storageAccountType", "standard_lrs");  // "the default is standard_lrs"
            }
        }
    }
    if (pool.contains("networkConfiguration")) {
        Json& net = pool["networkConfiguration"];
        Default(net, "dynamicVNetAssignmentScope", "none");
        Default(net, "enableAcceleratedNetworking", false);
        if (net.contains("publicIPAddressConfiguration"))
            Default(net["publicIPAddressConfiguration"], "provision", "batchmanaged");
    }
    if (pool.contains("userAccounts") && pool["userAccounts"].is_array())
        for (auto& u : pool["userAccounts"]) Default(u, "elevationLevel", "nonadmin");
    if (pool.contains("startTask") && pool["startTask"].contains("containerSettings"))
        Default(pool["startTask"]["containerSettings"], "workingDirectory", "taskWorkingDirectory");
    return pool;
}

}  // namespace pw::sim
