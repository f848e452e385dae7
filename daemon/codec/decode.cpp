#include "codec/decode.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <memory>
#include <nlohmann/json.hpp>

#include "codec/json_text.hpp"
#include "model/duration.hpp"
#include "model/resource_id.hpp"

namespace pw::codec {
namespace {

using Json = nlohmann::json;

std::string Field(const std::string& path, std::string_view key) {
    bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '$';
    });
    if (!plain) return path + "[" + Json(std::string(key)).dump() + "]";
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string Index(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
}

std::string_view TypeName(const Json& j) {
    if (j.is_number_integer()) return "integer";
    if (j.is_number()) return "number";
    return j.type_name();
}

/// Records the first error; readers return empty values once it is set.
class Reader {
  public:
    bool failed() const { return !error_.empty(); }
    std::string take_error() { return std::move(error_); }

    void Fail(const std::string& path, std::string_view what) {
        if (!error_.empty()) return;
        error_ = path.empty() ? std::string(what) : path + ": " + std::string(what);
    }

    void Expected(const std::string& path, std::string_view want, const Json& got) {
        Fail(path, "expected " + std::string(want) + ", got " + std::string(TypeName(got)));
    }

    /// The member, or nullptr when absent or null (a missing required one is an error).
    const Json* Member(const Json& obj, std::string_view key, const std::string& path,
                       bool required) {
        auto it = obj.find(key);
        if (it == obj.end() || it->is_null()) {
            if (required) Fail(Field(path, key), "required member missing");
            return nullptr;
        }
        return &*it;
    }

    const Json* Object(const Json& obj, std::string_view key, const std::string& path,
                       bool required = false) {
        const Json* m = Member(obj, key, path, required);
        if (m && !m->is_object()) {
            Expected(Field(path, key), "object", *m);
            return nullptr;
        }
        return m;
    }

    const Json* Array(const Json& obj, std::string_view key, const std::string& path,
                      bool required = false) {
        const Json* m = Member(obj, key, path, required);
        if (m && !m->is_array()) {
            Expected(Field(path, key), "array", *m);
            return nullptr;
        }
        return m;
    }

    std::optional<std::string> String(const Json& obj, std::string_view key,
                                      const std::string& path, bool required = false) {
        const Json* m = Member(obj, key, path, required);
        if (!m) return std::nullopt;
        if (!m->is_string()) {
            Expected(Field(path, key), "string", *m);
            return std::nullopt;
        }
        return m->get<std::string>();
    }

    std::optional<int> Int(const Json& obj, std::string_view key, const std::string& path,
                           bool required = false) {
        const Json* m = Member(obj, key, path, required);
        if (!m) return std::nullopt;
        if (!m->is_number_integer()) {
            Expected(Field(path, key), "integer", *m);
            return std::nullopt;
        }
        if (m->is_number_unsigned()) {
            auto u = m->get<unsigned long long>();
            if (u <= static_cast<unsigned long long>(INT_MAX)) return static_cast<int>(u);
        } else {
            auto s = m->get<long long>();
            if (s >= INT_MIN && s <= INT_MAX) return static_cast<int>(s);
        }
        Fail(Field(path, key), "integer out of 32-bit range");
        return std::nullopt;
    }

    std::optional<bool> Bool(const Json& obj, std::string_view key, const std::string& path,
                             bool required = false) {
        const Json* m = Member(obj, key, path, required);
        if (!m) return std::nullopt;
        if (!m->is_boolean()) {
            Expected(Field(path, key), "boolean", *m);
            return std::nullopt;
        }
        return m->get<bool>();
    }

    std::optional<model::Seconds> Duration(const Json& obj, std::string_view key,
                                           const std::string& path) {
        auto text = String(obj, key, path);
        if (!text) return std::nullopt;
        auto d = model::ParseDuration(*text);
        if (!d) Fail(Field(path, key), "expected ISO-8601 duration, got \"" + *text + "\"");
        return d;
    }

