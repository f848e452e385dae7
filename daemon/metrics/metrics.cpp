#include "metrics/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <set>

#include "metrics/pool_rows.hpp"

namespace pw::metrics {

using detail::kAllocation;
using detail::kAllocationStates;
using detail::kConditionFamily;
using detail::kConditions;
using detail::kPoolNodes;
using detail::kResizeErrors;
using detail::PoolRow;
using detail::PoolRows;

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Labels;

/// A gauge family whose whole label set is replaced each cycle.
class GaugeSet {
  public:
    explicit GaugeSet(prometheus::Family<prometheus::Gauge>& family) : family_(family) {}

    void begin() { seen_.clear(); }
    void set(const Labels& labels, double value) {
        family_.Add(labels).Set(value);
        seen_.insert(labels);
        present_.insert(labels);
    }
    void end() {
        for (auto it = present_.begin(); it != present_.end();) {
            if (seen_.count(*it) == 0) {
                family_.Remove(&family_.Add(*it));
                it = present_.erase(it);
            } else {
                ++it;
            }
        }
        seen_.clear();
    }

  private:
    prometheus::Family<prometheus::Gauge>& family_;
    std::set<Labels> seen_;
    std::set<Labels> present_;
};

const std::vector<std::string> kReplicationStates = {"Unknown", "Replicating", "Completed",
                                                     "Failed", "Missing"};

}  // namespace

struct Metrics::Impl {
    std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
    std::mutex mutex;
    std::shared_ptr<const PoolRows> pools = std::make_shared<PoolRows>();
    std::atomic<std::size_t> last_size{0};

    prometheus::Family<prometheus::Counter>& cycles =
        BuildCounter()
            .Name("poolwarden_reconcile_cycles_total")
            .Help("Reconcile cycles by result (success, error, partial).")
            .Register(*registry);
    prometheus::Family<prometheus::Histogram>& cycle_duration =
        BuildHistogram()
            .Name("poolwarden_reconcile_cycle_duration_seconds")
            .Help("Wall time of one reconcile cycle (observe, plan, execute).")
            .Register(*registry);
    prometheus::Family<prometheus::Counter>& actions =
        BuildCounter()
            .Name("poolwarden_actions_total")
            .Help(
                "Plan actions executed, by kind and result (success, error, waiting: nothing "
                "to write yet, skipped: not started because of shutdown).")
            .Register(*registry);
    prometheus::Family<prometheus::Counter>& requests =
        BuildCounter()
            .Name("poolwarden_azure_requests_total")
            .Help("Azure HTTP requests by service, operation and status code (0: no response).")
            .Register(*registry);
    prometheus::Family<prometheus::Histogram>& request_duration =
        BuildHistogram()
            .Name("poolwarden_azure_request_duration_seconds")
            .Help("Latency of Azure HTTP requests by service and operation.")
            .Register(*registry);
    prometheus::Family<prometheus::Counter>& throttled =
        BuildCounter()
            .Name("poolwarden_azure_throttled_total")
            .Help("Throttled Azure responses (429 or ServerBusy) by service and operation.")
            .Register(*registry);
    prometheus::Family<prometheus::Counter>& retries =
        BuildCounter()
            .Name("poolwarden_azure_retries_total")
            .Help(
                "Retried Azure requests by service and reason (throttled, server, network, "
                "timeout, auth).")
            .Register(*registry);
    prometheus::Family<prometheus::Gauge>& ratelimit =
        BuildGauge()
            .Name("poolwarden_azure_ratelimit_remaining")
            .Help("Last x-ms-ratelimit-remaining-* value ARM returned, by kind.")
            .Register(*registry);
    prometheus::Family<prometheus::Counter>& tokens =
        BuildCounter()
            .Name("poolwarden_token_refreshes_total")
            .Help("Entra ID token acquisitions by resource (arm, batch) and result.")
            .Register(*registry);
    prometheus::Family<prometheus::Counter>& reloads =
        BuildCounter()
            .Name("poolwarden_config_reloads_total")
            .Help("Configuration loads and reloads by result (success, error).")
            .Register(*registry);
    prometheus::Family<prometheus::Gauge>& reload_success =
        BuildGauge()
            .Name("poolwarden_config_last_reload_success_timestamp_seconds")
            .Help("Unix time of the last configuration load without errors.")
            .Register(*registry);
    prometheus::Family<prometheus::Gauge>& config_errors =
        BuildGauge()
            .Name("poolwarden_config_errors")
            .Help(
                "Validation errors per configuration file (a file with errors is not applied; "
                "its last good version stays in force).")
            .Register(*registry);
    prometheus::Family<prometheus::Gauge>& replicas =
        BuildGauge()
            .Name("poolwarden_image_replicas")
            .Help("Replicas of an image version in a region: required by the rule, and current.")
            .Register(*registry);
    prometheus::Family<prometheus::Gauge>& replication =
        BuildGauge()
            .Name("poolwarden_image_replication_state")
            .Help(
                "1 for the current replication state of an image version in a region (Unknown, "
                "Replicating, Completed, Failed; Missing: the region is not a target region).")
            .Register(*registry);
    prometheus::Family<prometheus::Gauge>& findings =
        BuildGauge()
            .Name("poolwarden_findings")
            .Help("Current findings by severity and code.")
            .Register(*registry);
    prometheus::Family<prometheus::Gauge>& orphaned =
        BuildGauge()
            .Name("poolwarden_pool_orphaned")
            .Help(
                "1 for each pool that carries poolwarden's marker but that no pool file "
                "declares (left as it is, with its image's replicas).")
            .Register(*registry);
    prometheus::Family<prometheus::Gauge>& rollout_step =
        BuildGauge()
            .Name("poolwarden_rollout_step")
            .Help(
                "Step of each pool with updatePolicy drainAndSwap: 0 idle, 1 pending, 2 "
                "draining, 3 swapping, 4 regrowing, 5 gating, 6 done, 7 halted.")
            .Register(*registry);
    prometheus::Family<prometheus::Gauge>& rollout_halted =
        BuildGauge()
            .Name("poolwarden_rollout_halted")
            .Help(
                "1 for a rollout group halted by a failed health gate (nothing new starts until "
                "the image or the pool file changes), else 0.")
            .Register(*registry);
    prometheus::Family<prometheus::Gauge>& tracked =
        BuildGauge()
            .Name("poolwarden_tracked_items")
            .Help(
                "Entries kept between cycles: per-pool and per-image-version memory (backoff, "
                "holds, last action) and cached account and image definition reads, only for "
                "what the config declares; flat while the declared pools are.")
            .Register(*registry);
    prometheus::Family<prometheus::Gauge>& build =
        BuildGauge()
            .Name("poolwarden_build_info")
            .Help("Always 1; the version label says which build runs.")
            .Register(*registry);

