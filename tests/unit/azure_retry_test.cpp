#include <gtest/gtest.h>

#include "azure/errors.hpp"
#include "azure/retry.hpp"

namespace pw::azure {
namespace {

using std::chrono::milliseconds;

Error Status(ErrorKind kind, int status, std::optional<milliseconds> retry_after = {}) {
    Error e = MakeError(kind, "x", status);
    e.retry_after = retry_after;
    return e;
}

struct Row {
    const char* name;
    Error error;
    RetryContext context;
    bool retry;
};

TEST(RetryPolicyTest, WhatIsRetried) {
    Error reset = MakeError(ErrorKind::Network, "reset", 0, {}, true);
    Error refused = MakeError(ErrorKind::Network, "connect refused", 0, {}, false);
    const RetryContext get{.attempt = 1, .idempotent = true};
    const RetryContext post{.attempt = 1, .idempotent = false};
    const Row rows[] = {
        {"429", Status(ErrorKind::Throttled, 429), get, true},
        {"500", Status(ErrorKind::Server, 500), get, true},
        {"502", Status(ErrorKind::Server, 502), get, true},
        {"503", Status(ErrorKind::Server, 503), get, true},
        {"504", Status(ErrorKind::Server, 504), get, true},
        {"501 never", Status(ErrorKind::Server, 501), get, false},
        {"505 never", Status(ErrorKind::Server, 505), get, false},
        {"reset", reset, get, true},
        {"timeout", Status(ErrorKind::Timeout, 0), get, true},
        {"408", Status(ErrorKind::Timeout, 408), get, true},
        {"400 never", Status(ErrorKind::Client, 400), get, false},
        {"404 never", Status(ErrorKind::Client, 404), get, false},
        {"409 never", Status(ErrorKind::Client, 409), get, false},
        {"412 never", Status(ErrorKind::Client, 412), get, false},
        {"403 never", Status(ErrorKind::Auth, 403), get, false},
        {"decode never", Status(ErrorKind::Decode, 200), get, false},
        {"cancelled never", Status(ErrorKind::Cancelled, 0), get, false},
        // Non-idempotent: only when the request certainly never reached the server.
        {"POST 503 (sent)", Status(ErrorKind::Server, 503), post, false},
        {"POST 429 (sent)", Status(ErrorKind::Throttled, 429), post, false},
        {"POST reset (maybe sent)", reset, post, false},
        {"POST connect refused (not sent)", refused, post, true},
        {"POST timeout (maybe sent)", Status(ErrorKind::Timeout, 0), post, false},
    };
    for (const auto& row : rows) {
        auto decision = DecideRetry(row.error, row.context, RetryPolicy{}, 0.5);
        EXPECT_EQ(decision.retry, row.retry) << row.name;
        EXPECT_FALSE(decision.refresh_token) << row.name;
    }
}

TEST(RetryPolicyTest, AttemptsAreBounded) {
    RetryPolicy policy;
    policy.max_attempts = 3;
    const Error e = Status(ErrorKind::Server, 503);
    EXPECT_TRUE(DecideRetry(e, {.attempt = 1, .idempotent = true}, policy, 0.5).retry);
    EXPECT_TRUE(DecideRetry(e, {.attempt = 2, .idempotent = true}, policy, 0.5).retry);
    EXPECT_FALSE(DecideRetry(e, {.attempt = 3, .idempotent = true}, policy, 0.5).retry);
}

TEST(RetryPolicyTest, FullJitterExponentialBackoff) {
    RetryPolicy policy;
    policy.max_attempts = 100;
    policy.base_delay = milliseconds(100);
    policy.max_delay = milliseconds(1000);
    const Error e = Status(ErrorKind::Server, 500);
    auto delay = [&](int attempt, double r) {
        return DecideRetry(e, {.attempt = attempt, .idempotent = true}, policy, r).delay;
    };
    // Cap doubles per attempt: 100, 200, 400, 800, then max_delay.
    EXPECT_EQ(delay(1, 0.999999), milliseconds(99));
    EXPECT_EQ(delay(2, 0.999999), milliseconds(199));
    EXPECT_EQ(delay(3, 0.999999), milliseconds(399));
    EXPECT_EQ(delay(4, 0.999999), milliseconds(799));
    EXPECT_EQ(delay(5, 0.999999), milliseconds(999));
    EXPECT_EQ(delay(60, 0.999999), milliseconds(999));
    // Full jitter: anywhere from 0 to the cap.
    EXPECT_EQ(delay(4, 0.0), milliseconds(0));
    EXPECT_EQ(delay(4, 0.5), milliseconds(400));
    EXPECT_EQ(delay(4, 0.25), milliseconds(200));
    // Out-of-range randomness is clamped.
    EXPECT_EQ(delay(1, 7.0), milliseconds(100));
    EXPECT_EQ(delay(1, -1.0), milliseconds(0));
}

TEST(RetryPolicyTest, RetryAfterIsHonouredExactlyAndCapped) {
    RetryPolicy policy;
    policy.max_retry_after = milliseconds(60000);
    const RetryContext get{.attempt = 1, .idempotent = true};
    auto d = DecideRetry(Status(ErrorKind::Throttled, 429, milliseconds(7000)), get, policy, 0.1);
    EXPECT_TRUE(d.retry);
    EXPECT_EQ(d.delay, milliseconds(7000));
    d = DecideRetry(Status(ErrorKind::Server, 503, milliseconds(0)), get, policy, 0.9);
    EXPECT_TRUE(d.retry);
    EXPECT_EQ(d.delay, milliseconds(0));
    d = DecideRetry(Status(ErrorKind::Throttled, 429, milliseconds(60000)), get, policy, 0.9);
    EXPECT_TRUE(d.retry);
    // Longer than the cap: handed back to the caller, which requeues.
    d = DecideRetry(Status(ErrorKind::Throttled, 429, milliseconds(60001)), get, policy, 0.9);
    EXPECT_FALSE(d.retry);
    // Retry-After on a 400 does not make it retryable.
    d = DecideRetry(Status(ErrorKind::Client, 400, milliseconds(1000)), get, policy, 0.9);
    EXPECT_FALSE(d.retry);
}

TEST(RetryPolicyTest, Unauthorized401IsRetriedOnceWithARefreshedToken) {
    const Error e = Status(ErrorKind::Auth, 401);
    auto first = DecideRetry(e, {.attempt = 1, .idempotent = false}, RetryPolicy{}, 0.7);
    EXPECT_EQ(first,
              (RetryDecision{.retry = true, .delay = milliseconds(0), .refresh_token = true}));
    auto second = DecideRetry(e, {.attempt = 2, .idempotent = false, .token_refreshed = true},
                              RetryPolicy{}, 0.7);
    EXPECT_FALSE(second.retry);
    // 403 is a missing role, not a stale token.
    EXPECT_FALSE(DecideRetry(Status(ErrorKind::Auth, 403), {.attempt = 1, .idempotent = true},
                             RetryPolicy{}, 0.7)
                     .retry);
}

TEST(RetryPolicyTest, EveryRandomValueStaysWithinTheCap) {
    RetryPolicy policy;
    const Error e = Status(ErrorKind::Network, 0);
    for (int attempt = 1; attempt < policy.max_attempts; ++attempt) {
        const auto cap = std::min(policy.max_delay, policy.base_delay * (1 << (attempt - 1)));
        for (int i = 0; i <= 1000; ++i) {
            auto d = DecideRetry(e, {.attempt = attempt, .idempotent = true}, policy, i / 1001.0);
            ASSERT_TRUE(d.retry);
            ASSERT_GE(d.delay, milliseconds(0));
            ASSERT_LT(d.delay, cap);
        }
    }
}

}  // namespace
}  // namespace pw::azure
