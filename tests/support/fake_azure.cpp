#include "support/fake_azure.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "model/resource_id.hpp"

namespace pw::testing {

using azure::ErrorKind;

azure::Error MakeError(ErrorKind kind, int status, std::string code, std::string message) {
    azure::Error e;
    e.kind = kind;
    e.http_status = status;
    e.code = std::move(code);
    e.message = std::move(message);
    return e;
}

namespace {
bool IEquals(std::string_view a, std::string_view b) {
    return model::ResourceKey(a) == model::ResourceKey(b);
}
azure::Error NotFound(const std::string& what) {
    return MakeError(ErrorKind::Client, 404, "ResourceNotFound", what + " not found");
}
}  // namespace

FakeAzure::Account& FakeAzure::add_account(const model::AccountSpec& spec,
                                           const std::string& location) {
    Account a;
    a.spec = spec;
    a.info.location = location;
    a.info.endpoint = "https://" + spec.account_name + "." + location + ".batch.azure.com";
    a.info.pool_allocation_mode = "BatchService";
    a.info.dedicated_core_quota = 20000;
    a.info.low_priority_core_quota = 10000;
    accounts_.push_back(std::move(a));
    return accounts_.back();
}

model::ObservedImageVersion& FakeAzure::add_version(const std::string& id,
                                                    const std::string& region, int replicas,
                                                    const std::string& state) {
    model::ObservedImageVersion v;
    v.id = id;
    v.location = region;
    v.provisioning_state = "Succeeded";
    v.target_regions.push_back({region, replicas, "Standard_LRS", ""});
    v.aggregated_state = state;
    v.summary.push_back({region, state, state == "Completed" ? 100 : 0});
    return versions_[model::ResourceKey(id)] = v;
}

model::ObservedImage& FakeAzure::add_image(const std::string& definition_id,
                                           const std::string& os_type,
                                           const std::string& os_state) {
    model::ObservedImage img;
    img.id = definition_id;
    img.os_type = os_type;
    img.os_state = os_state;
    img.hyper_v_generation = "V2";
    return images_[model::ResourceKey(definition_id)] = img;
}

model::ObservedPool& FakeAzure::add_pool(const std::string& account_name,
                                         model::ObservedPool pool) {
    auto* a = account(account_name);
    bump(pool);
    a->pools.push_back(std::move(pool));
    return a->pools.back();
}

void FakeAzure::remove_pool(const std::string& account_name, const std::string& pool_id) {
    if (auto* a = account(account_name))
        std::erase_if(a->pools, [&](const auto& p) { return IEquals(p.id, pool_id); });
}

void FakeAzure::remove_version(const std::string& id) { versions_.erase(model::ResourceKey(id)); }

void FakeAzure::finish_updates() {
    for (auto& [k, v] : versions_)
        if (v.provisioning_state == "Updating") v.provisioning_state = "Succeeded";
}

void FakeAzure::complete_replication() {
    for (auto& [k, v] : versions_) {
        for (auto& s : v.summary) {
            s.state = "Completed";
            s.progress = 100;
        }
        v.aggregated_state = "Completed";
    }
}

void FakeAzure::finish_resizes(const std::vector<model::ResizeError>& errors) {
    for (auto& a : accounts_) {
        for (auto& p : a.pools) {
            if (p.allocation_state != "resizing") continue;
            p.allocation_state = "steady";
            p.resize_errors = errors;
            int dedicated = p.target_dedicated_nodes;
            if (a.info.dedicated_core_quota &&
                dedicated * cores_per_node > *a.info.dedicated_core_quota) {
                dedicated = *a.info.dedicated_core_quota / cores_per_node;
                p.resize_errors.push_back({"AccountCoreQuotaReached", "core quota reached"});
            }
            if (errors.empty()) {
                p.current_dedicated_nodes = dedicated;
                p.current_low_priority_nodes = p.target_low_priority_nodes;
            }
        }
    }
}

FakeAzure::Account* FakeAzure::account(const std::string& account_name) {
    for (auto& a : accounts_)
        if (a.spec.account_name == account_name || a.spec.name == account_name) return &a;
    return nullptr;
}

model::ObservedPool* FakeAzure::pool(const std::string& account_name, const std::string& id) {
    auto* a = account(account_name);
    if (!a) return nullptr;
    for (auto& p : a->pools)
        if (IEquals(p.id, id)) return &p;
    return nullptr;
}

model::ObservedImageVersion* FakeAzure::version(const std::string& id) {
    auto it = versions_.find(model::ResourceKey(id));
    return it == versions_.end() ? nullptr : &it->second;
}

std::vector<std::string> FakeAzure::writes() const {
    std::vector<std::string> out;
    for (const auto& c : calls_)
        if (c.rfind("POST", 0) == 0 || c.rfind("PATCH", 0) == 0 || c.rfind("DELETE", 0) == 0)
            out.push_back(c);
    return out;
}

int FakeAzure::count(const std::string& prefix) const {
    return static_cast<int>(std::count_if(calls_.begin(), calls_.end(),
                                          [&](const auto& c) { return c.rfind(prefix, 0) == 0; }));
}

void FakeAzure::fail(const std::string& prefix, azure::Error error, int times) {
    faults_.push_back({prefix, std::move(error), times});
}

std::optional<azure::Error> FakeAzure::record(const std::string& call) {
    calls_.push_back(call);
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        if (call.rfind(it->prefix, 0) != 0) continue;
        auto e = it->error;
        if (--it->times <= 0) faults_.erase(it);
        return e;
    }
    return std::nullopt;
}

