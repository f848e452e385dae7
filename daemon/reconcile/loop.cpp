#include "reconcile/loop.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

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
        in_pass_ = true;
        try {
            // A named copy: the desired state must outlive every suspension of the pass.
            const model::DesiredState desired = desired_();
            auto report = co_await reconciler_.reconcile_once(
                desired, std::chrono::system_clock::now(), &stop_);
            requeue = report.requeue_after;
            if (on_cycle_) on_cycle_(report);
        } catch (const std::exception& e) {
            // A bug, not an Azure error: keep the daemon alive and try again after a pause.
            log::Write(spdlog::level::err, "reconcile pass failed", {{"error", e.what()}});
        }
        in_pass_ = false;
        if (stop_) break;
        if (triggered_) continue;
        timer_->expires_after(NextDelay(options_.interval, options_.jitter, unit(rng_), requeue));
        co_await timer_->async_wait(asio::as_tuple(asio::use_awaitable));
    }
    timer_.reset();
}

}  // namespace pw::reconcile
