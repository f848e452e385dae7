#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <set>

namespace pw::http {

/// Shutdown for waits: sleeps (backoff, Retry-After, rate limiting) end early once triggered.
/// Work that is already writing to the network is not interrupted by it.
///
/// Thread safety: use from one strand (the daemon's I/O strand).
class StopSignal {
  public:
    /// Ends every current sleep and makes later sleeps return false at once.
    void trigger();
    bool triggered() const { return triggered_; }

    /// Sleeps on the calling coroutine's executor; false when stopped, or when the calling
    /// coroutine was cancelled (its cancellation slot), before the time was up.
    boost::asio::awaitable<bool> sleep(std::chrono::steady_clock::duration d);

  private:
    bool triggered_ = false;
    std::set<boost::asio::steady_timer*> timers_;
};

}  // namespace pw::http