FakeAzure::Account* FakeAzure::by_endpoint(const std::string& endpoint) {
    for (auto& a : accounts_)
        if (a.info.endpoint == endpoint) return &a;
    return nullptr;
}

void FakeAzure::bump(model::ObservedPool& p) { p.e_tag = "0x" + std::to_string(++etag_counter_); }

boost::asio::awaitable<azure::Result<std::vector<model::ObservedPool>>> FakeAzure::list_pools(
    const std::string& endpoint) {
    auto* a = by_endpoint(endpoint);
    if (auto e = record("LIST pools " + (a ? a->spec.account_name : endpoint))) co_return Err{*e};
    if (!a) co_return Err{NotFound(endpoint)};
    // The list carries no table-declared property (codec::kPoolSelect); GET /pools/{id} does.
    auto pools = a->pools;
    for (auto& p : pools) p.properties.reset();
    co_return pools;
}

boost::asio::awaitable<azure::Result<model::ObservedPool>> FakeAzure::get_pool(
    const std::string& endpoint, const std::string& pool_id) {
    auto* a = by_endpoint(endpoint);
    if (auto e = record("GET pool " + (a ? a->spec.account_name : endpoint) + "/" + pool_id))
        co_return Err{*e};
    if (a)
        for (auto& p : a->pools) {
            if (!IEquals(p.id, pool_id)) continue;
            auto out = p;
            if (!out.properties) out.properties.emplace();
            co_return out;
        }
    co_return Err{MakeError(ErrorKind::Client, 404, "PoolNotFound", pool_id)};
}

boost::asio::awaitable<azure::Result<Unit>> FakeAzure::add_pool(
    const std::string& endpoint, const azure::PoolAddRequest& request) {
    auto* a = by_endpoint(endpoint);
    const auto& s = request.spec;
    if (auto e = record("POST pool " + (a ? a->spec.account_name : endpoint) + "/" + s.id))
        co_return Err{*e};
    if (!a) co_return Err{NotFound(endpoint)};
    if (write_delay.count() > 0) {
        boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, write_delay);
        co_await t.async_wait(boost::asio::use_awaitable);
    }
    adds.push_back(request);
    for (auto& p : a->pools)
        if (IEquals(p.id, s.id))
            co_return Err{MakeError(ErrorKind::Client, 409, "PoolExists", "pool exists")};
    model::ObservedPool p;
    p.id = s.id;
    p.allocation_state = "resizing";
    p.vm_size = s.vm_size;
    p.virtual_machine_image_id = s.image.str();
    p.node_agent_sku_id = s.node_agent_sku_id;
    if (s.fixed) {
        p.target_dedicated_nodes = s.fixed->target_dedicated_nodes;
        p.target_low_priority_nodes = s.fixed->target_low_priority_nodes;
    } else if (s.autoscale) {
        p.enable_auto_scale = true;
        p.auto_scale_formula = model::CappedFormula(*s.autoscale);
        p.auto_scale_evaluation_interval = s.autoscale->evaluation_interval;
    }
    p.resize_timeout = request.resize_timeout;
    p.task_slots_per_node = s.task_slots_per_node;
    p.start_task = s.start_task;
    p.metadata = s.metadata;
    p.properties = model::ObservedProperties{
        s.properties, s.start_task ? s.start_task->properties : model::PropValue{}};
    bump(p);
    a->pools.push_back(std::move(p));
    co_return Unit{};
}

