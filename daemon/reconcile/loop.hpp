#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <random>

#include "model/desired.hpp"
#include "reconcile/reconciler.hpp"

namespace pw::reconcile {

/// The schedule (userver PeriodicTask shape): a pass every `interval` +-`jitter`, sooner when
/// a pass asks to be requeued, at once after trigger() (conflated), none after stop(). While
/// the last pass waits for something (CycleReport::watch: replication, a resize), a light poll
/// of only those resources runs every `watch_interval` +-`jitter` until the next pass, and
/// starts that pass at once when one of them changed state. The pass re-observes everything.
///
/// Thread safety: trigger(), stop() and set_interval() must run on the loop's executor (post
/// them there); `stopping()` may be read from any thread.
class Loop {
  public:
    struct Options {
        std::chrono::milliseconds interval{60000};
        double jitter = 0.1;
        std::chrono::milliseconds watch_interval{5000};
    };
    /// The desired state for a pass, shared and immutable (the loop holds it for the pass).
    using DesiredFn = std::function<std::shared_ptr<const model::DesiredState>()>;
    using CycleFn = std::function<void(const CycleReport&)>;

    Loop(Reconciler& reconciler, DesiredFn desired, Options options,
         std::uint64_t seed = std::random_device{}());

    /// Runs passes until stop(). A pass in progress when stop() is called stops starting
    /// writes and lets started ones finish; then run() returns.
    boost::asio::awaitable<void> run();

    /// Starts a pass now (after the running one, if any). Several triggers make one pass.
    void trigger();
    /// Stops scheduling.
    void stop();
    void set_interval(std::chrono::milliseconds interval) { options_.interval = interval; }

    const std::atomic<bool>& stopping() const { return stop_; }
    /// True while a pass runs (the systemd watchdog tells a busy loop from an idle one).
    bool in_pass() const { return in_pass_; }
    /// Called after every pass (metrics, watchdog, tests).
    void on_cycle(CycleFn fn) { on_cycle_ = std::move(fn); }

    /// The delay before the next pass: interval +-jitter, or the requeue time when sooner.
    static std::chrono::milliseconds NextDelay(std::chrono::milliseconds interval, double jitter,
                                               double unit_random,
                                               std::optional<std::chrono::seconds> requeue);

  private:
    Reconciler& reconciler_;
    DesiredFn desired_;
    Options options_;
    CycleFn on_cycle_;
    std::mt19937_64 rng_;
    std::atomic<bool> stop_{false};
    bool triggered_ = false;
    bool in_pass_ = false;
    std::optional<boost::asio::steady_timer> timer_;

    /// Sleeps until `delay` has passed, polling `watch` meanwhile; returns early on trigger(),
    /// stop() or a change of something watched.
    boost::asio::awaitable<void> wait(std::chrono::milliseconds delay, const observe::Watch& watch);
};

}  // namespace pw::reconcile
