#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <sstream>

#include "execute/execute.hpp"
#include "server/metrics_bridge.hpp"

namespace pw::server {
namespace {

using Labels = std::map<std::string, std::string>;
using reconcile::PoolStatus;
using reconcile::StatusSnapshot;

/// The value of the sample `name{labels}` (exact label set) in a text exposition.
std::optional<double> Sample(const std::string& text, const std::string& name,
                             const Labels& labels) {
    std::string key = name;
    if (!labels.empty()) {
        key += "{";
        bool first = true;
        for (const auto& [k, v] : labels) {
            key += (first ? "" : ",") + k + "=\"" + v + "\"";
            first = false;
        }
        key += "}";
    }
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + " ", 0) == 0) return std::stod(line.substr(key.size() + 1));
    }
    return std::nullopt;
}

/// Number of samples of family `name` whose label `label` equals `value`.
int Count(const std::string& text, const std::string& name, const std::string& label,
          const std::string& value) {
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line))
        if (line.rfind(name + "{", 0) == 0 &&
            line.find(label + "=\"" + value + "\"") != std::string::npos)
            ++n;
    return n;
}

const std::string kVersion =
    "/subscriptions/s/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/studio/"
    "images/render/versions/1.4.0";

reconcile::Condition Cond(std::string_view type, bool status, std::string reason) {
    return {type, status, std::move(reason), "", {}};
}

PoolStatus Pool(std::string id, int desired) {
    PoolStatus p;
    p.id = std::move(id);
    p.account = "render-eus";
    p.desired_nodes = PoolStatus::NodeCounts{desired, 0};
    return p;
}

void Observed(PoolStatus& p, int target, int current, std::string allocation) {
    p.observed_target = PoolStatus::NodeCounts{target, 0};
    p.observed_current = PoolStatus::NodeCounts{current, 0};
    p.target_nodes = target;
    p.current_nodes = current;
    p.allocation_state = std::move(allocation);
}

reconcile::ImageVersionStatus Version(int required, int current, std::string state) {
    reconcile::ImageVersionStatus v;
    v.id = kVersion;
    v.regions.push_back({"East US", required, current, std::move(state), 0});
    return v;
}

Labels PoolLabels(const std::string& pool, Labels extra) {
    extra.emplace("account", "render-eus");
    extra.emplace("pool", pool);
    return extra;
}

Labels Replica(Labels extra) {
    extra.emplace("image_version", kVersion);
    extra.emplace("region", "eastus");
    return extra;
}