boost::asio::awaitable<azure::Result<Unit>> FakeAzure::resize_pool(
    const std::string& endpoint, const std::string& pool_id,
    const azure::PoolResizeRequest& request, const std::string& if_match) {
    auto* a = by_endpoint(endpoint);
    if (auto e = record("POST resize " + (a ? a->spec.account_name : endpoint) + "/" + pool_id))
        co_return Err{*e};
    resizes.push_back(request);
    auto* p = a ? pool(a->spec.account_name, pool_id) : nullptr;
    if (!p) co_return Err{MakeError(ErrorKind::Client, 404, "PoolNotFound", pool_id)};
    if (!if_match.empty() && if_match != p->e_tag)
        co_return Err{MakeError(ErrorKind::Client, 412, "ConditionNotMet", "etag mismatch")};
    if (p->allocation_state != "steady" || p->enable_auto_scale)
        co_return Err{MakeError(ErrorKind::Client, 409, "PoolNotSteady", "not steady")};
    p->target_dedicated_nodes = request.target_dedicated_nodes;
    p->target_low_priority_nodes = request.target_low_priority_nodes;
    p->resize_timeout = request.resize_timeout;
    p->allocation_state = "resizing";
    p->resize_errors.clear();
    bump(*p);
    co_return Unit{};
}

boost::asio::awaitable<azure::Result<Unit>> FakeAzure::stop_resize(const std::string& endpoint,
                                                                   const std::string& pool_id) {
    auto* a = by_endpoint(endpoint);
    if (auto e = record("POST stopresize " + (a ? a->spec.account_name : endpoint) + "/" + pool_id))
        co_return Err{*e};
    co_return Unit{};
}

boost::asio::awaitable<azure::Result<azure::AutoScaleRun>> FakeAzure::evaluate_auto_scale(
    const std::string& endpoint, const std::string& pool_id, const model::AutoScale&) {
    auto* a = by_endpoint(endpoint);
    if (auto e = record("EVAL autoscale " + (a ? a->spec.account_name : endpoint) + "/" + pool_id))
        co_return Err{*e};
    auto* p = a ? pool(a->spec.account_name, pool_id) : nullptr;
    if (!p) co_return Err{MakeError(ErrorKind::Client, 404, "PoolNotFound", pool_id)};
    if (!p->enable_auto_scale)
        co_return Err{MakeError(ErrorKind::Client, 409, "AutoScalingNotEnabled", pool_id)};
    if (formula_error) co_return *formula_error;
    co_return azure::AutoScaleRun{"$TargetDedicatedNodes=0", "", ""};
}

boost::asio::awaitable<azure::Result<Unit>> FakeAzure::enable_auto_scale(
    const std::string& endpoint, const std::string& pool_id, const model::AutoScale& autoscale,
    const std::string& if_match) {
    auto* a = by_endpoint(endpoint);
    if (auto e =
            record("POST enableautoscale " + (a ? a->spec.account_name : endpoint) + "/" + pool_id))
        co_return Err{*e};
    auto* p = a ? pool(a->spec.account_name, pool_id) : nullptr;
    if (!p) co_return Err{MakeError(ErrorKind::Client, 404, "PoolNotFound", pool_id)};
    if (!if_match.empty() && if_match != p->e_tag)
        co_return Err{MakeError(ErrorKind::Client, 412, "ConditionNotMet", "etag mismatch")};
    p->enable_auto_scale = true;
    p->auto_scale_formula = model::CappedFormula(autoscale);
    p->auto_scale_evaluation_interval = autoscale.evaluation_interval;
    bump(*p);
    co_return Unit{};
}