    prometheus::Family<prometheus::Counter>& leader_transitions =
        BuildCounter()
            .Name("poolwarden_leader_transitions_total")
            .Help("Times this instance became leader or stopped being leader (leaderElection).")
            .Register(*registry);
    prometheus::Family<prometheus::Gauge>& leader =
        BuildGauge()
            .Name("poolwarden_leader")
            .Help(
                "1 while this instance holds the leader lease and may write, else 0 "
                "(leaderElection).")
            .Register(*registry);
    prometheus::Family<prometheus::Histogram>& lease_renew =
        BuildHistogram()
            .Name("poolwarden_lease_renew_duration_seconds")
            .Help(
                "Time of each lease renew or acquire call on the leader blob, by result "
                "(success, error).")
            .Register(*registry);

    GaugeSet config_errors_set{config_errors};
    GaugeSet replicas_set{replicas};
    GaugeSet replication_set{replication};
    GaugeSet findings_set{findings};
    GaugeSet orphaned_set{orphaned};
    GaugeSet rollout_step_set{rollout_step};
    GaugeSet rollout_halted_set{rollout_halted};
};

Metrics::Metrics(std::string_view version) : impl_(std::make_unique<Impl>()) {
    impl_->build.Add({{"version", std::string(version)}}).Set(1);
    // Pre-create the series dashboards and alerts read, so they exist from the first scrape.
    for (const char* r : {"success", "error", "partial"}) impl_->cycles.Add({{"result", r}});
    for (const char* r : {"success", "error"}) impl_->reloads.Add({{"result", r}});
}

Metrics::~Metrics() = default;

std::vector<std::string> Metrics::family_names() const {
    auto& i = *impl_;
    return {i.cycles.GetName(),
            i.cycle_duration.GetName(),
            i.actions.GetName(),
            i.requests.GetName(),
            i.request_duration.GetName(),
            i.throttled.GetName(),
            i.retries.GetName(),
            i.ratelimit.GetName(),
            i.tokens.GetName(),
            i.reloads.GetName(),
            i.reload_success.GetName(),
            i.config_errors.GetName(),
            kPoolNodes.name,
            kAllocation.name,
            kConditionFamily.name,
            kResizeErrors.name,
            i.replicas.GetName(),
            i.replication.GetName(),
            i.findings.GetName(),
            i.orphaned.GetName(),
            i.rollout_step.GetName(),
            i.rollout_halted.GetName(),
            i.tracked.GetName(),
            i.build.GetName(),
            i.leader_transitions.GetName(),
            i.leader.GetName(),
            i.lease_renew.GetName()};
}