// A 3000-VM pool: replicas first (1 -> 10), then the pool is created and grows; a second
// pool hits AllocationTimedout; then the second pool leaves the config.
TEST(UpdateMetricsTest, ScriptedCyclesOfA3000VmPool) {
    metrics::Metrics m("test");

    // Cycle 1: pool not created, waiting for replication (1 of 10 replicas).
    StatusSnapshot s;
    auto big = Pool("render-linux", 3000);
    big.conditions = {Cond("Ready", false, "NotCreated"),
                      Cond("Progressing", true, "WaitingForReplication"),
                      Cond("Degraded", false, "AsExpected")};
    s.pools = {big};
    s.image_versions = {Version(10, 1, "Replicating")};
    s.config_files = {{"pools.d/render.yaml", true, false, {}}};
    UpdateMetrics(s, m);
    auto text = m.serialize();
    EXPECT_EQ(Sample(text, "poolwarden_pool_nodes",
                     PoolLabels("render-linux", {{"kind", "dedicated"}, {"state", "desired"}})),
              3000);
    EXPECT_EQ(Sample(text, "poolwarden_pool_nodes",
                     PoolLabels("render-linux", {{"kind", "dedicated"}, {"state", "current"}})),
              0);
    EXPECT_EQ(Sample(text, "poolwarden_pool_condition",
                     PoolLabels("render-linux", {{"condition", "Ready"}})),
              0);
    EXPECT_EQ(Sample(text, "poolwarden_pool_condition",
                     PoolLabels("render-linux", {{"condition", "Progressing"}})),
              1);
    EXPECT_EQ(Sample(text, "poolwarden_image_replicas", Replica({{"kind", "required"}})), 10);
    EXPECT_EQ(Sample(text, "poolwarden_image_replicas", Replica({{"kind", "current"}})), 1);
    EXPECT_EQ(
        Sample(text, "poolwarden_image_replication_state", Replica({{"state", "Replicating"}})), 1);
    EXPECT_EQ(Sample(text, "poolwarden_image_replication_state", Replica({{"state", "Completed"}})),
              0);
    EXPECT_EQ(Sample(text, "poolwarden_config_errors", {{"file", "pools.d/render.yaml"}}), 0);

    // Cycle 2: replicas done; the pool exists and is resizing; a second pool failed to allocate.
    Observed(big, 3000, 1200, "resizing");
    big.conditions = {Cond("Ready", false, "Resizing"), Cond("Progressing", true, "Resizing"),
                      Cond("Degraded", false, "AsExpected")};
    auto small = Pool("render-small", 10);
    Observed(small, 10, 4, "steady");
    small.resize_errors = {{"AllocationTimedout", 1}};
    small.conditions = {Cond("Ready", false, "NotAtTarget"), Cond("Progressing", false, "Stable"),
                        Cond("Degraded", true, "RetryingAfterError")};
    s.pools = {big, small};
    s.image_versions = {Version(10, 10, "Completed")};
    s.findings = {{model::Severity::Warning, "ResizeError", "render-eus", "render-small", "", "x"},
                  {model::Severity::Warning, "ResizeError", "render-eus", "render-x", "", "y"}};
    UpdateMetrics(s, m);
    text = m.serialize();
    EXPECT_EQ(Sample(text, "poolwarden_pool_nodes",
                     PoolLabels("render-linux", {{"kind", "dedicated"}, {"state", "target"}})),
              3000);
    EXPECT_EQ(Sample(text, "poolwarden_pool_nodes",
                     PoolLabels("render-linux", {{"kind", "dedicated"}, {"state", "current"}})),
              1200);
    EXPECT_EQ(Sample(text, "poolwarden_pool_nodes",
                     PoolLabels("render-linux", {{"kind", "lowPriority"}, {"state", "current"}})),
              0);
    EXPECT_EQ(Sample(text, "poolwarden_pool_allocation_state",
                     PoolLabels("render-linux", {{"state", "resizing"}})),
              1);
    EXPECT_EQ(Sample(text, "poolwarden_pool_allocation_state",
                     PoolLabels("render-linux", {{"state", "steady"}})),
              0);
    EXPECT_EQ(Sample(text, "poolwarden_pool_resize_errors",
                     PoolLabels("render-small", {{"code", "AllocationTimedout"}})),
              1);
    EXPECT_EQ(Sample(text, "poolwarden_pool_condition",
                     PoolLabels("render-small", {{"condition", "Degraded"}})),
              1);
    EXPECT_EQ(Sample(text, "poolwarden_image_replicas", Replica({{"kind", "current"}})), 10);
    EXPECT_EQ(Sample(text, "poolwarden_image_replication_state", Replica({{"state", "Completed"}})),
              1);
    EXPECT_EQ(
        Sample(text, "poolwarden_image_replication_state", Replica({{"state", "Replicating"}})), 0);
    EXPECT_EQ(
        Sample(text, "poolwarden_findings", {{"code", "ResizeError"}, {"severity", "warning"}}), 2);

    // Cycle 3: the big pool converged; render-small's file is broken (its last good version is
    // dropped from the config here), and a daemon-file reload was rejected.
    Observed(big, 3000, 3000, "steady");
    big.conditions = {Cond("Ready", true, "Converged"), Cond("Progressing", false, "Stable"),
                      Cond("Degraded", false, "AsExpected")};
    s.pools = {big};
    s.findings.clear();
    s.config_files = {{"pools.d/render.yaml", true, false, {}},
                      {"pools.d/small.yaml", false, false, {"e1", "e2"}}};
    s.config_error =
        "/etc/poolwarden/poolwarden.yaml:3:1: accounts: expected a list\n"
        "/etc/poolwarden/poolwarden.yaml:9:3: reconcile.interval: bad duration";
    UpdateMetrics(s, m);
    text = m.serialize();
    EXPECT_EQ(Sample(text, "poolwarden_pool_condition",
                     PoolLabels("render-linux", {{"condition", "Ready"}})),
              1);
    EXPECT_EQ(Sample(text, "poolwarden_pool_nodes",
                     PoolLabels("render-linux", {{"kind", "dedicated"}, {"state", "current"}})),
              3000);
    EXPECT_EQ(Count(text, "poolwarden_pool_nodes", "pool", "render-small"), 0);
    EXPECT_EQ(Count(text, "poolwarden_pool_condition", "pool", "render-small"), 0);
    EXPECT_EQ(Count(text, "poolwarden_pool_resize_errors", "pool", "render-small"), 0);
    EXPECT_EQ(Count(text, "poolwarden_pool_allocation_state", "pool", "render-small"), 0);
    EXPECT_EQ(Count(text, "poolwarden_findings", "code", "ResizeError"), 0);
    EXPECT_EQ(Sample(text, "poolwarden_config_errors", {{"file", "pools.d/small.yaml"}}), 2);
    EXPECT_EQ(
        Sample(text, "poolwarden_config_errors", {{"file", "/etc/poolwarden/poolwarden.yaml"}}), 2);

    // An orphaned pool (owned, no file declares it) is one series until it is declared again.
    model::Finding orphan;
    orphan.severity = model::Severity::Warning;
    orphan.code = "Orphaned";
    orphan.account = "render-eus";
    orphan.pool = "old-pool";
    s.findings = {orphan};
    UpdateMetrics(s, m);
    EXPECT_EQ(Sample(m.serialize(), "poolwarden_pool_orphaned",
                     {{"account", "render-eus"}, {"pool", "old-pool"}}),
              1);
    s.findings.clear();

    // Cycle 4: the image version is no longer used by any pool.
    s.pools.clear();
    s.image_versions.clear();
    s.config_error.clear();
    UpdateMetrics(s, m);
    text = m.serialize();
    EXPECT_EQ(Count(text, "poolwarden_image_replicas", "region", "eastus"), 0);
    EXPECT_EQ(Count(text, "poolwarden_image_replication_state", "region", "eastus"), 0);
    EXPECT_EQ(Count(text, "poolwarden_pool_nodes", "pool", "render-linux"), 0);
    EXPECT_EQ(Count(text, "poolwarden_config_errors", "file", "/etc/poolwarden/poolwarden.yaml"),
              0);
    EXPECT_EQ(Count(text, "poolwarden_pool_orphaned", "pool", "old-pool"), 0);
}