boost::asio::awaitable<azure::Result<Unit>> FakeAzure::disable_auto_scale(
    const std::string& endpoint, const std::string& pool_id) {
    auto* a = by_endpoint(endpoint);
    if (auto e = record("POST disableautoscale " + (a ? a->spec.account_name : endpoint) + "/" +
                        pool_id))
        co_return Err{*e};
    auto* p = a ? pool(a->spec.account_name, pool_id) : nullptr;
    if (!p) co_return Err{MakeError(ErrorKind::Client, 404, "PoolNotFound", pool_id)};
    p->enable_auto_scale = false;
    p->auto_scale_formula.clear();
    bump(*p);
    co_return Unit{};
}

boost::asio::awaitable<azure::Result<Unit>> FakeAzure::delete_pool(const std::string& endpoint,
                                                                   const std::string& pool_id,
                                                                   const std::string& if_match) {
    auto* a = by_endpoint(endpoint);
    if (auto e = record("DELETE pool " + (a ? a->spec.account_name : endpoint) + "/" + pool_id))
        co_return Err{*e};
    auto* p = a ? pool(a->spec.account_name, pool_id) : nullptr;
    if (!p) co_return Err{MakeError(ErrorKind::Client, 404, "PoolNotFound", pool_id)};
    if (!if_match.empty() && if_match != p->e_tag)
        co_return Err{MakeError(ErrorKind::Client, 412, "ConditionNotMet", "etag mismatch")};
    p->state = "deleting";
    bump(*p);
    co_return Unit{};
}

boost::asio::awaitable<azure::Result<Unit>> FakeAzure::patch_pool(
    const std::string& endpoint, const std::string& pool_id, const azure::PoolPatchRequest& request,
    const std::string& if_match) {
    auto* a = by_endpoint(endpoint);
    if (auto e = record("PATCH pool " + (a ? a->spec.account_name : endpoint) + "/" + pool_id))
        co_return Err{*e};
    patches.push_back(request);
    auto* p = a ? pool(a->spec.account_name, pool_id) : nullptr;
    if (!p) co_return Err{MakeError(ErrorKind::Client, 404, "PoolNotFound", pool_id)};
    if (!if_match.empty() && if_match != p->e_tag)
        co_return Err{MakeError(ErrorKind::Client, 412, "ConditionNotMet", "etag mismatch")};
    if (request.start_task) p->start_task = request.start_task;
    if (request.metadata) p->metadata = *request.metadata;
    if (request.start_task || !request.properties.members.empty()) {
        if (!p->properties) p->properties.emplace();
        if (request.start_task) p->properties->start_task = request.start_task->properties;
        for (const auto& m : request.properties.members) {
            auto& members = p->properties->pool.members;
            std::erase_if(members, [&](const auto& have) { return have.key == m.key; });
            members.push_back(m);
        }
    }
    bump(*p);
    co_return Unit{};
}

boost::asio::awaitable<azure::Result<azure::AccountInfo>> FakeAzure::get_batch_account(
    const model::AccountSpec& spec) {
    if (auto e = record("GET account " + spec.account_name)) co_return Err{*e};
    for (auto& a : accounts_)
        if (a.spec.account_name == spec.account_name &&
            a.spec.subscription_id == spec.subscription_id)
            co_return a.info;
    co_return Err{NotFound(spec.account_name)};
}

boost::asio::awaitable<azure::Result<std::vector<model::VmSku>>> FakeAzure::list_supported_vm_skus(
    const std::string& subscription_id, const std::string& location) {
    if (auto e = record("LIST skus " + subscription_id + "/" + location)) co_return Err{*e};
    auto it = vm_skus.find(model::NormalizeRegion(location));
    if (it == vm_skus.end()) co_return Err{NotFound(location)};
    co_return it->second;
}

boost::asio::awaitable<azure::Result<model::NodeAgentSkuTable>> FakeAzure::list_node_agent_skus(
    const std::string& endpoint) {
    if (auto e = record("LIST supportedimages " + endpoint)) co_return Err{*e};
    if (!node_agent_skus) co_return Err{NotFound(endpoint + "/supportedimages")};
    co_return *node_agent_skus;
}

boost::asio::awaitable<azure::Result<model::NodeCounts>> FakeAzure::list_node_counts(
    const std::string& endpoint, const std::string& pool_id) {
    if (auto e = record("LIST nodes " + pool_id)) co_return Err{*e};
    auto it = node_counts.find(pool_id);
    if (it == node_counts.end()) co_return Err{NotFound(endpoint + "/pools/" + pool_id + "/nodes")};
    co_return it->second;
}

