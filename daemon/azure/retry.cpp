#include "azure/retry.hpp"

#include <algorithm>
#include <cmath>

namespace pw::azure {

namespace {

bool RetryableKind(const Error& error) {
    switch (error.kind) {
        case ErrorKind::Throttled:
        case ErrorKind::Network:
        case ErrorKind::Timeout:
            return true;
        case ErrorKind::Server:
            return error.http_status == 0 || error.http_status == 500 || error.http_status == 502 ||
                   error.http_status == 503 || error.http_status == 504;
        case ErrorKind::Auth:
        case ErrorKind::Client:
        case ErrorKind::Decode:
        case ErrorKind::Cancelled:
            return false;
    }
    return false;
}

}  // namespace

RetryDecision DecideRetry(const Error& error, const RetryContext& context,
                          const RetryPolicy& policy, double random01) {
    if (error.kind == ErrorKind::Auth && error.http_status == 401) {
        if (context.token_refreshed) return {};
        return {.retry = true, .delay = std::chrono::milliseconds(0), .refresh_token = true};
    }
    if (!RetryableKind(error)) return {};
    if (context.attempt >= policy.max_attempts) return {};
    if (!context.idempotent && error.request_sent) return {};
    if (error.retry_after) {
        if (*error.retry_after > policy.max_retry_after) return {};
        return {.retry = true, .delay = *error.retry_after, .refresh_token = false};
    }
    const int exponent = std::clamp(context.attempt - 1, 0, 30);
    const double cap =
        std::min(static_cast<double>(policy.max_delay.count()),
                 static_cast<double>(policy.base_delay.count()) * std::pow(2.0, exponent));
    const double r = std::clamp(random01, 0.0, 1.0);
    return {.retry = true,
            .delay = std::chrono::milliseconds(static_cast<std::int64_t>(std::floor(r * cap))),
            .refresh_token = false};
}

}  // namespace pw::azure
