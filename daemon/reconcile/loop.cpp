#include "reconcile/loop.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <stdexcept>

#include "log/log.hpp"

namespace pw::reconcile {

namespace asio = boost::asio;

Loop::Loop(Reconciler& reconciler, DesiredFn desired, Options options, std::uint64_t seed)
    : reconciler_(reconciler), desired_(std::move(desired)), options_(options), rng_(seed) {}

std::chrono::milliseconds Loop::NextDelay(std::chrono::milliseconds interval, double jitter,
                                          double unit_random,
                                          std::optional<std::chrono::seconds> requeue) {
    double factor = 1.0 + jitter * (2.0 * std::clamp(unit_random, 0.0, 1.0) - 1.0);
    auto base = std::chrono::milliseconds(
        static_cast<long long>(static_cast<double>(interval.count()) * factor));
    if (requeue) base = std::min<std::chrono::milliseconds>(base, *requeue);
    return std::max(base, std::chrono::milliseconds(100));
}

void Loop::trigger() {
    triggered_ = true;
    if (timer_) timer_->cancel();
}

void Loop::stop() {
    stop_ = true;
    if (timer_) timer_->cancel();
}

asio::awaitable<void> Loop::run() {
    timer_.emplace(co_await asio::this_coro::executor);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    while (!stop_) {
        triggered_ = false;
        std::optional<std::chrono::seconds> requeue;
        observe::Watch watch;
        in_pass_ = true;
        try {
            // Held for the whole pass: it must outlive every suspension, whatever a reload
            // installs meanwhile.
            const std::shared_ptr<const model::DesiredState> desired = desired_();
            if (!desired) throw std::logic_error("no desired state");
            auto report = co_await reconciler_.reconcile_once(
                *desired, std::chrono::system_clock::now(), &stop_);
            requeue = report.requeue_after;
            watch = report.watch;
            if (on_cycle_) on_cycle_(report);
        } catch (const std::exception& e) {
            // A bug, not an Azure error: keep the daemon alive and try again after a pause.
            log::Write(spdlog::level::err, "reconcile pass failed", {{"error", e.what()}});
        }
        in_pass_ = false;
        if (stop_) break;
        if (triggered_) continue;
        co_await wait(NextDelay(options_.interval, options_.jitter, unit(rng_), requeue), watch);
    }
    timer_.reset();
}

asio::awaitable<void> Loop::wait(std::chrono::milliseconds delay, const observe::Watch& watch) {
    using Clock = std::chrono::steady_clock;
    const auto due = Clock::now() + delay;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    while (!stop_ && !triggered_) {
        const auto left = due - Clock::now();
        if (left <= Clock::duration::zero()) co_return;
        auto step = std::chrono::duration_cast<Clock::duration>(left);
        if (!watch.empty()) {
            step = std::min<Clock::duration>(
                step, NextDelay(options_.watch_interval, options_.jitter, unit(rng_), {}));
        }
        timer_->expires_after(step);
        co_await timer_->async_wait(asio::as_tuple(asio::use_awaitable));
        if (stop_ || triggered_ || watch.empty() || Clock::now() >= due) co_return;
        try {
            auto poll = co_await reconciler_.poll(watch);
            if (poll.changed) {
                log::Write(spdlog::level::debug, "awaited resource changed; reconciling now",
                           {{"change", poll.what}, {"azureReads", std::to_string(poll.calls)}});
                co_return;
            }
        } catch (const std::exception& e) {
            log::Write(spdlog::level::err, "watch poll failed", {{"error", e.what()}});
            co_return;
        }
    }
}

}  // namespace pw::reconcile