boost::asio::awaitable<azure::Result<std::string>> FakeAzure::get_subscription_tenant(
    const std::string& subscription_id) {
    if (auto e = record("GET subscription " + subscription_id)) co_return Err{*e};
    auto it = tenants.find(model::Lower(subscription_id));
    if (it == tenants.end()) co_return Err{NotFound(subscription_id)};
    co_return it->second;
}

boost::asio::awaitable<azure::Result<std::string>> FakeAzure::get_provider_registration(
    const std::string& subscription_id, const std::string& provider_namespace) {
    if (auto e = record("GET provider " + subscription_id + "/" + provider_namespace))
        co_return Err{*e};
    auto it = registrations.find(model::Lower(subscription_id + "/" + provider_namespace));
    if (it == registrations.end()) co_return Err{NotFound(provider_namespace)};
    co_return it->second;
}

boost::asio::awaitable<azure::Result<model::ObservedImage>> FakeAzure::get_image(
    const std::string& id) {
    if (auto e = record("GET image " + id)) co_return Err{*e};
    auto it = images_.find(model::ResourceKey(id));
    if (it == images_.end()) co_return Err{NotFound(id)};
    co_return it->second;
}

boost::asio::awaitable<azure::Result<std::vector<model::ImageVersionListing>>>
FakeAzure::list_image_versions(const std::string& id) {
    if (auto e = record("LIST versions " + id)) co_return Err{*e};
    const std::string prefix = model::ResourceKey(id) + "/versions/";
    std::vector<model::ImageVersionListing> out;
    for (const auto& [key, v] : versions_) {
        if (!key.starts_with(prefix)) continue;
        auto regions = regions_excluded_from_latest.find(key);
        out.push_back({v.id.substr(v.id.rfind('/') + 1), v.provisioning_state,
                       excluded_from_latest.count(key) > 0,
                       regions == regions_excluded_from_latest.end() ? std::vector<std::string>{}
                                                                     : regions->second});
    }
    if (out.empty() && !images_.count(model::ResourceKey(id))) co_return Err{NotFound(id)};
    co_return out;
}

boost::asio::awaitable<azure::Result<model::ObservedImageVersion>> FakeAzure::get_image_version(
    const std::string& id) {
    if (auto e = record("GET version " + id)) co_return Err{*e};
    auto* v = version(id);
    if (!v) co_return Err{NotFound(id)};
    co_return *v;
}

boost::asio::awaitable<azure::Result<model::ObservedImageVersion>> FakeAzure::update_target_regions(
    const std::string& id, const std::vector<model::TargetRegion>& regions) {
    if (auto e = record("PATCH version " + id)) co_return Err{*e};
    region_patches.push_back(regions);
    auto* v = version(id);
    if (!v) co_return Err{NotFound(id)};
    if (v->provisioning_state == "Updating")
        co_return Err{MakeError(ErrorKind::Client, 409, "OperationNotAllowed",
                                "another operation is in progress")};
    for (const auto& r : regions) {
        const auto* old = v->find_region(r.name);
        if (old && !r.storage_account_type.empty() &&
            old->storage_account_type != r.storage_account_type)
            co_return Err{MakeError(ErrorKind::Client, 400, "PropertyChangeNotAllowed",
                                    "storageAccountType cannot change")};
    }
    for (const auto& r : regions) {
        const auto* old = v->find_region(r.name);
        if (old && old->regional_replica_count >= r.regional_replica_count) continue;
        bool found = false;
        for (auto& s : v->summary) {
            if (model::NormalizeRegion(s.region) == model::NormalizeRegion(r.name)) {
                s.state = "Replicating";
                s.progress = 0;
                found = true;
            }
        }
        if (!found) v->summary.push_back({r.name, "Replicating", 0});
        v->aggregated_state = "InProgress";
    }
    v->target_regions = regions;
    if (lro_mode == LroMode::Crash) {
        v->provisioning_state = "Updating";
        co_return Err{MakeError(ErrorKind::Cancelled, 0, "", "process killed mid-LRO")};
    }
    v->provisioning_state = "Succeeded";
    co_return *v;
}

}  // namespace pw::testing
