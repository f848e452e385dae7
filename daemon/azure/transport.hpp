#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "azure/api.hpp"
#include "azure/errors.hpp"
#include "azure/observer.hpp"
#include "azure/retry.hpp"
#include "azure/token.hpp"
#include "config/config.hpp"
#include "http/client.hpp"
#include "http/rate_limit.hpp"

namespace pw::azure {

/// One logical Azure call (all its attempts).
struct CallOptions {
    std::string service;    ///< `batch` or `arm` (metrics label).
    std::string operation;  ///< `list_pools`, `get_image_version`, ... (metrics label).
    ErrorFormat format = ErrorFormat::Arm;
    std::string token_resource;                  ///< Entra ID resource of the bearer token.
    std::vector<std::string> rate_keys;          ///< Token buckets to draw from (see RateLimitFor).
    bool idempotent = false;                     ///< See RetryContext::idempotent.
    std::chrono::milliseconds deadline{120000};  ///< All attempts and waits.
    std::chrono::milliseconds attempt_timeout{30000};  ///< One exchange.
};

/// A successful (2xx) response and how many attempts it took.
struct CallResult {
    http::ClientResponse response;
    int attempts = 1;
};

/// Settings shared by every call.
struct TransportOptions {
    RetryPolicy retry;
    std::function<double()> random01;  ///< Jitter source in [0,1); default a seeded PRNG.
    RequestObserver* observer = nullptr;
};

/// The client-side limit of a bucket key: `arm-reads:<sub>` and `arm-writes:<sub>` (ARM's
/// per-subscription buckets; `<sub>` is `tenant` for calls without a subscription) and
/// `batch:<endpoint>` (one Batch account) from `limits`; anything else gets the Batch limit.
http::RateLimit RateLimitFor(const config::LimitsConfig& limits, const std::string& key);
/// RateLimitFor() with the default `limits:` (ARM's documented buckets).
http::RateLimit DefaultRateLimit(const std::string& key);

/// Runs calls: rate limiting, bearer token, the exchange, error typing and the retry loop
/// (DecideRetry; a 401 forces one token refresh), bounded by the call's deadline. Records
/// attempts, throttling and `x-ms-ratelimit-remaining-*` headers on the observer, and gives
/// `x-ms-ratelimit-remaining-subscription-reads/-writes` to the limiter (RateLimiter::adapt)
/// for the call's `arm-reads:`/`arm-writes:` bucket. Logs method,
/// host, path, status and timing at debug level; never headers or bodies.
///
/// Thread safety: use from one strand; the client, tokens and limiter must outlive it.
class Transport {
  public:
    Transport(http::Client& client, TokenSource& tokens, http::RateLimiter& limiter,
              TransportOptions options = {});

    boost::asio::awaitable<Result<CallResult>> call(http::ClientRequest request,
                                                    const CallOptions& options);

    http::Client& client() { return client_; }

  private:
    void adapt_limits(const http::ClientResponse& response,
                      const std::vector<std::string>& rate_keys);

    http::Client& client_;
    TokenSource& tokens_;
    http::RateLimiter& limiter_;
    TransportOptions options_;
};

/// A new random GUID.
std::string NewGuid();
/// A new `client-request-id` / `x-ms-client-request-id`: a random GUID whose first 8 hex digits
/// are this process's prefix when one was set (leader election: the request logs of Azure tell
/// which instance wrote).
std::string NewClientRequestId();
/// Sets the prefix (8 lower-case hex digits) of every later NewClientRequestId(). Call once at
/// start-up, before any request.
void SetClientRequestIdPrefix(std::string prefix);

}  // namespace pw::azure
