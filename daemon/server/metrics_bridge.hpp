#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "azure/observer.hpp"
#include "config/config.hpp"
#include "metrics/metrics.hpp"
#include "reconcile/reconciler.hpp"
#include "reconcile/status.hpp"

namespace pw::server {

/// Feeds what the Azure clients report into Metrics with bounded labels: service `arm`,
/// `batch`, `aad` or `imds` (else `other`), the clients' fixed operation names (anything else
/// becomes `other`), the status code, the retry reason as an ErrorKind name, the token
/// resource as `arm` or `batch`. Never request ids, URLs or messages. Also remembers whether a
/// token was ever acquired (the `token` readiness check).
///
/// Thread safety: every method may be called from any thread.
class MetricsObserver : public azure::RequestObserver {
  public:
    MetricsObserver(metrics::Metrics& metrics, const config::CloudEndpoints& cloud);

    void on_request(std::string_view service, std::string_view operation, int status,
                    std::chrono::milliseconds duration) override;
    void on_throttled(std::string_view service, std::string_view operation,
                      std::optional<std::chrono::milliseconds> retry_after) override;
    void on_retry(std::string_view service, std::string_view operation, const azure::Error& error,
                  std::chrono::milliseconds delay) override;
    void on_ratelimit_remaining(std::string_view header, long long value) override;
    void on_token_refresh(std::string_view resource, bool ok) override;

    /// True once any token fetch succeeded.
    bool token_acquired() const { return token_acquired_; }
    /// Token fetches that failed since the last success.
    int token_failures() const { return token_failures_; }

  private:
    metrics::Metrics& metrics_;
    std::string batch_resource_;
    std::string management_resource_;
    std::atomic<bool> token_acquired_{false};
    std::atomic<int> token_failures_{0};
};

/// Sets every per-cycle gauge from a status snapshot: pool nodes (desired, target, current by
/// kind), allocation state, conditions, resize errors by code, replicas (required, current) and
/// replication state per image version and region, findings by (severity, code), and errors
/// per config file (a rejected daemon file counts under its own name). Pools and versions gone
/// from the snapshot disappear from the metrics.
void UpdateMetrics(const reconcile::StatusSnapshot& snapshot, metrics::Metrics& metrics);
/// UpdateMetrics() but the per-pool gauges (for an exposition given PoolSamples()).
void UpdateMetricsButPools(const reconcile::StatusSnapshot& snapshot, metrics::Metrics& metrics);
/// The per-pool samples of a snapshot, as Metrics::set_pools() and exposition() take them;
/// the function reads `snapshot`, which must outlive it.
std::function<void(std::size_t, metrics::PoolSample&)> PoolSamples(
    const reconcile::StatusSnapshot& snapshot);

/// Records a finished pass that took `seconds`: the cycle counter and duration, one action
/// count per outcome, and the entries the reconciler keeps between passes. The result label is
/// CycleResult().
void RecordCycle(const reconcile::CycleReport& report, double seconds, metrics::Metrics& metrics);

/// The `poolwarden_reconcile_cycles_total` result of a pass: `success`, `partial` (some account
/// or image not observed) or `error` (no account observed, or a write failed).
std::string_view CycleResult(const reconcile::CycleReport& report);

}  // namespace pw::server