namespace {

std::shared_ptr<PoolRows> BuildRows(std::size_t count,
                                    const std::function<void(std::size_t, PoolSample&)>& fill) {
    auto rows = std::make_shared<PoolRows>();
    rows->reserve(count);
    PoolSample p;
    for (std::size_t i = 0; i < count; ++i) {
        fill(i, p);
        PoolRow& r = rows->emplace_back();
        r.account = p.account;
        r.pool = p.pool;
        r.nodes = {p.target_dedicated, p.target_low_priority, p.current_dedicated,
                   p.current_low_priority};
        r.desired_dedicated = p.desired_dedicated;
        r.desired_low_priority = p.desired_low_priority;
        for (std::size_t s = 0; s < kAllocationStates.size(); ++s)
            if (kAllocationStates[s] == p.allocation_state) r.allocation = static_cast<int>(s);
        for (std::size_t c = 0; c < kConditions.size(); ++c) {
            auto it = p.conditions.find(kConditions[c]);
            r.conditions[c] = it != p.conditions.end() && it->second;
        }
        r.resize_errors.assign(p.resize_errors.begin(), p.resize_errors.end());
    }
    return rows;
}

}  // namespace

Metrics::Exposition Metrics::exposition(std::size_t piece_size) const {
    std::shared_ptr<const PoolRows> pools;
    {
        std::lock_guard lock(impl_->mutex);
        pools = impl_->pools;
    }
    return exposition(std::move(pools), piece_size);
}

Metrics::Exposition Metrics::exposition(std::size_t count,
                                        const std::function<void(std::size_t, PoolSample&)>& fill,
                                        std::size_t piece_size) const {
    return exposition(BuildRows(count, fill), piece_size);
}

Metrics::Exposition Metrics::exposition(std::shared_ptr<const detail::PoolRows> pools,
                                        std::size_t piece_size) const {
    auto st = std::make_unique<Exposition::State>();
    auto& i = *impl_;
    // The registry's order: counters, gauges, histograms, each as registered.
    st->families = {&i.cycles,         &i.actions,       &i.requests,       &i.throttled,
                    &i.retries,        &i.tokens,        &i.reloads,        &i.ratelimit,
                    &i.reload_success, &i.config_errors, &i.replicas,       &i.replication,
                    &i.findings,       &i.orphaned,      &i.rollout_step,   &i.rollout_halted,
                    &i.tracked,        &i.build,         &i.cycle_duration, &i.request_duration};
    // Leader election's families, registered after the others: the last counter, the last
    // gauge, the last histogram.
    auto after = [&](const prometheus::Collectable* family) {
        return std::find(st->families.begin(), st->families.end(), family) + 1;
    };
    st->families.insert(after(&i.reloads), &i.leader_transitions);
    st->families.insert(after(&i.build), &i.leader);
    st->families.insert(after(&i.request_duration), &i.lease_renew);
    st->pools = std::move(pools);
    st->piece_size = std::max<std::size_t>(1, piece_size);
    return Exposition(std::move(st));
}

std::string Metrics::serialize() const {
    std::string out;
    out.reserve(impl_->last_size.load() + impl_->last_size.load() / 8);
    auto e = exposition(std::size_t(-1));
    while (e.next(out)) {
    }
    impl_->last_size = out.size();
    return out;
}

