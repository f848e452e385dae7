#include "server/metrics_bridge.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "execute/execute.hpp"

namespace pw::server {

namespace {

std::string_view Service(std::string_view service) {
    for (std::string_view known : {"arm", "batch", "aad", "imds"})
        if (service == known) return known;
    return "other";
}

/// A fixed identifier such as `list_pools`: lower-case letters, digits, `_` and `-`.
std::string_view Bounded(std::string_view name) {
    if (name.empty() || name.size() > 48) return "other";
    bool ok = std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    return ok ? name : "other";
}

std::string_view TrimSlash(std::string_view s) {
    while (!s.empty() && s.back() == '/') s.remove_suffix(1);
    return s;
}

std::string_view ActionResult(execute::Status s) {
    switch (s) {
        case execute::Status::Succeeded:
            return "success";
        case execute::Status::Failed:
            return "error";
        case execute::Status::Waiting:
            return "waiting";
        case execute::Status::NotStarted:
            break;
    }
    return "skipped";
}

const reconcile::Condition* Find(const reconcile::PoolStatus& p, std::string_view type) {
    return p.condition(type);
}

}  // namespace

MetricsObserver::MetricsObserver(metrics::Metrics& metrics, const config::CloudEndpoints& cloud)
    : metrics_(metrics),
      batch_resource_(TrimSlash(cloud.batch_resource)),
      management_resource_(TrimSlash(cloud.management_resource)) {}

void MetricsObserver::on_request(std::string_view service, std::string_view operation, int status,
                                 std::chrono::milliseconds duration) {
    if (status < 0 || status > 599) status = 0;
    metrics_.azure_request(Service(service), Bounded(operation), status,
                           static_cast<double>(duration.count()) / 1000.0);
}

void MetricsObserver::on_throttled(std::string_view service, std::string_view operation,
                                   std::optional<std::chrono::milliseconds>) {
    metrics_.azure_throttled(Service(service), Bounded(operation));
}

void MetricsObserver::on_retry(std::string_view service, std::string_view,
                               const azure::Error& error, std::chrono::milliseconds) {
    metrics_.azure_retry(Service(service), azure::ToString(error.kind));
}

void MetricsObserver::on_ratelimit_remaining(std::string_view header, long long value) {
    metrics_.ratelimit_remaining(Bounded(header), static_cast<double>(value));
}

void MetricsObserver::on_token_refresh(std::string_view resource, bool ok) {
    auto r = TrimSlash(resource);
    std::string_view label = r == batch_resource_        ? "batch"
                             : r == management_resource_ ? "arm"
                                                         : "other";
    metrics_.token_refresh(label, ok);
    if (ok) {
        token_acquired_ = true;
        token_failures_ = 0;
    } else {
        ++token_failures_;
    }
}

std::function<void(std::size_t, metrics::PoolSample&)> PoolSamples(
    const reconcile::StatusSnapshot& s) {
    return [&s](std::size_t i, metrics::PoolSample& ps) {
        const auto& p = s.pools[i];
        ps = metrics::PoolSample{};
        ps.account = p.account;
        ps.pool = p.id;
        if (p.observed_target) {
            ps.target_dedicated = p.observed_target->dedicated;
            ps.target_low_priority = p.observed_target->low_priority;
        }
        if (p.observed_current) {
            ps.current_dedicated = p.observed_current->dedicated;
            ps.current_low_priority = p.observed_current->low_priority;
        }
        if (p.desired_nodes) {
            ps.desired_dedicated = p.desired_nodes->dedicated;
            ps.desired_low_priority = p.desired_nodes->low_priority;
        }
        ps.allocation_state = p.allocation_state;
        for (const char* type : {"Ready", "Progressing", "Degraded"}) {
            const auto* c = Find(p, type);
            ps.conditions[type] = c != nullptr && c->status;
        }
        ps.resize_errors = p.resize_errors;
    };
}

void UpdateMetrics(const reconcile::StatusSnapshot& s, metrics::Metrics& m) {
    m.set_pools(s.pools.size(), PoolSamples(s));
    UpdateMetricsButPools(s, m);
}

void UpdateMetricsButPools(const reconcile::StatusSnapshot& s, metrics::Metrics& m) {
    std::vector<metrics::ReplicaSample> replicas;
    for (const auto& v : s.image_versions)
        for (const auto& r : v.regions)
            replicas.push_back({v.id, model::NormalizeRegion(r.region), r.required, r.current,
                                r.replication_state});
    m.set_replicas(replicas);

    std::map<std::pair<std::string, std::string>, int> findings;
    std::vector<std::pair<std::string, std::string>> orphaned;
    for (const auto& f : s.findings) {
        ++findings[{std::string(model::ToString(f.severity)), f.code}];
        if (f.code == "Orphaned") orphaned.emplace_back(f.account, f.pool);
    }
    m.set_findings(findings);
    m.set_orphaned(orphaned);
    std::vector<metrics::RolloutSample> rollouts;
    std::map<std::string, bool> groups;
    for (const auto& g : s.rollouts) {
        groups[g.name] = g.halted;
        for (const auto& p : g.pools)
            rollouts.push_back({p.account, p.pool, g.name, static_cast<int>(p.step)});
    }
    m.set_rollouts(rollouts, groups);

    std::map<std::string, int> config_errors;
    for (const auto& f : s.config_files) config_errors[f.file] = static_cast<int>(f.errors.size());
    if (!s.config_error.empty()) {
        // `file:line:column: path: message` lines (config::ConfigError::str()).
        const auto& e = s.config_error;
        auto file = e.substr(0, e.find(':'));
        config_errors[file] += static_cast<int>(std::count(e.begin(), e.end(), '\n')) + 1;
    }
    m.set_config_errors(config_errors);
}

std::string_view CycleResult(const reconcile::CycleReport& r) {
    bool any_observed = false;
    for (const auto& [name, health] : r.observation.accounts) any_observed |= health.complete;
    if (r.failed > 0 || (!any_observed && !r.observation.accounts.empty())) return "error";
    if (r.incomplete) return "partial";
    return "success";
}

void RecordCycle(const reconcile::CycleReport& r, double seconds, metrics::Metrics& m) {
    m.cycle_finished(CycleResult(r), std::max(0.0, seconds));
    m.set_tracked_items(static_cast<double>(r.tracked_items));
    for (const auto& o : r.outcomes)
        m.action_finished(model::ToString(o.action.kind), ActionResult(o.status));
}

}  // namespace pw::server
