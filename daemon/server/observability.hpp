#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "config/config.hpp"
#include "http/server.hpp"
#include "metrics/metrics.hpp"
#include "model/result.hpp"
#include "reconcile/reconciler.hpp"
#include "reconcile/status.hpp"
#include "server/endpoints.hpp"
#include "server/metrics_bridge.hpp"

namespace pw::server {

/// Splits `host:port` or `[v6]:port` (numeric host, port 0-65535) into host and port.
Result<std::pair<std::string, std::uint16_t>, std::string> ParseListen(std::string_view listen);

/// The daemon's observability: the Metrics registry, the Azure request observer feeding it,
/// liveness and readiness state, and the HTTP server for `/metrics`, `/healthz`, `/readyz` and
/// `/status`. The app creates it after loading the config, hands observer() to the Azure
/// clients, calls config_loaded() at every (re)load and cycle_finished() after every pass,
/// and start() in run mode.
///
/// Thread safety: start()/rebind()/stop() on the daemon's thread; the recording methods and
/// observer() may be called from any thread.
class Observability {
  public:
    /// `interval` returns the reconcile interval in force (read at every /healthz).
    Observability(const config::DaemonConfig& daemon,
                  std::function<std::chrono::milliseconds()> interval);
    ~Observability();
    Observability(const Observability&) = delete;
    Observability& operator=(const Observability&) = delete;

    metrics::Metrics& metrics() { return metrics_; }
    MetricsObserver& observer() { return observer_; }

    /// A (re)load: `clean` when the daemon file and every pool file were accepted. Any load
    /// makes the `config` readiness check pass (a rejected reload keeps the running config).
    void config_loaded(bool clean);
    /// A finished pass: cycle and action metrics, liveness, the `observation` readiness check.
    void cycle_finished(const reconcile::CycleReport& report);

    /// Connections left idle (before a request, or between two) are closed after this.
    static constexpr std::chrono::seconds kIdleTimeout{10};

    /// Binds `listen` and serves on `executor`, reading `status` at every request: at most
    /// `listen.maxConnections` connections at once (more are closed as soon as accepted), idle
    /// ones closed after kIdleTimeout. Logs a warning for a non-loopback address. Returns the
    /// bound port, or why it could not bind.
    Result<std::uint16_t, std::string> start(boost::asio::any_io_executor executor,
                                             const reconcile::StatusStore& status);
    /// Reload: binds `listen` (when it names another address than the one in force); only once
    /// that succeeded is the old listener stopped (its responses being written finish). On
    /// failure the old listener keeps serving and the error says why. A changed
    /// `max_connections` applies to connections accepted from then on. After start() only.
    Result<std::uint16_t, std::string> rebind(const std::string& listen, int max_connections);
    /// Stops accepting; responses being written finish.
    void stop();

    /// The endpoints' inputs (for tests and start()).
    Sources sources(const reconcile::StatusStore& status);

  private:
    /// Binds and starts a server for `listen` on executor_, serving sources_.
    Result<std::unique_ptr<http::Server>, std::string> bind(const std::string& listen);

    std::string listen_;           ///< The address in force.
    std::size_t max_connections_;  ///< The connection cap in force.
    std::function<std::chrono::milliseconds()> interval_;
    metrics::Metrics metrics_;
    MetricsObserver observer_;
    std::chrono::steady_clock::time_point started_;
    std::atomic<bool> config_loaded_{false};
    std::atomic<std::int64_t> last_cycle_{0};  ///< steady_clock ticks; 0: none yet.
    std::atomic<bool> observed_{false};
    std::atomic<std::uint64_t> cycles_{0};
    mutable std::mutex mutex_;
    std::string unobserved_;  ///< Why the last pass was incomplete; guarded by mutex_.
    boost::asio::any_io_executor executor_;  ///< Set by start().
    std::shared_ptr<Sources> sources_;       ///< Set by start(); shared by every listener.
    std::unique_ptr<http::Server> server_;
};

}  // namespace pw::server
