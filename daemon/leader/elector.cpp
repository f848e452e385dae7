#include "leader/elector.hpp"

#include <time.h>

#include <algorithm>

namespace pw::leader {

using std::chrono::milliseconds;

BootClock::time_point BootClock::now() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

milliseconds SafetyMargin(std::chrono::seconds lease_duration) {
    return std::max(milliseconds(1000),
                    std::chrono::duration_cast<milliseconds>(lease_duration) / 10);
}

void Elector::on_granted(Mono sent) {
    held_ = true;
    granted_ = sent;
    failed_at_.reset();
}

void Elector::on_lost() {
    held_ = false;
    failed_at_.reset();
}

void Elector::on_failed(Mono now) { failed_at_ = now; }

std::optional<Mono> Elector::valid_until() const {
    if (!held_) return std::nullopt;
    return granted_ + settings_.lease_duration - settings_.safety_margin;
}

bool Elector::can_write(Mono now, milliseconds needed) const {
    auto end = valid_until();
    return end && *end > now + needed;
}

Elector::Step Elector::next(Mono now) const {
    if (is_leader(now)) {
        if (failed_at_) return {Op::Renew, std::max(now, *failed_at_ + std::chrono::seconds(1))};
        return {Op::Renew, std::max(now, granted_ + settings_.renew_every)};
    }
    // Not provably leading: either a standby, or a leader whose proof ran out (paused, or
    // renewals failing). Acquire with our own id: it renews a lease that is still ours
    // (azurite-facts.md: "acquire again with the holder's own id: 201") and fails with
    // LeaseAlreadyPresent when another instance took it.
    if (held_)
        return {Op::Acquire,
                failed_at_ ? std::max(now, *failed_at_ + std::chrono::seconds(1)) : now};
    if (!last_attempt_) return {Op::Acquire, now};
    return {Op::Acquire, std::max(now, *last_attempt_ + settings_.renew_every)};
}

}  // namespace pw::leader
