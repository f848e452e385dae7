#include "app/service.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "log/log.hpp"

namespace pw::app {

std::string StatusLine(const reconcile::StatusSnapshot& snapshot, double cycle_seconds) {
    int ready = 0;
    int progressing = 0;
    int degraded = 0;
    for (const auto& pool : snapshot.pools) {
        auto is = [&](std::string_view type) {
            const auto* c = pool.condition(type);
            return c != nullptr && c->status;
        };
        if (is("Degraded"))
            ++degraded;
        else if (is("Ready"))
            ++ready;
        else
            ++progressing;
    }
    std::string line =
        fmt::format("{} pool{}: {} ready, {} progressing, {} degraded; last cycle {:.2f}s",
                    snapshot.pools.size(), snapshot.pools.size() == 1 ? "" : "s", ready,
                    progressing, degraded, cycle_seconds);
    auto unobserved = std::count_if(snapshot.accounts.begin(), snapshot.accounts.end(),
                                    [](const auto& a) { return !a.observed; });
    if (unobserved > 0) line += fmt::format("; {} account(s) not observed", unobserved);
    auto rejected = std::count_if(snapshot.config_files.begin(), snapshot.config_files.end(),
                                  [](const auto& f) { return !f.valid; }) +
                    (snapshot.config_error.empty() ? 0 : 1);
    if (rejected > 0) line += fmt::format("; {} rejected config file(s)", rejected);
    return line;
}

ProgressObserver::ProgressObserver(azure::RequestObserver& inner, std::function<void()> progress,
                                   std::function<void(bool)> token)
    : inner_(inner), progress_(std::move(progress)), token_(std::move(token)) {}

void ProgressObserver::on_request(std::string_view service, std::string_view operation, int status,
                                  std::chrono::milliseconds duration) {
    inner_.on_request(service, operation, status, duration);
    progress_();
}

void ProgressObserver::on_throttled(std::string_view service, std::string_view operation,
                                    std::optional<std::chrono::milliseconds> retry_after) {
    inner_.on_throttled(service, operation, retry_after);
    progress_();
}

void ProgressObserver::on_retry(std::string_view service, std::string_view operation,
                                const azure::Error& error, std::chrono::milliseconds delay) {
    inner_.on_retry(service, operation, error, delay);
    progress_();
}

void ProgressObserver::on_ratelimit_remaining(std::string_view header, long long value) {
    inner_.on_ratelimit_remaining(header, value);
}

void ProgressObserver::on_token_refresh(std::string_view resource, bool ok) {
    inner_.on_token_refresh(resource, ok);
    progress_();
    token_(ok);
}

ServiceNotifier::ServiceNotifier(boost::asio::any_io_executor executor, std::function<bool()> ready,
                                 std::function<bool()> busy,
                                 std::optional<std::chrono::microseconds> watchdog)
    : ready_(std::move(ready)),
      busy_(std::move(busy)),
      watchdog_(watchdog),
      timer_(std::move(executor)) {}

void ServiceNotifier::start() {
    if (!watchdog_) return;
    log::Write(spdlog::level::info, "systemd watchdog enabled",
               {{"ping", fmt::format("{}ms", watchdog_->count() / 1000)}});
    notifier_.watchdog();
    arm();
}

void ServiceNotifier::arm() {
    timer_.expires_after(*watchdog_);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        // Healthy: idle between passes, or the running pass moved within WatchdogSec.
        if (!busy_() || Clock::now() - last_progress_ <= 2 * *watchdog_) notifier_.watchdog();
        arm();
    });
}

void ServiceNotifier::listening() {
    listening_ = true;
    maybe_ready();
}

void ServiceNotifier::token_fetched(bool ok) {
    if (!ok) ++token_failures_;
    maybe_ready();
}

void ServiceNotifier::cycle_finished(const std::string& status_line) {
    status_ = status_line;
    if (ready_sent_) {
        notifier_.status(status_);
        return;
    }
    maybe_ready();
}

void ServiceNotifier::maybe_ready() {
    if (ready_sent_ || stopping_) return;
    if (listening_ && ready_()) {
        ready_sent_ = true;
        notifier_.ready(status_ == "starting" ? "ready; first reconcile pass running" : status_);
        return;
    }
    if (!listening_) return;
    notifier_.status(token_failures_ == 0
                         ? std::string("starting: waiting for the first Entra ID token")
                         : fmt::format("starting: no Entra ID token yet ({} failed attempt(s); "
                                       "see the log)",
                                       token_failures_));
}

void ServiceNotifier::reloading() {
    if (ready_sent_ && !stopping_) notifier_.reloading();
}

void ServiceNotifier::reloaded() {
    if (ready_sent_ && !stopping_) notifier_.ready(status_);
}

void ServiceNotifier::stopping() {
    if (stopping_) return;
    stopping_ = true;
    notifier_.stopping();
    notifier_.status("stopping: waiting for in-flight writes");
}

}  // namespace pw::app