void Metrics::cycle_finished(std::string_view result, double seconds) {
    static const prometheus::Histogram::BucketBoundaries kBuckets = {
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    impl_->cycles.Add({{"result", std::string(result)}}).Increment();
    impl_->cycle_duration.Add({}, kBuckets).Observe(seconds);
}

void Metrics::set_tracked_items(double count) { impl_->tracked.Add({}).Set(count); }

void Metrics::set_leader(bool leader) { impl_->leader.Add({}).Set(leader ? 1 : 0); }

void Metrics::leader_transition() { impl_->leader_transitions.Add({}).Increment(); }

void Metrics::lease_renew(bool ok, double seconds) {
    static const prometheus::Histogram::BucketBoundaries kBuckets = {
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    impl_->lease_renew.Add({{"result", ok ? "success" : "error"}}, kBuckets).Observe(seconds);
}

void Metrics::action_finished(std::string_view kind, std::string_view result) {
    impl_->actions.Add({{"kind", std::string(kind)}, {"result", std::string(result)}}).Increment();
}

void Metrics::azure_request(std::string_view service, std::string_view operation, int status,
                            double seconds) {
    static const prometheus::Histogram::BucketBoundaries kBuckets = {
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    impl_->requests
        .Add({{"service", std::string(service)},
              {"operation", std::string(operation)},
              {"code", std::to_string(status)}})
        .Increment();
    impl_->request_duration
        .Add({{"service", std::string(service)}, {"operation", std::string(operation)}}, kBuckets)
        .Observe(seconds);
}

void Metrics::azure_throttled(std::string_view service, std::string_view operation) {
    impl_->throttled.Add({{"service", std::string(service)}, {"operation", std::string(operation)}})
        .Increment();
}

void Metrics::azure_retry(std::string_view service, std::string_view reason) {
    impl_->retries.Add({{"service", std::string(service)}, {"reason", std::string(reason)}})
        .Increment();
}

void Metrics::ratelimit_remaining(std::string_view kind, double value) {
    impl_->ratelimit.Add({{"kind", std::string(kind)}}).Set(value);
}

void Metrics::token_refresh(std::string_view resource, bool ok) {
    impl_->tokens.Add({{"resource", std::string(resource)}, {"result", ok ? "success" : "error"}})
        .Increment();
}

void Metrics::config_reload(bool ok, double unix_seconds) {
    impl_->reloads.Add({{"result", ok ? "success" : "error"}}).Increment();
    if (ok) impl_->reload_success.Add({}).Set(unix_seconds);
}

void Metrics::set_config_errors(const std::map<std::string, int>& errors_by_file) {
    std::lock_guard lock(impl_->mutex);
    auto& set = impl_->config_errors_set;
    set.begin();
    for (const auto& [file, n] : errors_by_file) set.set({{"file", file}}, n);
    set.end();
}

void Metrics::set_pools(const std::vector<PoolSample>& pools) {
    set_pools(pools.size(), [&](std::size_t i, PoolSample& out) { out = pools[i]; });
}

void Metrics::set_pools(std::size_t count,
                        const std::function<void(std::size_t, PoolSample&)>& fill) {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->pools.reset();  // not the old and the new rows at once (an Exposition may hold it)
    }
    auto rows = BuildRows(count, fill);
    std::lock_guard lock(impl_->mutex);
    impl_->pools = std::move(rows);
}

void Metrics::set_replicas(const std::vector<ReplicaSample>& replicas) {
    std::lock_guard lock(impl_->mutex);
    auto& counts = impl_->replicas_set;
    auto& states = impl_->replication_set;
    counts.begin();
    states.begin();
    for (const auto& r : replicas) {
        Labels base = {{"image_version", r.image_version}, {"region", r.region}};
        auto with = [&](const char* key, const std::string& value) {
            Labels l = base;
            l.emplace(key, value);
            return l;
        };
        counts.set(with("kind", "required"), r.required);
        counts.set(with("kind", "current"), r.current);
        for (const auto& s : kReplicationStates) states.set(with("state", s), s == r.state ? 1 : 0);
    }
    counts.end();
    states.end();
}

void Metrics::set_findings(const std::map<std::pair<std::string, std::string>, int>& findings) {
    std::lock_guard lock(impl_->mutex);
    auto& set = impl_->findings_set;
    set.begin();
    for (const auto& [key, n] : findings)
        set.set({{"severity", key.first}, {"code", key.second}}, n);
    set.end();
}

void Metrics::set_orphaned(const std::vector<std::pair<std::string, std::string>>& pools) {
    std::lock_guard lock(impl_->mutex);
    auto& set = impl_->orphaned_set;
    set.begin();
    for (const auto& [account, pool] : pools) set.set({{"account", account}, {"pool", pool}}, 1);
    set.end();
}

void Metrics::set_rollouts(const std::vector<RolloutSample>& pools,
                           const std::map<std::string, bool>& groups) {
    std::lock_guard lock(impl_->mutex);
    auto& steps = impl_->rollout_step_set;
    steps.begin();
    for (const auto& r : pools)
        steps.set({{"account", r.account}, {"pool", r.pool}, {"group", r.group}}, r.step);
    steps.end();
    auto& halted = impl_->rollout_halted_set;
    halted.begin();
    for (const auto& [group, h] : groups) halted.set({{"group", group}}, h ? 1 : 0);
    halted.end();
}

}  // namespace pw::metrics
