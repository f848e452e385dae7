#include "reconcile/status.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "model/resource_id.hpp"

namespace pw::reconcile {

using nlohmann::json;

const Condition* PoolStatus::condition(std::string_view type) const {
    for (const auto& c : conditions)
        if (c.type == type) return &c;
    return nullptr;
}

const PoolStatus* StatusSnapshot::pool(std::string_view id) const {
    for (const auto& p : pools)
        if (model::ResourceKey(p.id) == model::ResourceKey(id)) return &p;
    return nullptr;
}

const ImageVersionStatus* StatusSnapshot::image_version(std::string_view id) const {
    for (const auto& v : image_versions)
        if (model::ResourceKey(v.id) == model::ResourceKey(id)) return &v;
    return nullptr;
}

std::shared_ptr<const StatusSnapshot> StatusStore::get() const {
    std::lock_guard lock(mutex_);
    return snapshot_;
}

void StatusStore::update(const std::function<void(StatusSnapshot&)>& fn) {
    std::lock_guard lock(mutex_);
    auto next = std::make_shared<StatusSnapshot>(*snapshot_);
    fn(*next);
    snapshot_ = std::move(next);
}

namespace {

std::string Rfc3339(TimePoint tp) {
    auto secs = std::chrono::time_point_cast<std::chrono::seconds>(tp);
    std::time_t t = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", tm);
}

json ToJson(const ActionRecord& a) {
    return {{"kind", a.kind}, {"reason", a.reason}, {"result", a.result}, {"at", Rfc3339(a.at)}};
}

json ToJson(const ErrorRecord& e) {
    json j = {{"message", e.message}, {"terminal", e.terminal}, {"at", Rfc3339(e.at)}};
    if (!e.code.empty()) j["code"] = e.code;
    if (e.next_retry) j["nextRetry"] = Rfc3339(*e.next_retry);
    return j;
}

json ToJson(const model::Finding& f) {
    json j = {{"severity", model::ToString(f.severity)}, {"code", f.code}, {"message", f.message}};
    if (!f.image_version.empty()) j["imageVersion"] = f.image_version;
    return j;
}

}  // namespace

json ToJson(const StatusSnapshot& s) {
    json j = json::object();
    j["updated"] = Rfc3339(s.updated);
    if (s.last_cycle) {
        const auto& c = *s.last_cycle;
        j["lastCycle"] = {{"id", c.id},
                          {"started", Rfc3339(c.started)},
                          {"finished", Rfc3339(c.finished)},
                          {"actions", c.actions},
                          {"writes", c.writes},
                          {"failed", c.failed},
                          {"converged", c.converged}};
        if (c.requeue_after) j["lastCycle"]["requeueAfterSeconds"] = c.requeue_after->count();
    }
    j["pools"] = json::array();
    for (const auto& p : s.pools) {
        json pj = {{"id", p.id}, {"account", p.account}};
        if (!p.source_file.empty()) pj["file"] = p.source_file;
        pj["conditions"] = json::array();
        for (const auto& c : p.conditions) {
            pj["conditions"].push_back({{"type", c.type},
                                        {"status", c.status ? "True" : "False"},
                                        {"reason", c.reason},
                                        {"message", c.message},
                                        {"since", Rfc3339(c.since)}});
        }
        if (p.last_action) pj["lastAction"] = ToJson(*p.last_action);
        if (p.last_error) pj["lastError"] = ToJson(*p.last_error);
        pj["findings"] = json::array();
        for (const auto& f : p.findings) pj["findings"].push_back(ToJson(f));
        if (!p.allocation_state.empty()) pj["allocationState"] = p.allocation_state;
        if (p.target_nodes) pj["targetNodes"] = *p.target_nodes;
        if (p.current_nodes) pj["currentNodes"] = *p.current_nodes;
        auto counts = [](const PoolStatus::NodeCounts& n) {
            return json{{"dedicated", n.dedicated}, {"lowPriority", n.low_priority}};
        };
        json nodes = json::object();
        if (p.desired_nodes) nodes["desired"] = counts(*p.desired_nodes);
        if (p.observed_target) nodes["target"] = counts(*p.observed_target);
        if (p.observed_current) nodes["current"] = counts(*p.observed_current);
        if (!nodes.empty()) pj["nodes"] = std::move(nodes);
        if (!p.resize_errors.empty()) pj["resizeErrors"] = p.resize_errors;
        j["pools"].push_back(std::move(pj));
    }
    j["imageVersions"] = json::array();
    for (const auto& v : s.image_versions) {
        json vj = {{"id", v.id}};
        if (!v.provisioning_state.empty()) vj["provisioningState"] = v.provisioning_state;
        if (!v.aggregated_state.empty()) vj["replicationState"] = v.aggregated_state;
        vj["regions"] = json::array();
        for (const auto& r : v.regions) {
            vj["regions"].push_back({{"region", r.region},
                                     {"requiredReplicas", r.required},
                                     {"currentReplicas", r.current},
                                     {"replicationState", r.replication_state},
                                     {"progress", r.progress}});
        }
        if (v.last_action) vj["lastAction"] = ToJson(*v.last_action);
        if (v.last_error) vj["lastError"] = ToJson(*v.last_error);
        j["imageVersions"].push_back(std::move(vj));
    }
    j["accounts"] = json::array();
    for (const auto& a : s.accounts) {
        json aj = {{"name", a.name}, {"observed", a.observed}, {"pools", a.pools_observed}};
        if (!a.location.empty()) aj["location"] = a.location;
        if (!a.error.empty()) aj["error"] = a.error;
        j["accounts"].push_back(std::move(aj));
    }
    j["configFiles"] = json::array();
    for (const auto& f : s.config_files) {
        j["configFiles"].push_back({{"file", f.file},
                                    {"valid", f.valid},
                                    {"usingLastGood", f.using_last_good},
                                    {"errors", f.errors}});
    }
    if (!s.config_error.empty()) j["configError"] = s.config_error;
    return j;
}

}  // namespace pw::reconcile
