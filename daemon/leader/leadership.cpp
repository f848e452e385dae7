#include "leader/leadership.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "azure/transport.hpp"
#include "http/http_date.hpp"

namespace pw::leader {

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace {

std::string Rfc3339(std::chrono::system_clock::time_point t) {
    auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
    std::time_t tt = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(const std::string& s) {
    std::tm tm{};
    if (s.size() < 20 || !strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return std::nullopt;
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

Leadership::Leadership(azure::BlobLeaseClient& client, ElectorSettings settings,
                       std::string identity, LeadershipEvents events)
    : client_(client),
      elector_(settings),
      identity_(std::move(identity)),
      events_(std::move(events)),
      lease_id_(azure::NewGuid()) {
    // Every request of this process carries the lease id's first 8 hex digits: Azure's request
    // logs (and the simulator's) tell which instance wrote.
    azure::SetClientRequestIdPrefix(lease_id_.substr(0, 8));
    spdlog::info("leader election: identity {}, lease id {}, client request ids {}-...", identity_,
                 lease_id_, lease_id_.substr(0, 8));
}

std::optional<std::string> Leadership::write_hold(std::chrono::milliseconds needed) const {
    const auto now = BootClock::now();
    if (elector_.can_write(now, needed)) return std::nullopt;
    if (elector_.held())
        return "the leader lease is not proven long enough (renewal pending or failing)";
    if (!holder_.empty() && holder_ != identity_) return "standby; " + holder_ + " leads";
    return "standby; not the lease holder";
}

LeaderView Leadership::view() const {
    LeaderView v;
    v.leader = is_leader();
    v.identity = identity_;
    v.holder = v.leader ? identity_ : holder_;
    v.since = since_;
    v.last_error = last_error_;
    return v;
}

void Leadership::update_role() {
    const bool leader = is_leader();
    if (leader != was_leader_) {
        was_leader_ = leader;
        spdlog::info("leader election: {} ({})", leader ? "leading" : "standby", identity_);
        if (events_.on_role) events_.on_role(leader);
    }
    if (auto v = view(); events_.on_view && v != shown_) {
        shown_ = v;
        events_.on_view(v);
    }
}

net::awaitable<void> Leadership::attempt(Elector::Op op) {
    const auto sent = BootClock::now();
    elector_.on_attempt(sent);
    const bool had = elector_.held();
    azure::Result<Unit> outcome = Unit{};
    if (op == Elector::Op::Renew) {
        outcome = co_await client_.renew(lease_id_);
    } else {
        auto got = co_await client_.acquire(lease_id_, elector_.settings().lease_duration);
        if (!got) outcome = pw::Err{got.error()};
    }
    const double took = std::chrono::duration<double>(BootClock::now() - sent).count();
    if (events_.on_call) events_.on_call(outcome.ok(), took);
    if (outcome) {
        elector_.on_granted(sent);
        last_error_.clear();
        if (!had || holder_ != identity_) {
            // A new tenure: say who leads and since when in the blob's metadata (status of the
            // standbys). The lease id goes along: a leased blob refuses writes without it.
            since_ = std::chrono::system_clock::now();
            holder_ = identity_;
            std::map<std::string, std::string> metadata;
            metadata["holder"] = identity_;
            metadata["since"] = Rfc3339(*since_);
            auto meta = co_await client_.set_metadata(lease_id_, metadata);
            if (!meta)
                spdlog::warn("leader election: metadata not written: {}", meta.error().str());
        }
        co_return;
    }
    const auto& e = outcome.error();
    last_error_ = e.str();
    if (e.code == azure::kLeaseAlreadyPresent || azure::IsLeaseLost(e.code)) {
        // Someone else holds it (or this id lost it): standby, and learn who leads.
        elector_.on_lost();
        last_error_.clear();
        auto info = co_await client_.read();
        if (info) {
            holder_ = info->holder;
            since_ = ParseRfc3339(info->since);
        }
    } else {
        if (e.code == "BlobNotFound") blob_ready_ = false;
        elector_.on_failed(BootClock::now());
        spdlog::warn("leader election: {} failed: {}",
                     op == Elector::Op::Renew ? "renew" : "acquire", e.str());
    }
}

net::awaitable<void> Leadership::run() {
    update_role();
    while (!stop_.triggered()) {
        if (!blob_ready_) {
            auto made = co_await client_.create_if_missing();
            if (made) {
                blob_ready_ = true;
            } else {
                last_error_ = made.error().str();
                answered_ = true;
                spdlog::warn("leader election: cannot create the lease blob: {}", last_error_);
                update_role();
                if (!co_await stop_.sleep(elector_.settings().renew_every)) break;
                continue;
            }
        }
        const auto now = BootClock::now();
        const auto step = elector_.next(now);
        if (step.at > now) {
            // Wake in time to notice a lease running out (role change) even without a call.
            auto wait = step.at - now;
            if (auto end = elector_.valid_until(); end && *end > now)
                wait = std::min(wait, *end - now);
            if (!co_await stop_.sleep(wait)) break;
            update_role();
            continue;
        }
        co_await attempt(step.op);
        answered_ = true;
        if (stop_.triggered()) break;
        update_role();
    }
}

net::awaitable<bool> Leadership::first_answer(std::chrono::milliseconds timeout) {
    net::steady_timer timer(co_await net::this_coro::executor);
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!answered_ && std::chrono::steady_clock::now() < end) {
        timer.expires_after(50ms);
        boost::system::error_code ec;
        co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    if (!answered_ && last_error_.empty()) last_error_ = "no answer from the lease store in time";
    co_return is_leader();
}

net::awaitable<void> Leadership::shutdown() {
    stop_.trigger();
    const bool held = elector_.held();
    elector_.on_lost();  // no write starts from here on
    update_role();
    if (!held) co_return;
    auto released = co_await client_.release(lease_id_);
    if (released)
        spdlog::info("leader election: lease released ({})", identity_);
    else
        spdlog::warn("leader election: release failed ({}); the lease expires on its own",
                     released.error().str());
}

pw::Result<std::unique_ptr<LeaseStack>, std::string> LeaseStack::Create(
    net::any_io_executor executor, const config::DaemonConfig& config,
    azure::RequestObserver* observer) {
    const auto& le = config.leader_election;
    std::unique_ptr<LeaseStack> s(new LeaseStack());
    http::ClientOptions options;
    options.ca_file = config.tls.ca_file;
    try {
        s->http_ = std::make_unique<http::Client>(std::move(executor), options);
    } catch (const std::exception& e) {
        return pw::Err{std::string(e.what())};
    }
    auto fetcher =
        azure::MakeTokenFetcher(config.auth, config.cloud, *s->http_, azure::ProcessEnv, observer);
    if (!fetcher) return pw::Err{std::move(fetcher).error()};
    s->tokens_ = std::make_unique<azure::TokenCache>(std::move(fetcher).value(), nullptr, observer);
    s->limiter_ = std::make_unique<http::RateLimiter>(
        [](const std::string&) { return http::RateLimit{.rate_per_second = 20, .burst = 20}; });
    s->transport_ = std::make_unique<azure::Transport>(
        *s->http_, *s->tokens_, *s->limiter_,
        azure::TransportOptions{
            .retry = azure::RetryPolicy{}, .random01 = nullptr, .observer = observer});
    azure::BlobLeaseClient::Options lo;
    lo.blob_url = le.blob_url;
    // A call never outlasts one renew period: the next attempt replaces it.
    lo.deadline = std::chrono::duration_cast<std::chrono::milliseconds>(le.renew_every);
    lo.attempt_timeout = std::min<std::chrono::milliseconds>(5000ms, lo.deadline);
    s->client_ = std::make_unique<azure::BlobLeaseClient>(*s->transport_, lo);
    return s;
}

void LeaseStack::shutdown() {
    http_->shutdown();
    tokens_->shutdown();
}

}  // namespace pw::leader
