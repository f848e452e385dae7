#pragma once

#include <chrono>

#include "azure/api.hpp"

namespace pw::azure {

/// Bounds of the retry loop. Defaults suit a reconcile pass (the reconciler retries later).
///
/// Thread safety: a value type.
struct RetryPolicy {
    int max_attempts = 5;                              ///< Attempts in total, the first included.
    std::chrono::milliseconds base_delay{500};         ///< Backoff cap of the first retry.
    std::chrono::milliseconds max_delay{30000};        ///< Backoff cap of any retry.
    std::chrono::milliseconds max_retry_after{60000};  ///< A longer Retry-After is not waited.
};

/// Where a request stands when it failed.
struct RetryContext {
    int attempt = 1;               ///< Attempts made so far, this one included.
    bool idempotent = false;       ///< Safe to repeat (GET, If-Match writes, pool add by fixed id).
    bool token_refreshed = false;  ///< A 401 already led to a forced token refresh.
};

/// What to do about a failed attempt.
struct RetryDecision {
    bool retry = false;
    std::chrono::milliseconds delay{0};
    bool refresh_token = false;  ///< Force a new token before the retry (after a 401).
    friend bool operator==(const RetryDecision&, const RetryDecision&) = default;
};

/// The retry policy, as one pure function of the error, the attempt and a random number in
/// [0, 1):
/// - Throttled (429), Server 500/502/503/504, Network and Timeout errors are retried, up to
///   `max_attempts`; a non-idempotent request only when it certainly never reached the server.
/// - The delay is full-jitter exponential backoff, `random01 * min(max_delay, base * 2^(n-1))`,
///   unless the response carried Retry-After: then exactly that long. A Retry-After beyond
///   `max_retry_after` is not waited out here: the error goes back to the caller, which
///   requeues (ARM rejects requests made before Retry-After elapses).
/// - A 401 is retried once, at once, with a forced token refresh.
/// - Client (other 4xx), Auth (403), Decode and Cancelled errors are never retried.
RetryDecision DecideRetry(const Error& error, const RetryContext& context,
                          const RetryPolicy& policy, double random01);

}  // namespace pw::azure
