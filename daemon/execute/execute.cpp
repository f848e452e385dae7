#include "execute/execute.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>

#include "model/resource_id.hpp"
#include "model/spec_hash.hpp"
#include "observe/bounded.hpp"

namespace pw::execute {

namespace asio = boost::asio;
using model::ActionKind;

std::string_view ToString(Status s) {
    switch (s) {
        case Status::Succeeded:
            return "succeeded";
        case Status::Failed:
            return "failed";
        case Status::Waiting:
            return "waiting";
        case Status::NotStarted:
            return "not-started";
    }
    return "unknown";
}

namespace {

bool IsReplicaAction(ActionKind k) {
    return k == ActionKind::AddTargetRegion || k == ActionKind::SetRegionalReplicas;
}

}  // namespace

std::string SpecHash(const model::PoolSpec& spec) { return model::SpecHash(spec); }

model::PropValue PatchableProperties(const model::PropValue& properties) {
    model::PropValue out;
    for (const auto& m : properties.members) {
        const model::FieldSpec* f = model::PoolFields().find(m.key);
        if (f && f->update == model::UpdateClass::Patchable) out.members.push_back(m);
    }
    return out;
}

std::map<std::string, std::string> OwnedMetadata(const model::PoolSpec& spec) {
    auto md = spec.metadata;
    md[model::kManagedByKey] = model::kManagedByValue;
    md[model::kSpecHashKey] = model::SpecHash(spec);
    if (!spec.secret_digest.empty()) md[model::kSecretDigestKey] = spec.secret_digest;
    if (!spec.property_secret_digest.empty())
        md[model::kPropertySecretDigestKey] = spec.property_secret_digest;
    return md;
}

std::vector<model::TargetRegion> MergeTargetRegions(
    const std::vector<model::TargetRegion>& current,
    const std::vector<const model::Action*>& group) {
    std::vector<model::TargetRegion> out = current;
    auto find = [&](std::string_view name) -> model::TargetRegion* {
        auto want = model::NormalizeRegion(name);
        for (auto& r : out)
            if (model::NormalizeRegion(r.name) == want) return &r;
        return nullptr;
    };
    for (const auto* a : group) {
        if (a->region.empty() || !a->to) continue;
        if (auto* have = find(a->region)) {
            const int now = have->regional_replica_count;
            have->regional_replica_count =
                a->from && *a->from == now ? *a->to : std::max(now, *a->to);
            continue;
        }
        // Gone since the observation (someone removed it): only an action that adds a region
        // adds it; the next pass plans from what Azure then holds.
        if (a->kind != ActionKind::AddTargetRegion) continue;
        model::TargetRegion added;
        added.name = a->region;
        for (const auto& r : a->target_regions)
            if (model::NormalizeRegion(r.name) == model::NormalizeRegion(a->region)) added = r;
        added.regional_replica_count = *a->to;
        out.push_back(std::move(added));
    }
    return out;
}

Executor::Executor(azure::BatchApi& batch, azure::ArmApi& arm, Options options)
    : batch_(batch), arm_(arm), options_(options) {}

asio::awaitable<std::vector<Outcome>> Executor::execute(std::vector<model::Action> actions,
                                                        const model::ObservedState& observed,
                                                        const std::atomic<bool>* stop) {
    std::vector<Outcome> outcomes(actions.size());
    for (std::size_t i = 0; i < actions.size(); ++i) outcomes[i].action = std::move(actions[i]);
    actions = {};  // moved into the outcomes

    // One unit per pool action; one per image version for all its replica actions.
    std::map<std::string, std::size_t> replica_unit;
    std::vector<std::vector<std::size_t>> units;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        const auto& a = outcomes[i].action;
        if (a.kind == ActionKind::WaitForReplication) {
            outcomes[i].status = Status::Waiting;
        } else if (IsReplicaAction(a.kind)) {
            auto [it, inserted] =
                replica_unit.try_emplace(model::ResourceKey(a.image_version), units.size());
            if (inserted) units.emplace_back();
            units[it->second].push_back(i);
        } else {
            units.push_back({i});
        }
    }

    std::vector<std::function<asio::awaitable<void>()>> tasks;
    for (const auto& unit : units) {
        tasks.push_back([this, unit, &outcomes, &observed, stop]() -> asio::awaitable<void> {
            if (stop && stop->load()) co_return;
            auto start = std::chrono::steady_clock::now();
            azure::Result<Unit> result = Unit{};
            if (IsReplicaAction(outcomes[unit.front()].action.kind)) {
                std::vector<const model::Action*> group;
                for (auto i : unit) group.push_back(&outcomes[i].action);
                result = co_await write_replicas(group);
            } else {
                result = co_await apply(outcomes[unit.front()].action, observed);
            }
            auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - start);
            for (auto i : unit) {
                outcomes[i].duration = took;
                if (result) {
                    outcomes[i].status = Status::Succeeded;
                } else {
                    outcomes[i].status = Status::Failed;
                    outcomes[i].error = result.error();
                }
            }
        });
    }
    co_await observe::RunBounded(std::move(tasks), options_.concurrency);
    co_return outcomes;
}

