#include "azure/transport.hpp"

#include <spdlog/spdlog.h>
#include <strings.h>

#include <charconv>
#include <random>

#include "http/url.hpp"

namespace pw::azure {

namespace net = boost::asio;
using SteadyClock = std::chrono::steady_clock;

http::RateLimit RateLimitFor(const config::LimitsConfig& limits, const std::string& key) {
    auto of = [](const config::BucketLimit& b) {
        return http::RateLimit{.rate_per_second = b.per_second, .burst = b.burst};
    };
    if (key.starts_with("arm-reads:")) return of(limits.arm_reads);
    if (key.starts_with("arm-writes:")) return of(limits.arm_writes);
    return of(limits.batch);
}

http::RateLimit DefaultRateLimit(const std::string& key) { return RateLimitFor({}, key); }

std::string NewGuid() {
    static thread_local std::mt19937_64 rng(std::random_device{}());
    const std::uint64_t a = rng();
    const std::uint64_t b = rng();
    unsigned char bytes[16];
    for (int i = 0; i < 8; ++i) {
        bytes[i] = static_cast<unsigned char>(a >> (8 * i));
        bytes[8 + i] = static_cast<unsigned char>(b >> (8 * i));
    }
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        out += kHex[bytes[i] >> 4];
        out += kHex[bytes[i] & 15];
    }
    return out;
}

namespace {
std::string& RequestIdPrefix() {
    static std::string prefix;
    return prefix;
}
}  // namespace

void SetClientRequestIdPrefix(std::string prefix) { RequestIdPrefix() = std::move(prefix); }

std::string NewClientRequestId() {
    std::string id = NewGuid();
    const auto& prefix = RequestIdPrefix();
    if (prefix.size() == 8) id.replace(0, 8, prefix);
    return id;
}

Transport::Transport(http::Client& client, TokenSource& tokens, http::RateLimiter& limiter,
                     TransportOptions options)
    : client_(client), tokens_(tokens), limiter_(limiter), options_(std::move(options)) {
    if (!options_.random01) {
        auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
        options_.random01 = [rng] {
            return std::uniform_real_distribution<double>(0.0, 1.0)(*rng);
        };
    }
}

void Transport::adapt_limits(const http::ClientResponse& response,
                             const std::vector<std::string>& rate_keys) {
    // ARM reports what is left of the caller's subscription quota on every response
    // ([D-THR]: x-ms-ratelimit-remaining-subscription-reads for GETs, -writes otherwise).
    for (const auto& [name, value] : response.headers) {
        const bool reads =
            strcasecmp(name.c_str(), "x-ms-ratelimit-remaining-subscription-reads") == 0;
        const bool writes =
            strcasecmp(name.c_str(), "x-ms-ratelimit-remaining-subscription-writes") == 0;
        if (!reads && !writes) continue;
        long long v = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec != std::errc()) continue;
        const std::string_view prefix = reads ? "arm-reads:" : "arm-writes:";
        for (const auto& key : rate_keys)
            if (key.starts_with(prefix)) limiter_.adapt(key, static_cast<double>(v));
    }
}

namespace {

std::string PathOf(const std::string& url) {
    auto parsed = http::ParseUrl(url);
    if (!parsed) return url;
    auto target = parsed->target;
    if (auto q = target.find('?'); q != std::string::npos) target.resize(q);
    return parsed->host + ":" + std::to_string(parsed->port) + target;
}

}  // namespace

net::awaitable<Result<CallResult>> Transport::call(http::ClientRequest request,
                                                   const CallOptions& options) {
    auto* observer = options_.observer;
    const auto deadline = SteadyClock::now() + options.deadline;
    const std::string where = PathOf(request.url);
    const auto verb = request.method;
    bool refreshed = false;
    bool force_refresh = false;
    request.idempotent = request.idempotent || options.idempotent;
    for (int attempt = 1;; ++attempt) {
        if (!co_await limiter_.acquire(options.rate_keys, client_.stop_signal()))
            co_return pw::Err{MakeError(ErrorKind::Cancelled, "shutting down", 0, {}, false)};
        auto token = co_await tokens_.token(options.token_resource, force_refresh);
        force_refresh = false;
        if (!token) co_return pw::Err{token.error()};
        http::ClientRequest attempt_request = request;
        attempt_request.headers.emplace_back("Authorization", "Bearer " + *token);
        const auto remaining =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (remaining <= std::chrono::milliseconds(0))
            co_return pw::Err{MakeError(ErrorKind::Timeout,
                                        "deadline exceeded before " + options.operation, 0, {},
                                        attempt > 1)};
        attempt_request.timeout = std::min(remaining, options.attempt_timeout);
        const auto start = SteadyClock::now();
        auto sent = co_await client_.send(std::move(attempt_request));
        const auto took =
            std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
        Error error;
        if (sent) {
            const auto& response = *sent;
            if (observer) {
                observer->on_request(options.service, options.operation, response.status, took);
                for (const auto& [name, value] : response.headers) {
                    constexpr std::string_view kPrefix = "x-ms-ratelimit-remaining-";
                    if (name.size() > kPrefix.size() &&
                        strncasecmp(name.data(), kPrefix.data(), kPrefix.size()) == 0) {
                        long long v = 0;
                        auto [end, ec] =
                            std::from_chars(value.data(), value.data() + value.size(), v);
                        if (ec == std::errc())
                            observer->on_ratelimit_remaining(name.substr(kPrefix.size()), v);
                    }
                }
            }
            adapt_limits(response, options.rate_keys);
            spdlog::debug("{} {} {} {} -> {} in {} ms (attempt {})", options.service,
                          options.operation, boost::beast::http::to_string(verb), where,
                          response.status, took.count(), attempt);
            if (response.status >= 200 && response.status < 300)
                co_return CallResult{std::move(sent).value(), attempt};
            error = ErrorFromResponse(response, options.format, std::chrono::system_clock::now());
            if (error.kind == ErrorKind::Throttled && observer)
                observer->on_throttled(options.service, options.operation, error.retry_after);
        } else {
            error = ErrorFromFailure(sent.error());
            if (observer) observer->on_request(options.service, options.operation, 0, took);
            spdlog::debug("{} {} {} {} failed after {} ms (attempt {}): {}", options.service,
                          options.operation, boost::beast::http::to_string(verb), where,
                          took.count(), attempt, error.str());
        }
        auto decision = DecideRetry(
            error,
            RetryContext{
                .attempt = attempt, .idempotent = request.idempotent, .token_refreshed = refreshed},
            options_.retry, options_.random01());
        if (!decision.retry) co_return pw::Err{std::move(error)};
        if (SteadyClock::now() + decision.delay >= deadline) {
            spdlog::debug("{} {}: no retry, the wait of {} ms passes the deadline", options.service,
                          options.operation, decision.delay.count());
            co_return pw::Err{std::move(error)};
        }
        if (decision.refresh_token) {
            refreshed = true;
            force_refresh = true;
        }
        if (observer) observer->on_retry(options.service, options.operation, error, decision.delay);
        spdlog::debug("{} {}: retrying in {} ms after {}", options.service, options.operation,
                      decision.delay.count(), error.str());
        if (!co_await client_.stop_signal().sleep(decision.delay))
            co_return pw::Err{MakeError(ErrorKind::Cancelled, "shutting down")};
    }
}

}  // namespace pw::azure
