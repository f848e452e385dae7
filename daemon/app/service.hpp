#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "azure/observer.hpp"
#include "notify/notify.hpp"
#include "reconcile/reconciler.hpp"
#include "reconcile/status.hpp"

namespace pw::app {

/// The one-line STATUS= summary of a pass: `3 pools: 2 ready, 1 progressing, 0 degraded; last
/// cycle 0.21s`, plus `; N account(s) not observed` and `; N rejected config file(s)` when so.
/// A pool counts as degraded when Degraded is true, else ready when Ready is true, else
/// progressing. Pure.
std::string StatusLine(const reconcile::StatusSnapshot& snapshot, double cycle_seconds);

/// Forwards every event to `inner` and calls `progress` after each one (an attempt, a retry, a
/// throttled answer, a token fetch: the reconcile pass is moving) and `token` after a token
/// fetch.
///
/// Thread safety: called on the clients' strand, like any RequestObserver.
class ProgressObserver final : public azure::RequestObserver {
  public:
    ProgressObserver(azure::RequestObserver& inner, std::function<void()> progress,
                     std::function<void(bool ok)> token);

    void on_request(std::string_view service, std::string_view operation, int status,
                    std::chrono::milliseconds duration) override;
    void on_throttled(std::string_view service, std::string_view operation,
                      std::optional<std::chrono::milliseconds> retry_after) override;
    void on_retry(std::string_view service, std::string_view operation, const azure::Error& error,
                  std::chrono::milliseconds delay) override;
    void on_ratelimit_remaining(std::string_view header, long long value) override;
    void on_token_refresh(std::string_view resource, bool ok) override;

  private:
    azure::RequestObserver& inner_;
    std::function<void()> progress_;
    std::function<void(bool)> token_;
};

/// The systemd side of `poolwarden run` (Type=notify, WatchdogSec=):
/// - READY=1 once the HTTP listener is up and `ready()` holds (the config and token readiness
///   checks of /readyz, or a complete observation), re-checked at listening(), every token
///   fetch and every pass; before that, STATUS= says what it waits for.
/// - STATUS= after every pass (StatusLine).
/// - WATCHDOG=1 every WatchdogSec/2, but only while the reconcile loop is healthy: idle
///   between passes, or in a pass that made progress (started, or an Azure attempt, retry or
///   token fetch finished) within the last WatchdogSec. A pass stuck longer stops the pings
///   and systemd restarts the daemon.
/// - RELOADING=1 / READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM/SIGINT.
/// Without $NOTIFY_SOCKET every message is a no-op; without WATCHDOG_USEC no timer runs.
///
/// Thread safety: use from the daemon's single-threaded io_context only.
class ServiceNotifier {
  public:
    using Clock = std::chrono::steady_clock;

    /// `ready`: whether the readiness checks READY=1 waits for pass now. `busy`: whether a
    /// reconcile pass is running. `watchdog`: the ping interval (WatchdogSec/2), if enabled.
    ServiceNotifier(
        boost::asio::any_io_executor executor, std::function<bool()> ready,
        std::function<bool()> busy,
        std::optional<std::chrono::microseconds> watchdog = notify::Notifier::watchdog_interval());

    /// Starts the watchdog timer (if enabled).
    void start();
    /// The HTTP listener is up.
    void listening();
    /// The reconcile loop made progress.
    void progress() { last_progress_ = Clock::now(); }
    /// A token fetch finished.
    void token_fetched(bool ok);
    /// A pass finished: STATUS=, and READY=1 if it was still pending.
    void cycle_finished(const std::string& status_line);
    /// SIGHUP: RELOADING=1 (only once READY=1 was sent).
    void reloading();
    /// The SIGHUP reload finished: READY=1 (only once READY=1 was sent before).
    void reloaded();
    /// SIGTERM/SIGINT: STOPPING=1 (pings go on while in-flight writes finish).
    void stopping();
    /// Stops the watchdog timer.
    void cancel() { timer_.cancel(); }

    bool is_ready() const { return ready_sent_; }

  private:
    void maybe_ready();
    void arm();

    notify::Notifier notifier_;
    std::function<bool()> ready_;
    std::function<bool()> busy_;
    std::optional<std::chrono::microseconds> watchdog_;
    boost::asio::steady_timer timer_;
    Clock::time_point last_progress_ = Clock::now();
    bool listening_ = false;
    bool ready_sent_ = false;
    bool stopping_ = false;
    int token_failures_ = 0;
    std::string status_ = "starting";
};

}  // namespace pw::app