    bool IsObject(const Json& j, const std::string& path) {
        if (j.is_object()) return true;
        Expected(path, "object", j);
        return false;
    }

  private:
    std::string error_;
};

std::optional<Json> Parse(std::string_view body, std::string& error) {
    if (auto why = detail::NotJson(body)) {
        error = std::move(*why);
        return std::nullopt;
    }
    try {
        return Json::parse(body);
    } catch (const Json::exception& e) {
        error = detail::InvalidJson(e.what());
        return std::nullopt;
    }
}

/// Parses `body` and runs `decode(reader, json)`, turning any error into a value.
template <class T, class F>
Decoded<T> Run(std::string_view body, F decode) {
    std::string error;
    auto json = Parse(body, error);
    if (!json) return pw::Err{std::move(error)};
    try {
        Reader reader;
        T out = decode(reader, *json);
        if (reader.failed()) return pw::Err{reader.take_error()};
        return out;
    } catch (const std::exception& e) {
        return pw::Err{std::string("cannot decode: ") + e.what()};
    }
}

std::map<std::string, std::string> ReadNameValues(Reader& r, const Json& list,
                                                  const std::string& path) {
    std::map<std::string, std::string> out;
    for (std::size_t i = 0; i < list.size(); ++i) {
        auto p = Index(path, i);
        if (!r.IsObject(list[i], p)) break;
        auto name = r.String(list[i], "name", p, true);
        auto value = r.String(list[i], "value", p);
        if (r.failed()) break;
        out[*name] = value.value_or("");
    }
    return out;
}

std::optional<model::StartTask> ReadStartTask(Reader& r, const Json& pool,
                                              const std::string& path) {
    const Json* st = r.Object(pool, "startTask", path);
    if (!st) return std::nullopt;
    auto p = Field(path, "startTask");
    model::StartTask task;
    task.command_line = r.String(*st, "commandLine", p, true).value_or("");
    task.wait_for_success = r.Bool(*st, "waitForSuccess", p).value_or(true);
    task.max_task_retry_count = r.Int(*st, "maxTaskRetryCount", p).value_or(0);
    if (const Json* env = r.Array(*st, "environmentSettings", p))
        task.environment = ReadNameValues(r, *env, Field(p, "environmentSettings"));
    if (const Json* ui = r.Object(*st, "userIdentity", p)) {
        auto uip = Field(p, "userIdentity");
        if (const Json* au = r.Object(*ui, "autoUser", uip)) {
            auto level = r.String(*au, "elevationLevel", Field(uip, "autoUser"));
            task.elevated = level && model::IEquals(*level, "admin");
        }
    }
    return task;
}

model::ObservedPool ReadPool(Reader& r, const Json& j, const std::string& path) {
    model::ObservedPool pool;
    if (!r.IsObject(j, path)) return pool;
    pool.id = r.String(j, "id", path, true).value_or("");
    pool.e_tag = r.String(j, "eTag", path).value_or("");
    pool.state = r.String(j, "state", path).value_or("active");
    pool.allocation_state = r.String(j, "allocationState", path).value_or("steady");
    pool.vm_size = r.String(j, "vmSize", path).value_or("");
    if (const Json* vmc = r.Object(j, "virtualMachineConfiguration", path)) {
        auto vp = Field(path, "virtualMachineConfiguration");
        if (const Json* ir = r.Object(*vmc, "imageReference", vp))
            pool.virtual_machine_image_id =
                r.String(*ir, "virtualMachineImageId", Field(vp, "imageReference")).value_or("");
        pool.node_agent_sku_id = r.String(*vmc, "nodeAgentSKUId", vp).value_or("");
    }
    pool.target_dedicated_nodes = r.Int(j, "targetDedicatedNodes", path).value_or(0);
    pool.target_low_priority_nodes = r.Int(j, "targetLowPriorityNodes", path).value_or(0);
    pool.current_dedicated_nodes = r.Int(j, "currentDedicatedNodes", path).value_or(0);
    pool.current_low_priority_nodes = r.Int(j, "currentLowPriorityNodes", path).value_or(0);
    pool.enable_auto_scale = r.Bool(j, "enableAutoScale", path).value_or(false);
    pool.auto_scale_formula = r.String(j, "autoScaleFormula", path).value_or("");
    pool.auto_scale_evaluation_interval = r.Duration(j, "autoScaleEvaluationInterval", path);
    pool.resize_timeout = r.Duration(j, "resizeTimeout", path);
    if (const Json* errors = r.Array(j, "resizeErrors", path)) {
        auto ep = Field(path, "resizeErrors");
        for (std::size_t i = 0; i < errors->size() && !r.failed(); ++i) {
            auto p = Index(ep, i);
            if (!r.IsObject((*errors)[i], p)) break;
            model::ResizeError e;
            e.code = r.String((*errors)[i], "code", p).value_or("");
            e.message = r.String((*errors)[i], "message", p).value_or("");
            pool.resize_errors.push_back(std::move(e));
        }
    }
    pool.task_slots_per_node = r.Int(j, "taskSlotsPerNode", path).value_or(1);
    pool.start_task = ReadStartTask(r, j, path);
    if (const Json* md = r.Array(j, "metadata", path))
        pool.metadata = ReadNameValues(r, *md, Field(path, "metadata"));
    return pool;
}

/// Deepest nesting kept in a target region's unknown members (Azure's own, such as
/// `encryption.osDiskImage.securityProfile`, are a few levels deep).
constexpr std::size_t kMaxOtherMemberDepth = 32;

/// True when `j` nests deeper than `limit` levels; iterative, so any depth is safe to test.
bool DeeperThan(const Json& j, std::size_t limit) {
    std::vector<std::pair<const Json*, std::size_t>> todo{{&j, 1}};
    while (!todo.empty()) {
        auto [node, depth] = todo.back();
        todo.pop_back();
        if (!node->is_structured()) continue;
        if (depth > limit) return true;
        for (const auto& child : *node) todo.emplace_back(&child, depth + 1);
    }
    return false;
}

/// A target region's members other than the three poolwarden reads, as JSON object text
/// ("" when none), kept to send back unchanged. Copying and printing JSON recurse, so a member
/// nested deeper than kMaxOtherMemberDepth is a decode error instead of a stack overflow.
std::string OtherMembers(Reader& r, const Json& region, const std::string& path) {
    Json others = Json::object();
    for (const auto& [key, value] : region.items()) {
        if (key == "name" || key == "regionalReplicaCount" || key == "storageAccountType") continue;
        if (DeeperThan(value, kMaxOtherMemberDepth)) {
            r.Fail(Field(path, key),
                   "nested deeper than " + std::to_string(kMaxOtherMemberDepth) + " levels");
            return {};
        }
        others[key] = value;
    }
    return others.empty() ? std::string() : others.dump();
}

model::ObservedImageVersion ReadImageVersion(Reader& r, const Json& j, const std::string& path) {
    model::ObservedImageVersion v;
    if (!r.IsObject(j, path)) return v;
    v.id = r.String(j, "id", path).value_or("");
    v.location = r.String(j, "location", path, true).value_or("");
    const Json* props = r.Object(j, "properties", path);
    if (!props) return v;
    auto pp = Field(path, "properties");
    v.provisioning_state = r.String(*props, "provisioningState", pp).value_or("");
    if (const Json* pub = r.Object(*props, "publishingProfile", pp)) {
        auto pubp = Field(pp, "publishingProfile");
        v.replica_count = r.Int(*pub, "replicaCount", pubp);
        v.storage_account_type = r.String(*pub, "storageAccountType", pubp).value_or("");
        if (const Json* regions = r.Array(*pub, "targetRegions", pubp)) {
            auto rp = Field(pubp, "targetRegions");
            for (std::size_t i = 0; i < regions->size() && !r.failed(); ++i) {
                auto p = Index(rp, i);
                const Json& e = (*regions)[i];
                if (!r.IsObject(e, p)) break;
                model::TargetRegion t;
                t.name = r.String(e, "name", p, true).value_or("");
                t.regional_replica_count =
                    r.Int(e, "regionalReplicaCount", p).value_or(v.replica_count.value_or(1));
                t.storage_account_type = r.String(e, "storageAccountType", p).value_or("");
                t.other_members = OtherMembers(r, e, p);
                v.target_regions.push_back(std::move(t));
            }
        }
    }
    if (const Json* rs = r.Object(*props, "replicationStatus", pp)) {
        auto rsp = Field(pp, "replicationStatus");
        v.aggregated_state = r.String(*rs, "aggregatedState", rsp).value_or("");
        if (const Json* summary = r.Array(*rs, "summary", rsp)) {
            auto sp = Field(rsp, "summary");
            for (std::size_t i = 0; i < summary->size() && !r.failed(); ++i) {
                auto p = Index(sp, i);
                const Json& e = (*summary)[i];
                if (!r.IsObject(e, p)) break;
                model::RegionReplication s;
                s.region = r.String(e, "region", p, true).value_or("");
                s.state = r.String(e, "state", p).value_or("Unknown");
                s.progress = r.Int(e, "progress", p).value_or(0);
                v.summary.push_back(std::move(s));
            }
        }
    }
    return v;
}

model::ObservedImage ReadImage(Reader& r, const Json& j, const std::string& path) {
    model::ObservedImage img;
    if (!r.IsObject(j, path)) return img;
    img.id = r.String(j, "id", path).value_or("");
    const Json* props = r.Object(j, "properties", path, true);
    if (!props) return img;
    auto pp = Field(path, "properties");
    img.os_type = r.String(*props, "osType", pp, true).value_or("");
    img.os_state = r.String(*props, "osState", pp, true).value_or("");
    img.hyper_v_generation = r.String(*props, "hyperVGeneration", pp).value_or("");
    // features[] {name, value} [GAL GalleryImageFeature]; SecurityType is the one read.
    if (const Json* features = r.Array(*props, "features", pp)) {
        for (std::size_t i = 0; i < features->size() && !r.failed(); ++i) {
            auto p = Index(Field(pp, "features"), i);
            if (!r.IsObject((*features)[i], p)) break;
            auto name = r.String((*features)[i], "name", p).value_or("");
            auto value = r.String((*features)[i], "value", p).value_or("");
            if (model::IEquals(name, "SecurityType")) img.security_type = value;
        }
    }
    return img;
}

std::string LowerText(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// SupportedSku[] [BM `#/definitions/SupportedSku`]: capability values are strings.
std::vector<model::VmSku> ReadSupportedSkus(Reader& r, const Json& list, const std::string& path) {
    std::vector<model::VmSku> out;
    for (std::size_t i = 0; i < list.size() && !r.failed(); ++i) {
        auto p = Index(path, i);
        const Json& e = list[i];
        if (!r.IsObject(e, p)) break;
        model::VmSku sku;
        sku.name = r.String(e, "name", p, true).value_or("");
        sku.family = r.String(e, "familyName", p).value_or("");
        if (const Json* caps = r.Array(e, "capabilities", p)) {
            for (std::size_t k = 0; k < caps->size() && !r.failed(); ++k) {
                auto cp = Index(Field(p, "capabilities"), k);
                if (!r.IsObject((*caps)[k], cp)) break;
                auto name = r.String((*caps)[k], "name", cp).value_or("");
                auto value = r.String((*caps)[k], "value", cp).value_or("");
                const bool yes = model::IEquals(value, "True");
                if (name == "vCPUs") {
                    int n = 0;
                    for (char c : value) {
                        if (c < '0' || c > '9' || n > 100000000) {
                            n = 0;
                            break;
                        }
                        n = n * 10 + (c - '0');
                    }
                    sku.vcpus = n;
                } else if (name == "HyperVGenerations") {
                    std::string part;
                    for (std::size_t c = 0; c <= value.size(); ++c) {
                        if (c == value.size() || value[c] == ',') {
                            while (!part.empty() && part.front() == ' ') part.erase(0, 1);
                            while (!part.empty() && part.back() == ' ') part.pop_back();
                            if (!part.empty()) sku.hyper_v_generations.push_back(part);
                            part.clear();
                        } else {
                            part += value[c];
                        }
                    }
                } else if (name == "LowPriorityCapable") {
                    sku.low_priority_capable = !model::IEquals(value, "False");
                } else if (name == "EphemeralOSDiskSupported") {
                    sku.ephemeral_os_disk_supported = yes;
                } else if (name == "TrustedLaunchDisabled") {
                    sku.trusted_launch_disabled = yes;
                } else if (name == "ConfidentialComputingType") {
                    sku.confidential_computing_type = value;
                }
            }
        }
        out.push_back(std::move(sku));
    }
    return out;
}

/// dedicatedCoreQuotaPerVMFamily / ...Enforced / poolQuota of BatchAccountProperties [BM].
void ReadAccountQuotas(Reader& r, const Json& props, const std::string& path,
                       std::optional<int>& pool_quota, std::map<std::string, int>& family,
                       bool& enforced) {
    pool_quota = r.Int(props, "poolQuota", path);
    enforced = r.Bool(props, "dedicatedCoreQuotaPerVMFamilyEnforced", path).value_or(false);
    if (const Json* list = r.Array(props, "dedicatedCoreQuotaPerVMFamily", path)) {
        for (std::size_t i = 0; i < list->size() && !r.failed(); ++i) {
            auto p = Index(Field(path, "dedicatedCoreQuotaPerVMFamily"), i);
            if (!r.IsObject((*list)[i], p)) break;
            auto name = r.String((*list)[i], "name", p, true).value_or("");
            auto quota = r.Int((*list)[i], "coreQuota", p).value_or(0);
            if (!name.empty()) family[LowerText(name)] = quota;
        }
    }
}

std::vector<model::ObservedPool> ReadPoolArray(Reader& r, const Json& list,
                                               const std::string& path) {
    std::vector<model::ObservedPool> pools;
    for (std::size_t i = 0; i < list.size() && !r.failed(); ++i)
        pools.push_back(ReadPool(r, list[i], Index(path, i)));
    return pools;
}

/// The `value` of a GalleryImageVersionList: name, provisioningState, excludeFromLatest.
std::vector<model::ImageVersionListing> ReadVersionList(Reader& r, const Json& j,
                                                        const std::string& path) {
    std::vector<model::ImageVersionListing> out;
    const Json* values = r.Array(j, "value", path, true);
    if (!values) return out;
    auto vp = Field(path, "value");
    for (std::size_t i = 0; i < values->size() && !r.failed(); ++i) {
        auto p = Index(vp, i);
        const Json& e = (*values)[i];
        if (!r.IsObject(e, p)) break;
        model::ImageVersionListing v;
        v.name = r.String(e, "name", p, true).value_or("");
        if (const Json* props = r.Object(e, "properties", p)) {
            auto pp = Field(p, "properties");
            v.provisioning_state = r.String(*props, "provisioningState", pp).value_or("");
            if (const Json* pub = r.Object(*props, "publishingProfile", pp)) {
                const auto pubp = Field(pp, "publishingProfile");
                v.exclude_from_latest = r.Bool(*pub, "excludeFromLatest", pubp).value_or(false);
                const Json* regions = r.Array(*pub, "targetRegions", pubp);
                for (std::size_t k = 0; regions && k < regions->size(); ++k) {
                    const auto rp = Index(Field(pubp, "targetRegions"), k);
                    const Json& tr = (*regions)[k];
                    if (!r.IsObject(tr, rp)) break;
                    if (r.Bool(tr, "excludeFromLatest", rp).value_or(false))
                        v.regions_excluded_from_latest.push_back(
                            model::NormalizeRegion(r.String(tr, "name", rp, true).value_or("")));
                }
            }
        }
        out.push_back(std::move(v));
    }
    return out;
}

model::ObservedState ReadSnapshot(Reader& r, const Json& j) {
    model::ObservedState state;
    if (!r.IsObject(j, "")) return state;
    if (const Json* accounts = r.Object(j, "accounts", "")) {
        for (const auto& [name, body] : accounts->items()) {
            if (r.failed()) break;
            auto p = Field("accounts", name);
            if (!r.IsObject(body, p)) break;
            model::ObservedAccount account;
            account.location = r.String(body, "location", p, true).value_or("");
            account.endpoint = r.String(body, "endpoint", p).value_or("");
            account.dedicated_core_quota = r.Int(body, "dedicatedCoreQuota", p);
            account.low_priority_core_quota = r.Int(body, "lowPriorityCoreQuota", p);
            ReadAccountQuotas(r, body, p, account.pool_quota, account.family_core_quota,
                              account.family_quota_enforced);
            if (const Json* skus = r.Array(body, "virtualMachineSkus", p)) {
                auto table = std::make_shared<model::VmSkuTable>();
                for (auto& sku : ReadSupportedSkus(r, *skus, Field(p, "virtualMachineSkus")))
                    table->emplace(LowerText(sku.name), std::move(sku));
                account.vm_skus = std::move(table);
            }
            // Batch's supported images as `GET /supportedimages` lists them (ImageInformation[],
            // contract §1.8): nodeAgentSKUId and osType.
            if (const Json* images = r.Array(body, "supportedImages", p)) {
                auto table = std::make_shared<model::NodeAgentSkuTable>();
                for (std::size_t i = 0; i < images->size() && !r.failed(); ++i) {
                    const auto ip = Index(Field(p, "supportedImages"), i);
                    if (!r.IsObject((*images)[i], ip)) break;
                    auto id = r.String((*images)[i], "nodeAgentSKUId", ip, true).value_or("");
                    table->emplace(LowerText(id),
                                   r.String((*images)[i], "osType", ip).value_or(""));
                }
                account.node_agent_skus = std::move(table);
            }
            if (const Json* pools = r.Array(body, "pools", p))
                account.pools = ReadPoolArray(r, *pools, Field(p, "pools"));
            state.accounts[name] = std::move(account);
        }
    }
    if (const Json* versions = r.Object(j, "imageVersions", "")) {
        for (const auto& [id, body] : versions->items()) {
            if (r.failed()) break;
            auto v = ReadImageVersion(r, body, Field("imageVersions", id));
            if (v.id.empty()) v.id = id;
            state.image_versions[model::ResourceKey(id)] = std::move(v);
        }
    }
    if (const Json* images = r.Object(j, "images", "")) {
        for (const auto& [id, body] : images->items()) {
            if (r.failed()) break;
            auto img = ReadImage(r, body, Field("images", id));
            if (img.id.empty()) img.id = id;
            state.images[model::ResourceKey(id)] = std::move(img);
        }
    }
    // Subscription id -> the subscription as `GET /subscriptions/{id}` returns it (`tenantId`)
    // with `providers`: namespace -> the provider as `GET .../providers/{ns}` returns it
    // (`registrationState`) [contract §12].
    if (const Json* subs = r.Object(j, "subscriptions", "")) {
        for (const auto& [id, body] : subs->items()) {
            if (r.failed()) break;
            auto p = Field("subscriptions", id);
            if (!r.IsObject(body, p)) break;
            model::SubscriptionFacts facts;
            facts.tenant_id = r.String(body, "tenantId", p).value_or("");
            if (const Json* providers = r.Object(body, "providers", p)) {
                for (const auto& [ns, provider] : providers->items()) {
                    auto pp = Field(Field(p, "providers"), ns);
                    if (!r.IsObject(provider, pp)) break;
                    if (model::IEquals(ns, "Microsoft.Batch"))
                        facts.batch_registration_state =
                            r.String(provider, "registrationState", pp).value_or("");
                }
            }
            state.subscriptions[LowerText(id)] = std::move(facts);
        }
    }
    // Definition id -> its version list as ARM returns it (`{"value": [...]}`), for pools that
    // follow "latest".
    if (const Json* lists = r.Object(j, "imageVersionLists", "")) {
        for (const auto& [id, body] : lists->items()) {
            if (r.failed()) break;
            auto p = Field("imageVersionLists", id);
            if (!r.IsObject(body, p)) break;
            state.image_version_lists[model::ResourceKey(id)] = ReadVersionList(r, body, p);
        }
    }
    return state;
}

}  // namespace

Decoded<model::ObservedPool> DecodePool(std::string_view body) {
    return Run<model::ObservedPool>(body,
                                    [](Reader& r, const Json& j) { return ReadPool(r, j, ""); });
}

Decoded<PoolPage> detail::DecodePoolListDocument(std::string_view body) {
    return Run<PoolPage>(body, [](Reader& r, const Json& j) {
        PoolPage page;
        if (!r.IsObject(j, "")) return page;
        if (const Json* value = r.Array(j, "value", "", true))
            page.pools = ReadPoolArray(r, *value, "value");
        auto next = r.String(j, "odata.nextLink", "");
        if (next && !next->empty()) page.next_link = std::move(next);
        return page;
    });
}

Decoded<model::ObservedImageVersion> DecodeImageVersion(std::string_view body) {
    return Run<model::ObservedImageVersion>(body, [](Reader& r, const Json& j) {
        auto v = ReadImageVersion(r, j, "");
        // Azure always lists a version's target regions (at least its home region): planning
        // from an empty list would PATCH every other region's replicas away.
        if (!r.failed() && v.target_regions.empty())
            r.Fail("properties.publishingProfile.targetRegions", "required member missing");
        return v;
    });
}

Decoded<ImageVersionListPage> DecodeImageVersionListPage(std::string_view body) {
    return Run<ImageVersionListPage>(body, [](Reader& r, const Json& j) {
        ImageVersionListPage page;
        if (!r.IsObject(j, "")) return page;
        page.versions = ReadVersionList(r, j, "");
        auto next = r.String(j, "nextLink", "");
        if (next && !next->empty()) page.next_link = std::move(next);
        return page;
    });
}

Decoded<model::ObservedImage> DecodeImage(std::string_view body) {
    return Run<model::ObservedImage>(body,
                                     [](Reader& r, const Json& j) { return ReadImage(r, j, ""); });
}

Decoded<AccountJson> DecodeBatchAccount(std::string_view body) {
    return Run<AccountJson>(body, [](Reader& r, const Json& j) {
        AccountJson a;
        if (!r.IsObject(j, "")) return a;
        a.location = r.String(j, "location", "", true).value_or("");
        const Json* props = r.Object(j, "properties", "", true);
        if (!props) return a;
        a.account_endpoint = r.String(*props, "accountEndpoint", "properties", true).value_or("");
        a.pool_allocation_mode = r.String(*props, "poolAllocationMode", "properties").value_or("");
        a.dedicated_core_quota = r.Int(*props, "dedicatedCoreQuota", "properties");
        a.low_priority_core_quota = r.Int(*props, "lowPriorityCoreQuota", "properties");
        ReadAccountQuotas(r, *props, "properties", a.pool_quota, a.family_core_quota,
                          a.family_quota_enforced);
        return a;
    });
}

Decoded<SupportedSkuPage> DecodeSupportedSkuPage(std::string_view body) {
    return Run<SupportedSkuPage>(body, [](Reader& r, const Json& j) {
        SupportedSkuPage page;
        if (!r.IsObject(j, "")) return page;
        if (const Json* list = r.Array(j, "value", "", true))
            page.skus = ReadSupportedSkus(r, *list, "value");
        auto next = r.String(j, "nextLink", "");
        if (next && !next->empty()) page.next_link = std::move(next);
        return page;
    });
}

Decoded<BatchErrorJson> DecodeBatchError(std::string_view body) {
    return Run<BatchErrorJson>(body, [](Reader& r, const Json& j) {
        BatchErrorJson e;
        if (!r.IsObject(j, "")) return e;
        e.code = r.String(j, "code", "", true).value_or("");
        if (const Json* m = r.Member(j, "message", "", false)) {
            if (m->is_string())
                e.message = m->get<std::string>();
            else if (m->is_object())
                e.message = r.String(*m, "value", "message").value_or("");
            else
                r.Expected("message", "object", *m);
        }
        if (const Json* values = r.Array(j, "values", "")) {
            for (std::size_t i = 0; i < values->size() && !r.failed(); ++i) {
                auto p = Index("values", i);
                if (!r.IsObject((*values)[i], p)) break;
                auto key = r.String((*values)[i], "key", p).value_or("");
                auto value = r.String((*values)[i], "value", p).value_or("");
                e.values.emplace_back(std::move(key), std::move(value));
            }
        }
        return e;
    });
}

namespace {

/// The `error` object of an ARM error or operation status body.
ArmErrorJson ReadArmError(Reader& r, const Json& err, bool code_required) {
    ArmErrorJson e;
    e.code = r.String(err, "code", "error", code_required).value_or("");
    e.message = r.String(err, "message", "error").value_or("");
    e.target = r.String(err, "target", "error").value_or("");
    if (const Json* details = r.Array(err, "details", "error")) {
        for (std::size_t i = 0; i < details->size() && !r.failed(); ++i) {
            auto p = Index("error.details", i);
            const Json& d = (*details)[i];
            if (!r.IsObject(d, p)) break;
            ArmErrorDetail detail;
            detail.code = r.String(d, "code", p).value_or("");
            detail.target = r.String(d, "target", p).value_or("");
            detail.message = r.String(d, "message", p).value_or("");
            e.details.push_back(std::move(detail));
        }
    }
    return e;
}

}  // namespace

Decoded<ArmErrorJson> DecodeArmError(std::string_view body) {
    return Run<ArmErrorJson>(body, [](Reader& r, const Json& j) {
        if (!r.IsObject(j, "")) return ArmErrorJson{};
        const Json* err = r.Object(j, "error", "", true);
        if (!err) return ArmErrorJson{};
        return ReadArmError(r, *err, true);
    });
}

Decoded<OperationStatusJson> DecodeOperationStatus(std::string_view body) {
    return Run<OperationStatusJson>(body, [](Reader& r, const Json& j) {
        OperationStatusJson op;
        if (!r.IsObject(j, "")) return op;
        op.status = r.String(j, "status", "", true).value_or("");
        if (const Json* err = r.Object(j, "error", "")) op.error = ReadArmError(r, *err, false);
        return op;
    });
}

Decoded<AadErrorJson> DecodeAadError(std::string_view body) {
    return Run<AadErrorJson>(body, [](Reader& r, const Json& j) {
        AadErrorJson e;
        if (!r.IsObject(j, "")) return e;
        e.error = r.String(j, "error", "", true).value_or("");
        e.error_description = r.String(j, "error_description", "").value_or("");
        if (const Json* codes = r.Array(j, "error_codes", "")) {
            for (std::size_t i = 0; i < codes->size(); ++i) {
                const Json& c = (*codes)[i];
                if (!c.is_number_integer()) {
                    r.Expected(Index("error_codes", i), "integer", c);
                    break;
                }
                e.error_codes.push_back(c.get<long long>());
            }
        }
        return e;
    });
}

Decoded<model::ObservedState> DecodeSnapshot(std::string_view body) {
    return Run<model::ObservedState>(body,
                                     [](Reader& r, const Json& j) { return ReadSnapshot(r, j); });
}

}  // namespace pw::codec
