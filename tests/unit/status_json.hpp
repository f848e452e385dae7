#pragma once

// The reference rendering of `/status` for tests: the document built with nlohmann-json,
// member by member, independently of the streamed writer (reconcile::RenderStatus), which
// status_render_test checks against ToJson(snapshot).dump(2).

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

#include "reconcile/status.hpp"

namespace pw::reconcile {

namespace status_json {

using nlohmann::json;

inline std::string Rfc3339(TimePoint tp) {
    auto secs = std::chrono::time_point_cast<std::chrono::seconds>(tp);
    std::time_t t = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", tm);
}

inline json ToJson(const ActionRecord& a) {
    return {{"kind", a.kind}, {"reason", a.reason}, {"result", a.result}, {"at", Rfc3339(a.at)}};
}

inline json ToJson(const ErrorRecord& e) {
    json j = {{"message", e.message}, {"terminal", e.terminal}, {"at", Rfc3339(e.at)}};
    if (!e.code.empty()) j["code"] = e.code;
    if (e.next_retry) j["nextRetry"] = Rfc3339(*e.next_retry);
    return j;
}

inline json ToJson(const model::Finding& f) {
    json j = {{"severity", model::ToString(f.severity)}, {"code", f.code}, {"message", f.message}};
    if (!f.image_version.empty()) j["imageVersion"] = f.image_version;
    return j;
}

}  // namespace status_json

/// The `/status` JSON document (RFC 3339 UTC times; absent values left out).
inline nlohmann::json ToJson(const StatusSnapshot& s) {
    using namespace status_json;
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
    j["rollouts"] = json::array();
    for (const auto& g : s.rollouts) {
        json pools = json::array();
        for (const auto& p : g.pools) {
            json e = {{"account", p.account}, {"id", p.pool}, {"step", model::ToString(p.step)}};
            if (!p.detail.empty()) e["detail"] = p.detail;
            if (p.since) e["since"] = Rfc3339(*p.since);
            if (p.next_window) e["nextWindow"] = Rfc3339(*p.next_window);
            pools.push_back(std::move(e));
        }
        j["rollouts"].push_back(
            {{"name", g.name}, {"halted", g.halted}, {"pools", std::move(pools)}});
    }
    if (s.leadership) {
        const auto& l = *s.leadership;
        auto& lj = j["leaderElection"];
        lj = {{"role", l.role}, {"identity", l.identity}, {"leader", l.leader}};
        if (l.since) lj["since"] = Rfc3339(*l.since);
        if (!l.last_error.empty()) lj["lastError"] = l.last_error;
    }
    j["orphanedPools"] = json::array();
    for (const auto& f : s.findings)
        if (f.code == "Orphaned")
            j["orphanedPools"].push_back(
                {{"account", f.account}, {"id", f.pool}, {"message", f.message}});
    return j;
}

}  // namespace pw::reconcile
