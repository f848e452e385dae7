// Cross-field rules of Batch's pool model, each as the 2025-06-01.21.0 BatchService.json
// describes it (definition and member named in each function's comment).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "config/pool_props.hpp"

namespace pw::config::detail {
namespace {

using model::PropValue;

const YamlNode* Path(const YamlNode* n, std::initializer_list<std::string_view> keys) {
    for (auto k : keys) {
        if (!n) return nullptr;
        n = n->find(k);
    }
    return n;
}

std::string Names(std::initializer_list<std::string_view> keys) {
    std::string out;
    std::size_t i = 0;
    for (auto k : keys) {
        out += (i == 0 ? "" : (i + 1 == keys.size() ? " or " : ", ")) + std::string(k);
        ++i;
    }
    return out;
}

int CountSet(const PropValue& v, std::initializer_list<std::string_view> keys) {
    int n = 0;
    for (auto k : keys) n += v.find(k) ? 1 : 0;
    return n;
}

void ExactlyOne(Checker& c, const YamlNode& node, const PropValue& v,
                std::initializer_list<std::string_view> keys) {
    int n = CountSet(v, keys);
    if (n == 0) c.Error(node, "set one of " + Names(keys));
    if (n > 1) c.Error(node, "set only one of " + Names(keys) + ", not several");
}

// MountConfiguration ("The file system to mount on each node"): each of the four members "is
// mutually exclusive with all other properties"; one is needed for there to be a mount.
void MountHasOneFileSystem(Checker& c, const YamlNode& node, const PropValue& v) {
    ExactlyOne(c, node, v,
               {"azureBlobFileSystemConfiguration", "nfsMountConfiguration",
                "cifsMountConfiguration", "azureFileShareConfiguration"});
}

// AzureBlobFileSystemConfiguration.accountKey/sasKey/identityReference: "mutually exclusive
// ...; exactly one must be specified".
void BlobfuseHasOneCredential(Checker& c, const YamlNode& node, const PropValue& v) {
    ExactlyOne(c, node, v, {"accountKeyFile", "sasKeyFile", "identityReference"});
}

// ResourceFile: autoStorageContainerName, storageContainerUrl and httpUrl "are mutually
// exclusive and one of them must be specified"; with httpUrl "the filePath is required";
// blobPrefix "is valid only when autoStorageContainerName or storageContainerUrl is used".
void ResourceFileHasOneSource(Checker& c, const YamlNode& node, const PropValue& v) {
    ExactlyOne(c, node, v, {"autoStorageContainerName", "storageContainerUrl", "httpUrl"});
    if (v.find("httpUrl") && !v.find("filePath"))
        c.ErrorAt(node, JoinPath(node.path, "filePath"), "required with httpUrl");
    if (v.find("httpUrl") && v.find("blobPrefix"))
        c.Error(*node.find("blobPrefix"),
                "only used with autoStorageContainerName or storageContainerUrl");
}

// UserIdentity: "The userName and autoUser properties are mutually exclusive; you must specify
// one but not both."
void UserIdentityHasOne(Checker& c, const YamlNode& node, const PropValue& v) {
    ExactlyOne(c, node, v, {"userName", "autoUser"});
}

// ContainerRegistryReference: username and password log in; identityReference is used
// "instead of username and password" (requiring them together is a guess: the spec marks
// neither required).
void RegistryCredentialsTogether(Checker& c, const YamlNode& node, const PropValue& v) {
    bool user = v.find("username"), password = v.find("passwordFile");
    if (v.find("identityReference") && (user || password))
        c.Error(node, "set username/passwordFile or identityReference, not both");
    else if (user && !password)
        c.ErrorAt(node, JoinPath(node.path, "passwordFile"), "required with username");
    else if (password && !user)
        c.ErrorAt(node, JoinPath(node.path, "username"), "required with passwordFile");
}

// SecurityProfile.securityType: "It has to be set to any specified value to enable
// UefiSettings."
void UefiNeedsSecurityType(Checker& c, const YamlNode& node, const PropValue& v) {
    if (v.find("uefiSettings") && !v.find("securityType"))
        c.ErrorAt(node, JoinPath(node.path, "securityType"), "required with uefiSettings");
}

// BatchPublicIpAddressConfiguration.ipAddressIds: "The list of public IPs which the Batch
// service will use when provisioning Compute Nodes", i.e. provision usermanaged (guess: the
// spec does not tie the two explicitly).
void IpAddressIdsNeedUserManaged(Checker& c, const YamlNode& node, const PropValue& v) {
    const PropValue* provision = v.find("provision");
    bool user = provision && provision->text == "usermanaged";
    if (v.find("ipAddressIds") && !user)
        c.Error(*node.find("ipAddressIds"), "only used with provision: usermanaged");
    if (user && !v.find("ipAddressIds"))
        c.ErrorAt(node, JoinPath(node.path, "ipAddressIds"),
                  "required with provision: usermanaged");
}

// LinuxUserConfiguration.uid/gid: "must be specified together or not at all".
void UidAndGidTogether(Checker& c, const YamlNode& node, const PropValue& v) {
    if (CountSet(v, {"uid", "gid"}) == 1) c.Error(node, "set uid and gid together or not at all");
}

// BatchInboundNatPool: backendPort "between 1 and 65535 except for 29876 and 29877";
// frontend ports "between 1 and 65534 except ports from 50000 to 55000"; "Each range must
// contain at least 40 ports".
void NatPoolPorts(Checker& c, const YamlNode& node, const PropValue& v) {
    auto backend = v.find("backendPort")->integer;
    if (backend == 29876 || backend == 29877)
        c.Error(*node.find("backendPort"), "ports 29876 and 29877 are reserved by Batch");
    auto start = v.find("frontendPortRangeStart")->integer;
    auto end = v.find("frontendPortRangeEnd")->integer;
    if (start <= 55000 && end >= 50000)
        c.Error(node, "frontend ports 50000-55000 are reserved by Batch");
    else if (end - start + 1 < 40)
        c.Error(node, "the frontend port range " + std::to_string(start) + "-" +
                          std::to_string(end) + " has " + std::to_string(end - start + 1) +
                          " ports; Batch needs at least 40");
}

/// Reports the second and later items of `list` whose `key` (under `inner`, when given) repeats.
void Unique(Checker& c, const YamlNode* list, const PropValue* value, std::string_view key,
            std::string_view what, std::string_view inner = "") {
    if (!list || !value) return;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < value->items.size() && i < list->items.size(); ++i) {
        const PropValue* item = &value->items[i];
        const YamlNode* node = &list->items[i];
        if (!inner.empty()) {
            for (const auto& m : item->members) {
                item = &m.value;
                node = node->find(m.key);
                break;
            }
        }
        const PropValue* v = item->find(key);
        if (!v || !node) continue;
        std::string text = v->kind == PropValue::Kind::Int ? std::to_string(v->integer) : v->text;
        if (!seen.insert(text).second)
            c.Error(*node->find(key), std::string(what) + " '" + text + "' is used twice");
    }
}

// DataDisk.lun: "If attaching multiple disks, each should have a distinct logicalUnitNumber";
// VMExtension.provisionAfterExtensions is a "Collection of extension names after which this
// extension needs to be provisioned", so it names extensions of the pool, and extension names
// are unique (guess: the spec does not say so).
void VmConfigurationLists(Checker& c, const YamlNode& node, const PropValue& v) {
    Unique(c, node.find("dataDisks"), v.find("dataDisks"), "lun", "lun");
    Unique(c, node.find("extensions"), v.find("extensions"), "name", "extension name");
    const PropValue* ext = v.find("extensions");
    if (!ext) return;
    std::set<std::string> names;
    for (const auto& e : ext->items) names.insert(e.find("name")->text);
    const YamlNode* list = node.find("extensions");
    for (std::size_t i = 0; i < ext->items.size(); ++i) {
        const PropValue* after = ext->items[i].find("provisionAfterExtensions");
        if (!after) continue;
        const YamlNode* after_node = list->items[i].find("provisionAfterExtensions");
        for (std::size_t j = 0; j < after->items.size(); ++j)
            if (!names.count(after->items[j].text))
                c.Error(after_node->items[j],
                        "no extension named '" + after->items[j].text + "' in this pool");
    }
}

struct ObjectRule {
    std::string_view object;
    void (*check)(Checker&, const YamlNode&, const PropValue&);
};

constexpr ObjectRule kObjectRules[] = {
    {"mountConfiguration", MountHasOneFileSystem},
    {"azureBlobFileSystemConfiguration", BlobfuseHasOneCredential},
    {"resourceFile", ResourceFileHasOneSource},
    {"userIdentity", UserIdentityHasOne},
    {"containerRegistry", RegistryCredentialsTogether},
    {"securityProfile", UefiNeedsSecurityType},
    {"publicIPAddressConfiguration", IpAddressIdsNeedUserManaged},
    {"linuxUserConfiguration", UidAndGidTogether},
    {"inboundNATPool", NatPoolPorts},
    {"virtualMachineConfiguration", VmConfigurationLists},
};

// MountConfiguration: every file system mounts under its own relativeMountPath (two mounts on
// one path would hide each other; guess: Batch's spec does not state it).
void UniqueMountPaths(Checker& c, const YamlNode& pool_node, const model::PoolSpec& pool) {
    Unique(c, pool_node.find("mountConfiguration"), pool.properties.find("mountConfiguration"),
           "relativeMountPath", "relativeMountPath", "*");
}

// UserAccount names are the accounts' identities on the node.
void UniqueUserNames(Checker& c, const YamlNode& pool_node, const model::PoolSpec& pool) {
    Unique(c, pool_node.find("userAccounts"), pool.properties.find("userAccounts"), "name",
           "user name");
}

// BatchInboundNatPool.name and backendPort "must be unique within a Batch Pool"; NSG rule
// priorities "within a Pool must be unique"; "The maximum number of rules that can be specified
// across all the endpoints on a Batch Pool is 25"; frontend ranges "must be distinct and
// cannot overlap".
void EndpointsAcrossPool(Checker& c, const YamlNode& pool_node, const model::PoolSpec& pool) {
    const YamlNode* list =
        Path(&pool_node, {"networkConfiguration", "endpointConfiguration", "inboundNATPools"});
    const PropValue* net = pool.properties.find("networkConfiguration");
    const PropValue* endpoints = net ? net->find("endpointConfiguration") : nullptr;
    const PropValue* nat = endpoints ? endpoints->find("inboundNATPools") : nullptr;
    if (!list || !nat) return;
    // BatchPoolEndpointConfiguration.inboundNATPools: "This cannot be specified if the
    // IPAddressProvisioningType is NoPublicIPAddresses."
    const PropValue* ip = net->find("publicIPAddressConfiguration");
    const PropValue* provision = ip ? ip->find("provision") : nullptr;
    if (provision && provision->text == "nopublicipaddresses") {
        c.Error(*Path(&pool_node, {"networkConfiguration", "endpointConfiguration"}),
                "inbound NAT pools need public IP addresses; publicIPAddressConfiguration."
                "provision is nopublicipaddresses");
        return;
    }
    Unique(c, list, nat, "name", "inbound NAT pool name");
    Unique(c, list, nat, "backendPort", "backendPort");
    std::set<std::int64_t> priorities;
    std::size_t rules = 0;
    for (std::size_t i = 0; i < nat->items.size(); ++i) {
        const PropValue& p = nat->items[i];
        auto start = p.find("frontendPortRangeStart")->integer;
        auto end = p.find("frontendPortRangeEnd")->integer;
        for (std::size_t j = 0; j < i; ++j) {
            auto s2 = nat->items[j].find("frontendPortRangeStart")->integer;
            auto e2 = nat->items[j].find("frontendPortRangeEnd")->integer;
            if (start <= e2 && s2 <= end)
                c.Error(list->items[i],
                        "frontend port range overlaps that of " + nat->items[j].find("name")->text);
        }
        const PropValue* nsg = p.find("networkSecurityGroupRules");
        if (!nsg) continue;
        const YamlNode* nsg_list = list->items[i].find("networkSecurityGroupRules");
        for (std::size_t k = 0; k < nsg->items.size(); ++k) {
            ++rules;
            auto priority = nsg->items[k].find("priority")->integer;
            if (!priorities.insert(priority).second)
                c.Error(*nsg_list->items[k].find("priority"),
                        "priority " + std::to_string(priority) + " is used twice in this pool");
        }
    }
    if (rules > 25)
        c.Error(*list, "declares " + std::to_string(rules) +
                           " network security group rules; Batch allows at most 25 per pool");
}

// BatchTaskContainerSettings: "If the Pool that will run this Task has containerConfiguration
// set, this must be set as well. If the Pool that will run this Task doesn't have
// containerConfiguration set, this must not be set." (BatchStartTask.containerSettings).
void StartTaskContainer(Checker& c, const YamlNode& pool_node, const model::PoolSpec& pool) {
    if (!pool.start_task) return;
    const PropValue* vm = pool.properties.find("virtualMachineConfiguration");
    bool containers = vm && vm->find("containerConfiguration");
    bool settings = pool.start_task->properties.find("containerSettings");
    const YamlNode* task = pool_node.find("startTask");
    if (settings && !containers)
        c.Error(*task->find("containerSettings"),
                "needs virtualMachineConfiguration.containerConfiguration on the pool");
    if (containers && !settings)
        c.ErrorAt(*task, JoinPath(task->path, "containerSettings"),
                  "required: the pool has virtualMachineConfiguration.containerConfiguration");
}

// `elevated: true` is poolwarden's short form of userIdentity.autoUser {scope: pool,
// elevationLevel: admin}; both at once would be two identities.
void ElevatedOrUserIdentity(Checker& c, const YamlNode& pool_node, const model::PoolSpec& pool) {
    if (!pool.start_task || !pool.start_task->elevated) return;
    if (pool.start_task->properties.find("userIdentity"))
        c.Error(*Path(&pool_node, {"startTask", "userIdentity"}),
                "set either elevated or userIdentity, not both (elevated: true is userIdentity "
                "autoUser {scope: pool, elevationLevel: admin})");
}

// UserIdentity.username names one of the pool's userAccounts (guess: the spec says "the name
// of the user identity", and a Batch pool's only named users are its userAccounts).
void UserNameIsAnAccount(Checker& c, const YamlNode& pool_node, const model::PoolSpec& pool) {
    if (!pool.start_task) return;
    const PropValue* identity = pool.start_task->properties.find("userIdentity");
    const PropValue* user = identity ? identity->find("userName") : nullptr;
    if (!user) return;
    const PropValue* accounts = pool.properties.find("userAccounts");
    if (accounts)
        for (const auto& a : accounts->items)
            if (a.find("name")->text == user->text) return;
    c.Error(*Path(&pool_node, {"startTask", "userIdentity", "userName"}),
            "no user account named '" + user->text + "' in this pool's userAccounts");
}

constexpr void (*kPoolRules[])(Checker&, const YamlNode&, const model::PoolSpec&) = {
    UniqueMountPaths,   UniqueUserNames,        EndpointsAcrossPool,
    StartTaskContainer, ElevatedOrUserIdentity, UserNameIsAnAccount,
};

}  // namespace

void CheckObjectRules(Checker& c, const model::ObjectSpec& spec, const YamlNode& node,
                      const PropValue& value) {
    for (const auto& rule : kObjectRules)
        if (rule.object == spec.name) rule.check(c, node, value);
}

void CheckPoolRules(Checker& c, const YamlNode& pool_node, const model::PoolSpec& pool) {
    for (auto rule : kPoolRules) rule(c, pool_node, pool);
}

}  // namespace pw::config::detail
