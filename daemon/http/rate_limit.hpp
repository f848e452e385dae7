#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "http/stop_signal.hpp"

namespace pw::http {

/// A token bucket: `rate` tokens per second, at most `burst` stored. Reservations may drive
/// it negative so that waiters queue in order. Pure (time is passed in).
///
/// Thread safety: a value type; not synchronised.
class TokenBucket {
  public:
    using Clock = std::chrono::steady_clock;
    TokenBucket(double rate_per_second, double burst, Clock::time_point now);

    /// Takes one token; returns how long the caller must wait before using it (zero if none).
    Clock::duration Reserve(Clock::time_point now);
    double tokens(Clock::time_point now);
    /// The refill rate now (lowered by Adapt(), never above the configured one).
    double rate() const { return rate_; }

    /// The server reports `remaining` tokens in its own bucket for the same quota. The bucket
    /// never holds more than that. When the server has clearly fewer than this bucket counts
    /// (more than a second of refill below it: someone else draws from the same quota, or
    /// the server's bucket is smaller), the refill rate halves, down to 1/16 of the
    /// configured one; while reports agree it climbs back, to the full rate in 10 s.
    void Adapt(double remaining, Clock::time_point now);

  private:
    void Refill(Clock::time_point now);
    double configured_rate_;
    double rate_;
    double burst_;
    Clock::time_point adapted_{};
    double tokens_;
    Clock::time_point last_;
};

/// Rate and burst of one bucket.
struct RateLimit {
    double rate_per_second = 10;
    double burst = 20;
};

/// Client-side rate limiting: one TokenBucket per key (`host:<name>`, `sub-reads:<id>`, ...),
/// created on first use with the limit `limit_for(key)` gives.
///
/// Thread safety: use from one strand.
class RateLimiter {
  public:
    explicit RateLimiter(std::function<RateLimit(const std::string& key)> limit_for);

    /// Takes one token from every named bucket, sleeping for the longest wait. Returns false
    /// when `stop` ends the wait (shutdown).
    boost::asio::awaitable<bool> acquire(const std::vector<std::string>& keys, StopSignal& stop);

    /// How long acquire(keys) would wait now, without taking tokens (for tests and metrics).
    TokenBucket::Clock::duration peek(const std::vector<std::string>& keys);

    /// The server reports `remaining` requests left in its quota for `key` (TokenBucket::Adapt).
    void adapt(const std::string& key, double remaining);
    /// The current refill rate of `key`'s bucket (creating it if needed).
    double rate(const std::string& key) { return bucket(key).rate(); }

  private:
    TokenBucket& bucket(const std::string& key);
    std::function<RateLimit(const std::string&)> limit_for_;
    std::map<std::string, TokenBucket> buckets_;
};

}  // namespace pw::http
