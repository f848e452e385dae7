#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace pw::notify {

/// Tells systemd about the service's state over $NOTIFY_SOCKET (libsystemd's sd_notify).
/// Every call is a no-op when the variable is unset, so the daemon behaves the same outside
/// systemd.
///
/// Thread safety: all methods may be called from any thread.
class Notifier {
  public:
    /// READY=1, with a STATUS= line.
    void ready(std::string_view status) const;
    /// RELOADING=1 (send ready() once the reload is done).
    void reloading() const;
    /// STOPPING=1.
    void stopping() const;
    /// STATUS=<one line> (newlines are replaced).
    void status(std::string_view line) const;
    /// WATCHDOG=1. Send it from the reconcile loop itself so that a hung loop is restarted.
    void watchdog() const;
    /// The interval at which watchdog() must be sent (half of WatchdogSec=), if enabled.
    static std::optional<std::chrono::microseconds> watchdog_interval();
};

}  // namespace pw::notify
