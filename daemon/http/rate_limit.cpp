#include "http/rate_limit.hpp"

#include <algorithm>

namespace pw::http {

TokenBucket::TokenBucket(double rate_per_second, double burst, Clock::time_point now)
    : configured_rate_(std::max(rate_per_second, 1e-6)),
      rate_(configured_rate_),
      burst_(std::max(burst, 1.0)),
      tokens_(burst_),
      last_(now) {}

void TokenBucket::Refill(Clock::time_point now) {
    if (now <= last_) return;
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
}

double TokenBucket::tokens(Clock::time_point now) {
    Refill(now);
    return tokens_;
}

void TokenBucket::Adapt(double remaining, Clock::time_point now) {
    Refill(now);
    remaining = std::max(remaining, 0.0);
    const double since = adapted_ == Clock::time_point{} || now <= adapted_
                             ? 0.0
                             : std::chrono::duration<double>(now - adapted_).count();
    adapted_ = now;
    if (remaining + configured_rate_ + 1.0 < tokens_) {
        rate_ = std::max(rate_ / 2, configured_rate_ / 16);
    } else {
        rate_ = std::min(configured_rate_, rate_ + configured_rate_ * since / 10.0);
    }
    tokens_ = std::min(tokens_, remaining);
}

TokenBucket::Clock::duration TokenBucket::Reserve(Clock::time_point now) {
    Refill(now);
    tokens_ -= 1.0;
    if (tokens_ >= 0) return Clock::duration::zero();
    return std::chrono::ceil<Clock::duration>(std::chrono::duration<double>(-tokens_ / rate_));
}

RateLimiter::RateLimiter(std::function<RateLimit(const std::string&)> limit_for)
    : limit_for_(std::move(limit_for)) {}

TokenBucket& RateLimiter::bucket(const std::string& key) {
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        const RateLimit limit = limit_for_(key);
        it = buckets_
                 .emplace(key, TokenBucket(limit.rate_per_second, limit.burst,
                                           TokenBucket::Clock::now()))
                 .first;
    }
    return it->second;
}

TokenBucket::Clock::duration RateLimiter::peek(const std::vector<std::string>& keys) {
    TokenBucket::Clock::duration wait{};
    const auto now = TokenBucket::Clock::now();
    for (const auto& key : keys) {
        auto copy = bucket(key);
        wait = std::max(wait, copy.Reserve(now));
    }
    return wait;
}

void RateLimiter::adapt(const std::string& key, double remaining) {
    bucket(key).Adapt(remaining, TokenBucket::Clock::now());
}

boost::asio::awaitable<bool> RateLimiter::acquire(const std::vector<std::string>& keys,
                                                  StopSignal& stop) {
    TokenBucket::Clock::duration wait{};
    const auto now = TokenBucket::Clock::now();
    for (const auto& key : keys) wait = std::max(wait, bucket(key).Reserve(now));
    co_return co_await stop.sleep(wait);
}

}  // namespace pw::http