TEST(UpdateMetricsTest, AutoscalePoolHasNoDesiredSize) {
    metrics::Metrics m("test");
    StatusSnapshot s;
    PoolStatus p;
    p.id = "auto";
    p.account = "render-eus";
    Observed(p, 7, 5, "steady");
    s.pools = {p};
    UpdateMetrics(s, m);
    auto text = m.serialize();
    EXPECT_EQ(Count(text, "poolwarden_pool_nodes", "state", "desired"), 0);
    EXPECT_EQ(Sample(text, "poolwarden_pool_nodes",
                     PoolLabels("auto", {{"kind", "dedicated"}, {"state", "target"}})),
              7);
}

model::Action Act(model::ActionKind kind) {
    model::Action a;
    a.kind = kind;
    return a;
}

TEST(RecordCycleTest, CountsCyclesByResultAndActionsByOutcome) {
    metrics::Metrics m("test");
    reconcile::CycleReport r;
    r.observation.accounts["render-eus"].complete = true;
    r.outcomes.push_back({Act(model::ActionKind::SetRegionalReplicas),
                          execute::Status::Succeeded,
                          std::nullopt,
                          {}});
    r.outcomes.push_back(
        {Act(model::ActionKind::WaitForReplication), execute::Status::Waiting, std::nullopt, {}});
    RecordCycle(r, 1.5, m);

    r.outcomes = {
        {Act(model::ActionKind::CreatePool), execute::Status::Failed, std::nullopt, {}},
        {Act(model::ActionKind::ResizePool), execute::Status::NotStarted, std::nullopt, {}}};
    r.failed = 1;
    RecordCycle(r, 1.5, m);

    r.outcomes.clear();
    r.failed = 0;
    r.incomplete = true;
    r.observation.accounts["other"].complete = false;
    RecordCycle(r, 1.5, m);

    r.observation.accounts["render-eus"].complete = false;
    EXPECT_EQ(CycleResult(r), "error");

    auto text = m.serialize();
    EXPECT_EQ(Sample(text, "poolwarden_reconcile_cycles_total", {{"result", "success"}}), 1);
    EXPECT_EQ(Sample(text, "poolwarden_reconcile_cycles_total", {{"result", "error"}}), 1);
    EXPECT_EQ(Sample(text, "poolwarden_reconcile_cycles_total", {{"result", "partial"}}), 1);
    EXPECT_EQ(Sample(text, "poolwarden_reconcile_cycle_duration_seconds_sum", {}), 4.5);
    EXPECT_EQ(Sample(text, "poolwarden_reconcile_cycle_duration_seconds_bucket", {{"le", "1"}}), 0);
    EXPECT_EQ(Sample(text, "poolwarden_reconcile_cycle_duration_seconds_bucket", {{"le", "2.5"}}),
              3);
    EXPECT_EQ(Sample(text, "poolwarden_actions_total",
                     {{"kind", "SetRegionalReplicas"}, {"result", "success"}}),
              1);
    EXPECT_EQ(Sample(text, "poolwarden_actions_total",
                     {{"kind", "WaitForReplication"}, {"result", "waiting"}}),
              1);
    EXPECT_EQ(
        Sample(text, "poolwarden_actions_total", {{"kind", "CreatePool"}, {"result", "error"}}), 1);
    EXPECT_EQ(
        Sample(text, "poolwarden_actions_total", {{"kind", "ResizePool"}, {"result", "skipped"}}),
        1);
}

TEST(RecordCycleTest, TrackedItemsGaugeFollowsTheLastCycle) {
    metrics::Metrics m("test");
    reconcile::CycleReport r;
    r.tracked_items = 104;
    RecordCycle(r, 0.1, m);
    EXPECT_EQ(Sample(m.serialize(), "poolwarden_tracked_items", {}), 104);
    r.tracked_items = 12;
    RecordCycle(r, 0.1, m);
    EXPECT_EQ(Sample(m.serialize(), "poolwarden_tracked_items", {}), 12);
}

}  // namespace
}  // namespace pw::server