asio::awaitable<azure::Result<Unit>> Executor::write_replicas(
    const std::vector<const model::Action*>& group) {
    const std::string& id = group.front()->image_version;
    // A gallery image version has no ETag and its PATCH takes no If-Match (gallery.json
    // 2023-07-03: GalleryImageVersions_Update declares no header parameter and its responses
    // no headers; GalleryImageVersion is common.json's Resource, without etag), and the PATCH
    // replaces the whole targetRegions array (azure-contract.md 2.4). So the list is built on
    // a GET made right before the PATCH: what someone else changed since this cycle's
    // observation is kept. The window left is this GET-to-PATCH round trip.
    auto fresh = co_await arm_.get_image_version(id);
    if (!fresh) co_return Err{std::move(fresh).error()};
    if (fresh->provisioning_state == "Updating" || fresh->provisioning_state == "Creating") {
        azure::Error busy;
        busy.kind = azure::ErrorKind::Client;
        busy.http_status = 409;
        busy.code = "VersionBusy";
        busy.message = "image version is " + fresh->provisioning_state +
                       " (another update in flight); not patched";
        co_return Err{std::move(busy)};
    }
    auto regions = MergeTargetRegions(fresh->target_regions, group);
    if (regions == fresh->target_regions) co_return Unit{};
    auto written = co_await arm_.update_target_regions(id, regions);
    if (!written) co_return Err{std::move(written).error()};
    co_return Unit{};
}

asio::awaitable<azure::Result<Unit>> Executor::apply(const model::Action& a,
                                                     const model::ObservedState& observed) {
    auto account = observed.accounts.find(a.account);
    if (account == observed.accounts.end()) {
        azure::Error e;
        e.kind = azure::ErrorKind::Client;
        e.code = "AccountNotObserved";
        e.message = "account " + a.account + " was not observed this cycle";
        co_return Err{e};
    }
    const auto& endpoint = account->second.endpoint;
    switch (a.kind) {
        case ActionKind::CreatePool: {
            azure::PoolAddRequest req;
            req.spec = *a.spec;
            req.spec.metadata = OwnedMetadata(*a.spec);
            // quota.partialGrowth may plan fewer nodes than the spec asks: write the action's.
            if (req.spec.fixed && a.target_dedicated_nodes && a.target_low_priority_nodes) {
                req.spec.fixed->target_dedicated_nodes = *a.target_dedicated_nodes;
                req.spec.fixed->target_low_priority_nodes = *a.target_low_priority_nodes;
            }
            req.resize_timeout = a.resize_timeout;
            co_return co_await batch_.add_pool(endpoint, req);
        }
        case ActionKind::ResizePool: {
            azure::PoolResizeRequest req;
            req.target_dedicated_nodes = a.target_dedicated_nodes.value_or(0);
            req.target_low_priority_nodes = a.target_low_priority_nodes.value_or(0);
            req.resize_timeout = a.resize_timeout.value_or(std::chrono::minutes(15));
            if (a.spec) req.node_deallocation_option = a.spec->node_deallocation_option;
            if (!a.node_deallocation_option.empty())
                req.node_deallocation_option = a.node_deallocation_option;
            co_return co_await batch_.resize_pool(endpoint, a.pool, req, a.if_match);
        }
        case ActionKind::PatchPool: {
            azure::PoolPatchRequest req;
            if (a.spec) {
                req.start_task = a.spec->start_task;
                req.metadata = OwnedMetadata(*a.spec);
                if (a.keep_spec_hash && a.keep_spec_hash->empty())
                    req.metadata->erase(model::kSpecHashKey);
                else if (a.keep_spec_hash)
                    (*req.metadata)[model::kSpecHashKey] = *a.keep_spec_hash;
                if (!a.swap) {  // a swap sends the property secrets: their digest is the spec's
                    req.metadata->erase(model::kPropertySecretDigestKey);
                    if (a.keep_property_secret_digest)
                        (*req.metadata)[model::kPropertySecretDigestKey] =
                            *a.keep_property_secret_digest;
                }
                if (!a.rollout_marker.empty())
                    (*req.metadata)[model::kRolloutKey] = a.rollout_marker;
                req.properties = PatchableProperties(a.spec->properties);
                if (a.swap) req.swap = a.spec;
            }
            co_return co_await batch_.patch_pool(endpoint, a.pool, req, a.if_match);
        }
        case ActionKind::EnableAutoScale: {
            if (!a.spec || !a.spec->autoscale) break;
            // A pool that already autoscales has the formula evaluated first (changes nothing;
            // Batch evaluates only on a pool with autoscale enabled, contract 1.4): a formula
            // Batch cannot evaluate is an error with Batch's message, and nothing is written.
            // A fixed-size pool is checked by enableautoscale itself (400, nothing applied).
            const model::ObservedPool* pool = nullptr;
            for (const auto& p : account->second.pools)
                if (model::IEquals(p.id, a.pool)) pool = &p;
            if (pool && pool->enable_auto_scale) {
                auto run =
                    co_await batch_.evaluate_auto_scale(endpoint, a.pool, *a.spec->autoscale);
                if (!run) co_return Err{std::move(run).error()};
                if (!run->error_code.empty()) {
                    azure::Error e;
                    e.kind = azure::ErrorKind::Client;
                    e.http_status = 400;
                    e.code = run->error_code;
                    e.message =
                        "evaluateautoscale: " + run->error_message +
                        "; the formula was not applied. Fix: correct autoScale.formula in " +
                        a.spec->source_file;
                    co_return Err{std::move(e)};
                }
            }
            co_return co_await batch_.enable_auto_scale(endpoint, a.pool, *a.spec->autoscale,
                                                        a.if_match);
        }
        case ActionKind::DisableAutoScale:
            co_return co_await batch_.disable_auto_scale(endpoint, a.pool);
        case ActionKind::DeletePool:
            co_return co_await batch_.delete_pool(endpoint, a.pool, a.if_match);
        default:
            break;
    }
    co_return Unit{};
}

}  // namespace pw::execute
