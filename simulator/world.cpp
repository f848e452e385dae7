#include "world.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <stdexcept>

namespace pw::sim {

namespace {

std::string Req(const Json& j, const char* key, const std::string& where) {
    if (!j.contains(key) || !j.at(key).is_string()) {
        throw std::runtime_error(where + "." + key + ": required string");
    }
    return j.at(key).get<std::string>();
}

std::string Opt(const Json& j, const char* key, std::string def = {}) {
    if (j.contains(key) && j.at(key).is_string()) return j.at(key).get<std::string>();
    return def;
}

std::int64_t OptInt(const Json& j, const char* key, std::int64_t def) {
    if (j.contains(key) && j.at(key).is_number_integer()) return j.at(key).get<std::int64_t>();
    return def;
}

std::string GalleryKey(const std::string& sub, const std::string& rg, const std::string& name) {
    return ToLower(sub) + "/" + ToLower(rg) + "/" + ToLower(name);
}

void AddResourceGroup(World& w, const std::string& sub, const std::string& rg) {
    const std::string key = ToLower(sub) + "/" + ToLower(rg);
    if (std::find(w.resource_groups.begin(), w.resource_groups.end(), key) ==
        w.resource_groups.end()) {
        w.resource_groups.push_back(key);
    }
}

/// `1.2.3` as numbers, for ordering versions (a malformed part counts as -1).
std::array<long long, 3> VersionTuple(const std::string& name) {
    std::array<long long, 3> out{-1, -1, -1};
    std::size_t pos = 0;
    for (auto& part : out) {
        if (pos > name.size()) break;
        const auto dot = name.find('.', pos);
        const std::string text = name.substr(pos, dot == std::string::npos ? dot : dot - pos);
        char* end = nullptr;
        const long long n = std::strtoll(text.c_str(), &end, 10);
        if (!text.empty() && *end == '\0') part = n;
        if (dot == std::string::npos) break;
        pos = dot + 1;
    }
    return out;
}

ImageVersion VersionFromJson(const Json& j, const std::string& where, double now) {
    ImageVersion v;
    v.name = Req(j, "name", where);
    v.location = Req(j, "location", where);
    v.tags = j.value("tags", Json());
    v.properties = j.value("properties", Json::object());
    v.published = now;
    Json& pp = v.properties["publishingProfile"];
    if (!pp.is_object()) pp = Json::object();
    const int default_count = static_cast<int>(OptInt(pp, "replicaCount", 1));
    const std::string default_sat = Opt(pp, "storageAccountType", "Standard_LRS");
    const Json repl = j.value("replication", Json::object());
    for (const auto& tr : pp.value("targetRegions", Json::array())) {
        TargetRegion r;
        r.name = Req(tr, "name", where + ".targetRegions[]");
        r.count = static_cast<int>(OptInt(tr, "regionalReplicaCount", default_count));
        r.storage_account_type = Opt(tr, "storageAccountType", default_sat);
        const std::string norm = NormalizeRegion(r.name);
        r.ready = repl.contains(norm) ? repl.at(norm).get<double>() : r.count;
        for (const auto& [k, val] : tr.items()) {
            if (k != "name" && k != "regionalReplicaCount" && k != "storageAccountType") {
                r.extra[k] = val;
            }
        }
        v.regions.push_back(r);
    }
    if (v.regions.empty()) {
        TargetRegion r;
        r.name = v.location;
        r.count = default_count;
        r.storage_account_type = default_sat;
        r.ready = r.count;
        v.regions.push_back(r);
    }
    pp.erase("targetRegions");
    if (!pp.contains("replicaCount")) pp["replicaCount"] = default_count;
    if (!pp.contains("storageAccountType")) pp["storageAccountType"] = default_sat;
    if (!pp.contains("excludeFromLatest")) pp["excludeFromLatest"] = false;
    if (pp.contains("publishedDate")) {
        if (auto t = ParseIsoTime(pp["publishedDate"].get<std::string>())) v.published = *t;
        pp.erase("publishedDate");
    }
    v.provisioning_state = Opt(j, "provisioningState", "Succeeded");
    v.unreadable = j.value("unreadable", false);
    return v;
}

Json VersionToJson(const ImageVersion& v) {
    Json props = v.properties;
    props["publishingProfile"]["targetRegions"] = TargetRegionsJson(v);
    props["publishingProfile"]["publishedDate"] = FormatIso(v.published);
    Json repl = Json::object();
    for (const auto& r : v.regions) repl[NormalizeRegion(r.name)] = r.ready;
    Json out = {{"name", v.name},
                {"location", v.location},
                {"properties", props},
                {"replication", repl},
                {"provisioningState", v.provisioning_state}};
    if (!v.tags.is_null()) out["tags"] = v.tags;
    if (v.unreadable) out["unreadable"] = true;
    return out;
}

}  // namespace

std::string VersionId(const Gallery& g, const ImageDefinition& d, const ImageVersion& v) {
    return "/subscriptions/" + g.subscription + "/resourceGroups/" + g.resource_group +
           "/providers/Microsoft.Compute/galleries/" + g.name + "/images/" + d.name + "/versions/" +
           v.name;
}

Json TargetRegionsJson(const ImageVersion& v) {
    Json arr = Json::array();
    for (const auto& r : v.regions) {
        Json o = {{"name", r.name},
                  {"regionalReplicaCount", r.count},
                  {"storageAccountType", r.storage_account_type}};
        for (const auto& [k, val] : r.extra.items()) o[k] = val;
        if (!o.contains("excludeFromLatest")) o["excludeFromLatest"] = false;
        arr.push_back(o);
    }
    return arr;
}

Pool PoolFromJson(const Json& j, double now) {
    Pool p;
    p.id = Req(j, "id", "pool");
    p.spec = j;
    static const char* kDynamic[] = {"url",
                                     "eTag",
                                     "lastModified",
                                     "creationTime",
                                     "state",
                                     "stateTransitionTime",
                                     "allocationState",
                                     "allocationStateTransitionTime",
                                     "resizeTimeout",
                                     "resizeErrors",
                                     "currentDedicatedNodes",
                                     "currentLowPriorityNodes",
                                     "targetDedicatedNodes",
                                     "targetLowPriorityNodes",
                                     "enableAutoScale",
                                     "autoScaleFormula",
                                     "autoScaleEvaluationInterval",
                                     "autoScaleRun",
                                     "currentNodeCommunicationMode",
                                     "odata.metadata"};
    for (const char* k : kDynamic) p.spec.erase(k);
    p.etag = Opt(j, "eTag", "0x8DC0000000000001");
    auto time_of = [&](const char* k) {
        if (j.contains(k) && j.at(k).is_string()) {
            if (auto t = ParseIsoTime(j.at(k).get<std::string>())) return *t;
        }
        return now;
    };
    p.creation_time = time_of("creationTime");
    p.last_modified = time_of("lastModified");
    p.state_time = time_of("stateTransitionTime");
    p.alloc_time = time_of("allocationStateTransitionTime");
    p.state = Opt(j, "state", "active");
    p.allocation_state = Opt(j, "allocationState", "steady");
    p.target_dedicated = static_cast<int>(OptInt(j, "targetDedicatedNodes", 0));
    p.target_low = static_cast<int>(OptInt(j, "targetLowPriorityNodes", 0));
    p.cur_dedicated = static_cast<double>(OptInt(j, "currentDedicatedNodes", p.target_dedicated));
    p.cur_low = static_cast<double>(OptInt(j, "currentLowPriorityNodes", p.target_low));
    if (auto d = ParseIsoDuration(Opt(j, "resizeTimeout", "PT15M"))) p.resize_timeout = *d;
    p.resize_errors = j.value("resizeErrors", Json::array());
    p.auto_scale = j.value("enableAutoScale", false);
    p.formula = Opt(j, "autoScaleFormula");
    if (auto d = ParseIsoDuration(Opt(j, "autoScaleEvaluationInterval", "PT15M"))) {
        p.eval_interval = *d;
    }
    p.autoscale_run = j.value("autoScaleRun", Json());
    p.resize_start = p.alloc_time;
    if (p.state == "deleting") p.delete_at = now + 60;
    if (p.allocation_state == "stopping") p.stop_at = now + 15;
    SeedNodes(p, now);
    return p;
}

Json PoolToJson(const Pool& p) {
    Json j = p.spec;
    j["id"] = p.id;
    if (j.contains("virtualMachineConfiguration") &&
        j["virtualMachineConfiguration"].contains("imageReference")) {
        Json& ref = j["virtualMachineConfiguration"]["imageReference"];
        if (ref.contains("publisher") && !ref.contains("version")) ref["version"] = "latest";
    }
    if (j.contains("startTask") && j["startTask"].is_object()) {
        Json& st = j["startTask"];
        if (!st.contains("userIdentity")) {
            st["userIdentity"] = {
                {"autoUser", {{"scope", "pool"}, {"elevationLevel", "nonadmin"}}}};
        }
        if (!st.contains("maxTaskRetryCount")) st["maxTaskRetryCount"] = 0;
        if (!st.contains("waitForSuccess")) st["waitForSuccess"] = true;
    }
    j["eTag"] = p.etag;
    j["lastModified"] = FormatIso(p.last_modified);
    j["creationTime"] = FormatIso(p.creation_time);
    j["state"] = p.state;
    j["stateTransitionTime"] = FormatIso(p.state_time);
    j["allocationState"] = p.allocation_state;
    j["allocationStateTransitionTime"] = FormatIso(p.alloc_time);
    if (!p.auto_scale) j["resizeTimeout"] = FormatIsoDuration(p.resize_timeout);
    if (p.allocation_state == "steady" && !p.resize_errors.empty()) {
        j["resizeErrors"] = p.resize_errors;
    }
    j["currentDedicatedNodes"] = static_cast<int>(std::floor(p.cur_dedicated));
    j["currentLowPriorityNodes"] = static_cast<int>(std::floor(p.cur_low));
    j["targetDedicatedNodes"] = p.target_dedicated;
    j["targetLowPriorityNodes"] = p.target_low;
    j["enableAutoScale"] = p.auto_scale;
    if (p.auto_scale) {
        j["autoScaleFormula"] = p.formula;
        j["autoScaleEvaluationInterval"] = FormatIsoDuration(p.eval_interval);
        if (!p.autoscale_run.is_null()) j["autoScaleRun"] = p.autoscale_run;
    }
    if (!j.contains("enableInterNodeCommunication")) j["enableInterNodeCommunication"] = false;
    if (!j.contains("taskSlotsPerNode")) j["taskSlotsPerNode"] = 1;
    if (!j.contains("taskSchedulingPolicy")) {
        j["taskSchedulingPolicy"] = {{"nodeFillType", "Spread"}};
    }
    if (!j.contains("targetNodeCommunicationMode")) j["targetNodeCommunicationMode"] = "default";
    j["currentNodeCommunicationMode"] = "simplified";
    return j;
}

World World::FromJson(const Json& j, double now) {
    if (!j.is_object()) throw std::runtime_error("world: expected a JSON object");
    World w;
    w.now = now;
    for (const auto& t : j.value("tenants", Json::array())) {
        Tenant tenant;
        tenant.id = ToLower(Req(t, "id", "tenants[]"));
        for (const auto& c : t.value("clients", Json::array())) {
            Client client;
            client.client_id = ToLower(Req(c, "clientId", "tenants[].clients[]"));
            client.secret = Opt(c, "secret");
            client.object_id = Opt(c, "objectId", client.client_id);
            client.federated = c.value("federated", false);
            tenant.clients.push_back(client);
        }
        w.tenants.push_back(tenant);
    }
    if (j.contains("managedIdentity")) {
        const auto& m = j.at("managedIdentity");
        w.managed_identity = ManagedIdentity{ToLower(Req(m, "clientId", "managedIdentity")),
                                             Opt(m, "objectId"), Opt(m, "tenantId")};
    }
    for (const auto& s : j.value("subscriptions", Json::array())) {
        const std::string id = ToLower(Req(s, "id", "subscriptions[]"));
        w.subscriptions[id] = ToLower(Opt(s, "tenantId"));
        const Json providers = s.value("providers", Json::object());
        for (const auto& [ns, state] : providers.items())
            w.provider_states[id][ToLower(ns)] = state.get<std::string>();
        for (const auto& rg : s.value("resourceGroups", Json::array())) {
            AddResourceGroup(w, id, rg.get<std::string>());
        }
    }
    for (const auto& g : j.value("galleries", Json::array())) {
        Gallery gal;
        gal.subscription = Req(g, "subscriptionId", "galleries[]");
        gal.resource_group = Req(g, "resourceGroup", "galleries[]");
        gal.name = Req(g, "name", "galleries[]");
        gal.location = Req(g, "location", "galleries[]");
        AddResourceGroup(w, gal.subscription, gal.resource_group);
        for (const auto& i : g.value("images", Json::array())) {
            ImageDefinition def;
            def.name = Req(i, "name", "galleries[].images[]");
            def.location = Opt(i, "location", gal.location);
            def.properties = i.value("properties", Json::object());
            const std::string where = "galleries[" + gal.name + "].images[" + def.name + "]";
            Req(def.properties, "osType", where + ".properties");
            Req(def.properties, "osState", where + ".properties");
            for (const auto& v : i.value("versions", Json::array())) {
                ImageVersion ver = VersionFromJson(v, where + ".versions[]", now);
                def.versions[ToLower(ver.name)] = ver;
            }
            gal.images[ToLower(def.name)] = def;
        }
        w.galleries[GalleryKey(gal.subscription, gal.resource_group, gal.name)] = gal;
    }
    for (const auto& n : j.value("virtualNetworks", Json::array())) {
        VirtualNetwork net;
        net.subscription = Req(n, "subscriptionId", "virtualNetworks[]");
        net.resource_group = Req(n, "resourceGroup", "virtualNetworks[]");
        net.name = Req(n, "name", "virtualNetworks[]");
        net.location = NormalizeRegion(Req(n, "location", "virtualNetworks[]"));
        for (const auto& sn : n.value("subnets", Json::array()))
            net.subnets.push_back(sn.get<std::string>());
        AddResourceGroup(w, net.subscription, net.resource_group);
        w.virtual_networks[GalleryKey(net.subscription, net.resource_group, net.name)] = net;
    }
    for (const auto& a : j.value("batchAccounts", Json::array())) {
        Account acc;
        acc.subscription = Req(a, "subscriptionId", "batchAccounts[]");
        acc.resource_group = Req(a, "resourceGroup", "batchAccounts[]");
        acc.name = ToLower(Req(a, "name", "batchAccounts[]"));
        acc.location = NormalizeRegion(Req(a, "location", "batchAccounts[]"));
        acc.allocation_mode = Opt(a, "poolAllocationMode", "BatchService");
        acc.dedicated_quota = OptInt(a, "dedicatedCoreQuota", 20000);
        acc.low_quota = OptInt(a, "lowPriorityCoreQuota", 10000);
        acc.pool_quota = OptInt(a, "poolQuota", 100);
        for (const auto& f : a.value("dedicatedCoreQuotaPerVMFamily", Json::array()))
            acc.family_quotas[Req(f, "name", "dedicatedCoreQuotaPerVMFamily[]")] =
                f.value("coreQuota", std::int64_t{0});
        acc.family_quota_enforced = a.value("dedicatedCoreQuotaPerVMFamilyEnforced", false);
        const Json keys = a.value("keys", Json::object());
        acc.primary_key = Opt(keys, "primary");
        acc.secondary_key = Opt(keys, "secondary");
        AddResourceGroup(w, acc.subscription, acc.resource_group);
        for (const auto& p : a.value("pools", Json::array())) {
            Pool pool = PoolFromJson(p, now);
            acc.pools[ToLower(pool.id)] = pool;
        }
        w.accounts[acc.name] = acc;
    }
    if (j.contains("model")) {
        const Json& m = j.at("model");
        w.model.replica_seconds = m.value("replicaSeconds", w.model.replica_seconds);
        w.model.boot_seconds = m.value("bootSeconds", w.model.boot_seconds);
        w.model.per_replica_rate =
            m.value("nodesPerMinutePerReplica", w.model.per_replica_rate * 60) / 60;
        w.model.pool_rate = m.value("nodesPerMinutePerPool", w.model.pool_rate * 60) / 60;
        w.model.lro_seconds = m.value("lroSeconds", w.model.lro_seconds);
        w.model.list_page_size = m.value("listPageSize", w.model.list_page_size);
        w.model.delete_seconds = m.value("poolDeleteSeconds", w.model.delete_seconds);
        w.model.node_creating_seconds =
            m.value("nodeCreatingSeconds", w.model.node_creating_seconds);
        w.model.node_starting_seconds =
            m.value("nodeStartingSeconds", w.model.node_starting_seconds);
        w.model.start_task_seconds = m.value("startTaskSeconds", w.model.start_task_seconds);
        w.model.node_leaving_seconds = m.value("nodeLeavingSeconds", w.model.node_leaving_seconds);
    }
    return w;
}

Json World::ToJson() const {
    Json j;
    j["now"] = FormatIso(now);
    Json tenant_arr = Json::array();
    for (const auto& t : tenants) {
        Json clients = Json::array();
        for (const auto& c : t.clients) {
            clients.push_back({{"clientId", c.client_id},
                               {"secret", c.secret},
                               {"objectId", c.object_id},
                               {"federated", c.federated}});
        }
        tenant_arr.push_back({{"id", t.id}, {"clients", clients}});
    }
    j["tenants"] = tenant_arr;
    if (managed_identity) {
        j["managedIdentity"] = {{"clientId", managed_identity->client_id},
                                {"objectId", managed_identity->object_id},
                                {"tenantId", managed_identity->tenant_id}};
    }
    Json subs = Json::array();
    for (const auto& [id, tenant] : subscriptions) {
        Json rgs = Json::array();
        for (const auto& rg : resource_groups) {
            if (rg.rfind(id + "/", 0) == 0) rgs.push_back(rg.substr(id.size() + 1));
        }
        Json sub = {{"id", id}, {"tenantId", tenant}, {"resourceGroups", rgs}};
        if (auto it = provider_states.find(id); it != provider_states.end())
            sub["providers"] = it->second;
        subs.push_back(std::move(sub));
    }
    j["subscriptions"] = subs;
    Json gals = Json::array();
    for (const auto& [key, g] : galleries) {
        Json images = Json::array();
        for (const auto& [ik, d] : g.images) {
            Json versions = Json::array();
            for (const auto& [vk, v] : d.versions) versions.push_back(VersionToJson(v));
            images.push_back({{"name", d.name},
                              {"location", d.location},
                              {"properties", d.properties},
                              {"versions", versions}});
        }
        gals.push_back({{"subscriptionId", g.subscription},
                        {"resourceGroup", g.resource_group},
                        {"name", g.name},
                        {"location", g.location},
                        {"images", images}});
    }
    j["galleries"] = gals;
    Json nets = Json::array();
    for (const auto& [key, n] : virtual_networks) {
        nets.push_back({{"subscriptionId", n.subscription},
                        {"resourceGroup", n.resource_group},
                        {"name", n.name},
                        {"location", n.location},
                        {"subnets", n.subnets}});
    }
    j["virtualNetworks"] = nets;
    Json accs = Json::array();
    for (const auto& [key, a] : accounts) {
        Json pools = Json::array();
        for (const auto& [pk, p] : a.pools) pools.push_back(PoolToJson(p));
        accs.push_back({{"subscriptionId", a.subscription},
                        {"resourceGroup", a.resource_group},
                        {"name", a.name},
                        {"location", a.location},
                        {"poolAllocationMode", a.allocation_mode},
                        {"dedicatedCoreQuota", a.dedicated_quota},
                        {"lowPriorityCoreQuota", a.low_quota},
                        {"poolQuota", a.pool_quota},
                        {"dedicatedCoreQuotaPerVMFamily", FamilyQuotasJson(a)},
                        {"dedicatedCoreQuotaPerVMFamilyEnforced", a.family_quota_enforced},
                        {"keys", {{"primary", a.primary_key}, {"secondary", a.secondary_key}}},
                        {"pools", pools}});
    }
    j["batchAccounts"] = accs;
    j["model"] = {{"replicaSeconds", model.replica_seconds},
                  {"bootSeconds", model.boot_seconds},
                  {"nodesPerMinutePerReplica", model.per_replica_rate * 60},
                  {"nodesPerMinutePerPool", model.pool_rate * 60},
                  {"lroSeconds", model.lro_seconds},
                  {"listPageSize", model.list_page_size},
                  {"poolDeleteSeconds", model.delete_seconds},
                  {"nodeCreatingSeconds", model.node_creating_seconds},
                  {"nodeStartingSeconds", model.node_starting_seconds},
                  {"startTaskSeconds", model.start_task_seconds},
                  {"nodeLeavingSeconds", model.node_leaving_seconds}};
    return j;
}

std::string World::NextEtag() {
    ++etag_seq_;
    char buf[32];
    std::snprintf(
        buf, sizeof buf, "0x8DC%013llX",
        static_cast<unsigned long long>(static_cast<std::uint64_t>(now * 1000) * 16 + etag_seq_));
    return buf;
}

const ImageVersion* World::FindVersionById(const std::string& id, const std::string& region) const {
    return const_cast<World*>(this)->FindVersionById(id, region);
}

ImageVersion* World::FindVersionById(const std::string& id, const std::string& region) {
    const std::string lid = ToLower(id);
    for (auto& [gk, g] : galleries) {
        for (auto& [dk, d] : g.images) {
            const std::string def_id =
                ToLower("/subscriptions/" + g.subscription + "/resourceGroups/" + g.resource_group +
                        "/providers/Microsoft.Compute/galleries/" + g.name + "/images/" + d.name);
            if (lid == def_id) {
                ImageVersion* latest = nullptr;
                for (auto& [vk, v] : d.versions) {
                    if (v.properties.value("publishingProfile", Json::object())
                            .value("excludeFromLatest", false)) {
                        continue;
                    }
                    // Microsoft Learn ("Store and share images in an Azure Compute
                    // Gallery"): latest is the highest MajorVersion, then MinorVersion, then
                    // Patch. Skipping versions not Succeeded: guess (as the daemon).
                    if (v.provisioning_state != "Succeeded") continue;
                    // targetRegions[].excludeFromLatest hides it in that region (gallery.json
                    // 2023-07-03 TargetRegion).
                    if (std::any_of(v.regions.begin(), v.regions.end(), [&](const auto& r) {
                            return !region.empty() && NormalizeRegion(r.name) == region &&
                                   r.extra.value("excludeFromLatest", false);
                        }))
                        continue;
                    if (latest == nullptr || VersionTuple(latest->name) < VersionTuple(v.name))
                        latest = &v;
                }
                return latest;
            }
            if (lid.rfind(def_id + "/versions/", 0) == 0) {
                auto it = d.versions.find(lid.substr(def_id.size() + 10));
                return it == d.versions.end() ? nullptr : &it->second;
            }
        }
    }
    return nullptr;
}

const ImageDefinition* World::FindDefinitionForVersionId(const std::string& id) const {
    const std::string lid = ToLower(id);
    for (const auto& [gk, g] : galleries) {
        for (const auto& [dk, d] : g.images) {
            const std::string def_id =
                ToLower("/subscriptions/" + g.subscription + "/resourceGroups/" + g.resource_group +
                        "/providers/Microsoft.Compute/galleries/" + g.name + "/images/" + d.name);
            if (lid == def_id || lid.rfind(def_id + "/versions/", 0) == 0) return &d;
        }
    }
    return nullptr;
}

std::string World::SubnetProblem(const Account& account, const std::string& subnet_id) const {
    // The form, subscription and region rules are BatchService.json 2025-06-01.21.0
    // NetworkConfiguration.subnetId's; the wording of the refusal is a guess.
    static const std::regex kSubnet(
        R"(^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Network/)"
        R"(virtualNetworks/([^/]+)/subnets/([^/]+)$)",
        std::regex::icase);
    std::smatch m;
    if (!std::regex_match(subnet_id, m, kSubnet)) {
        return "The subnetId must be of the form /subscriptions/{subscription}/resourceGroups/"
               "{group}/providers/Microsoft.Network/virtualNetworks/{network}/subnets/{subnet}.";
    }
    if (ToLower(m[1].str()) != ToLower(account.subscription))
        return "The virtual network must be in the same subscription as the Batch account.";
    auto it = virtual_networks.find(GalleryKey(m[1].str(), m[2].str(), m[3].str()));
    const std::string subnet = ToLower(m[4].str());
    if (it == virtual_networks.end() ||
        std::none_of(it->second.subnets.begin(), it->second.subnets.end(),
                     [&](const std::string& s) { return ToLower(s) == subnet; })) {
        return "The specified subnet '" + subnet_id + "' does not exist.";
    }
    if (it->second.location != account.location)
        return "The virtual network must be in the same region as the Batch account ('" +
               account.location + "').";
    return "";
}

}  // namespace pw::sim
