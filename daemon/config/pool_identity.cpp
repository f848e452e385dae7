// The pool's managed identities (`identity:`) and the rules tying them to the account's pool
// API and to every identityReference in the pool. Facts: BatchManagement.json 2025-06-01
// #/definitions/BatchPoolIdentity (type UserAssigned|None, userAssignedIdentities keyed by the
// identity's ARM id), #/definitions/ComputeNodeIdentityReference (resourceId: "The ARM
// resource id of the user assigned identity"); azure-contract.md 10: the data plane cannot set
// a pool identity, so a pool with identities needs `poolApi: arm`.
#include <algorithm>
#include <string>

#include "config/known_keys.hpp"
#include "config/pool_props.hpp"
#include "model/resource_id.hpp"

namespace pw::config::detail {

namespace {

// `/subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/
// userAssignedIdentities/{name}` (case-insensitive, as ARM ids are).
bool IsUserAssignedIdentityId(std::string_view id) {
    const std::string lower = model::Lower(id);
    std::vector<std::string> parts;
    std::size_t start = 1;
    if (lower.empty() || lower[0] != '/') return false;
    while (start <= lower.size()) {
        std::size_t slash = lower.find('/', start);
        if (slash == std::string::npos) slash = lower.size();
        parts.push_back(lower.substr(start, slash - start));
        start = slash + 1;
    }
    return parts.size() == 8 && parts[0] == "subscriptions" && !parts[1].empty() &&
           parts[2] == "resourcegroups" && !parts[3].empty() && parts[4] == "providers" &&
           parts[5] == "microsoft.managedidentity" && parts[6] == "userassignedidentities" &&
           !parts[7].empty() &&
           std::none_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); });
}

// Every `identityReference: {resourceId}` under `node`, at any depth.
void CollectReferences(const YamlNode& node, std::vector<const YamlNode*>& out) {
    for (const auto& [key, value] : node.entries) {
        if (key.value == "identityReference" && value.kind == YamlNode::Kind::Map) {
            if (const YamlNode* id = value.find("resourceId")) out.push_back(id);
            continue;
        }
        CollectReferences(value, out);
    }
    for (const auto& item : node.items) CollectReferences(item, out);
}

}  // namespace

void ParseIdentity(Checker& c, const YamlNode& node, model::PoolSpec& pool) {
    if (!c.IsMap(node)) return;
    c.CheckKeys(node, "pool.identity");
    c.Enum(c.Required(node, "type"), KnownEnums().at("identity.type"));
    const YamlNode* list = c.Required(node, "userAssignedIdentities");
    if (!list) return;
    if (list->kind != YamlNode::Kind::Sequence || list->items.empty()) {
        if (list->kind != YamlNode::Kind::Invalid)
            c.Error(*list, "expected a non-empty list of user-assigned identity resource ids");
        return;
    }
    for (const auto& item : list->items) {
        auto id = c.String(&item);
        if (!id) continue;
        if (!IsUserAssignedIdentityId(*id)) {
            c.Error(item,
                    "expected /subscriptions/SUB/resourceGroups/RG/providers/"
                    "Microsoft.ManagedIdentity/userAssignedIdentities/NAME");
            continue;
        }
        bool repeated = std::any_of(pool.identities.begin(), pool.identities.end(),
                                    [&](const std::string& s) { return model::IEquals(s, *id); });
        if (repeated)
            c.Error(item, "identity '" + *id + "' is listed twice");
        else
            pool.identities.push_back(*id);
    }
}

void CheckIdentityRules(Checker& c, const YamlNode& pool_node, const model::PoolSpec& pool,
                        const model::AccountSpec* account) {
    const YamlNode* identity = pool_node.find("identity");
    if (identity && account && account->pool_api != model::AccountSpec::PoolApi::Arm)
        c.Error(*identity,
                "a pool identity can only be set through Azure Resource Manager: set "
                "poolApi: arm on account '" +
                    account->name + "' in the daemon file");
    // Members ARM's pool model does not have (FieldSpec::arm "-": resourceTags,
    // targetNodeCommunicationMode are not in BatchManagement.json 2025-06-01 PoolProperties).
    if (account && account->pool_api == model::AccountSpec::PoolApi::Arm) {
        for (const auto& f : model::PoolFields().fields) {
            const YamlNode* n = f.arm == "-" ? pool_node.find(f.key) : nullptr;
            if (n)
                c.Error(*n, "ARM's pool model (Microsoft.Batch 2025-06-01) has no " +
                                std::string(f.key) +
                                ": remove it or use poolApi: batch on the account");
        }
    }
    std::vector<const YamlNode*> refs;
    CollectReferences(pool_node, refs);
    for (const YamlNode* ref : refs) {
        if (ref->kind != YamlNode::Kind::Scalar) continue;
        bool known =
            std::any_of(pool.identities.begin(), pool.identities.end(),
                        [&](const std::string& s) { return model::IEquals(s, ref->value); });
        if (known) continue;
        c.Error(*ref, pool.identities.empty()
                          ? "names no identity of this pool: declare it under identity: "
                            "{type: UserAssigned, userAssignedIdentities: [...]} (needs poolApi: "
                            "arm on the pool's account)"
                          : "names no identity of this pool: add it to "
                            "identity.userAssignedIdentities");
    }
}

}  // namespace pw::config::detail
