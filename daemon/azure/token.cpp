#include "azure/token.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "azure/errors.hpp"
#include "http/url.hpp"

namespace pw::azure {

namespace net = boost::asio;
using SysClock = std::chrono::system_clock;

std::string ProcessEnv(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
}

std::string ScopeForResource(std::string_view resource) {
    return std::string(resource) + "/.default";
}

namespace {

/// A token lifetime member as whole seconds: a JSON integer, or a string of digits (IMDS sends
/// strings [IMDSx]); nullopt when absent or null. An error names the member, never its value.
pw::Result<std::optional<long long>, std::string> SecondsMember(const nlohmann::json& j,
                                                                const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::optional<long long>();
    auto bad = [&] {
        return pw::Err{fmt::format("token response: {} is not a number of seconds in range", key)};
    };
    if (it->is_number_unsigned()) {
        const auto v = it->get<unsigned long long>();
        if (v > static_cast<unsigned long long>(LLONG_MAX)) return bad();
        return std::optional<long long>(static_cast<long long>(v));
    }
    if (it->is_number_integer()) return std::optional<long long>(it->get<long long>());
    if (it->is_number_float()) {
        const double v = it->get<double>();
        // Past 2^53 a double no longer holds whole seconds; no token lives that long.
        if (!std::isfinite(v) || std::fabs(v) > 9.0e15) return bad();
        return std::optional<long long>(static_cast<long long>(v));
    }
    if (it->is_string()) {
        const auto& s = it->get_ref<const std::string&>();
        long long v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (!s.empty() && ec == std::errc() && end == s.data() + s.size())
            return std::optional<long long>(v);
    }
    return bad();
}

}  // namespace

pw::Result<AccessToken, std::string> ParseTokenResponse(std::string_view body,
                                                        SysClock::time_point now) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return pw::Err{std::string("token response is not a JSON object")};
    auto it = j.find("access_token");
    if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
        return pw::Err{std::string("token response has no access_token")};
    auto in = SecondsMember(j, "expires_in");
    if (!in) return pw::Err{in.error()};
    auto on = SecondsMember(j, "expires_on");
    if (!on) return pw::Err{on.error()};
    // In whole seconds from `now`, so that no value can overflow the clock's ticks.
    long long lifetime = kDefaultTokenLifetime.count();
    if (*in) {
        if (**in < 0) return pw::Err{std::string("token response: expires_in is negative")};
        lifetime = **in;
    } else if (*on) {
        const long long now_s =
            std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
        if (**on < now_s) return pw::Err{std::string("token response: expires_on is in the past")};
        lifetime = **on - now_s;
    }
    AccessToken token;
    token.value = it->get<std::string>();
    token.expires_on =
        now + std::chrono::seconds(std::min<long long>(lifetime, kMaxTokenLifetime.count()));
    return token;
}

SysClock::time_point TokenCache::RefreshAt(SysClock::time_point obtained,
                                           SysClock::time_point expires_on) {
    const auto lifetime = expires_on - obtained;
    if (lifetime < std::chrono::minutes(10)) return obtained + lifetime / 2;
    return expires_on - std::chrono::minutes(5);
}

TokenCache::TokenCache(std::unique_ptr<TokenFetcher> fetcher, Clock clock,
                       RequestObserver* observer)
    : fetcher_(std::move(fetcher)),
      clock_(clock ? std::move(clock) : Clock([] { return SysClock::now(); })),
      observer_(observer) {}

TokenCache::~TokenCache() {
    // Coroutines of this cache that are still suspended must not touch it when they end.
    for (auto& [resource, entry] : entries_)
        if (entry.flight) entry.flight->orphaned = true;
}

void TokenCache::shutdown() {
    stopped_ = true;
    for (auto& [resource, entry] : entries_) {
        if (entry.flight)
            for (auto* waiter : entry.flight->waiters) waiter->cancel();
    }
}

net::awaitable<Result<std::string>> TokenCache::token(const std::string& resource,
                                                      bool force_refresh) {
    for (;;) {
        if (stopped_) co_return pw::Err{MakeError(ErrorKind::Cancelled, "shutting down")};
        auto& entry = entries_[resource];
        const auto now = clock_();
        if (!force_refresh && entry.token &&
            now < RefreshAt(entry.obtained, entry.token->expires_on))
            co_return entry.token->value;
        if (entry.flight) {
            auto flight = entry.flight;
            net::steady_timer timer(co_await net::this_coro::executor,
                                    net::steady_timer::time_point::max());
            struct Waiting {
                Flight& flight;
                net::steady_timer* timer;
                ~Waiting() { std::erase(flight.waiters, timer); }
            } waiting{*flight, &timer};
            flight->waiters.push_back(&timer);
            co_await timer.async_wait(net::as_tuple(net::use_awaitable));
            if (flight->outcome) co_return *flight->outcome;
            if (flight->orphaned)
                co_return pw::Err{MakeError(ErrorKind::Cancelled, "shutting down")};
            // The fetch ended without an outcome (its caller was cancelled, or it threw): try
            // again, as the one fetching if nobody else has started.
            continue;
        }
        co_return co_await fetch(resource, entry, now);
    }
}

net::awaitable<Result<std::string>> TokenCache::fetch(const std::string& resource, Entry& entry,
                                                      SysClock::time_point now) {
    auto flight = std::make_shared<Flight>();
    entry.flight = flight;
    // However the fetch ends (an outcome, an exception, the caller's cancellation destroying
    // this frame), the marker goes and the waiters wake: none may wait forever.
    struct Landing {
        std::map<std::string, Entry>& entries;
        std::string resource;
        std::shared_ptr<Flight> flight;
        ~Landing() {
            if (!flight->orphaned) {
                auto it = entries.find(resource);
                if (it != entries.end() && it->second.flight == flight) it->second.flight.reset();
            }
            for (auto* waiter : flight->waiters) waiter->cancel();
        }
    } landing{entries_, resource, flight};
    ++fetches_;
    auto fetched = co_await fetcher_->fetch(resource);
    const auto done = clock_();
    if (fetched) {
        entry.token = std::move(fetched).value();
        entry.obtained = now;
        flight->outcome = Result<std::string>(entry.token->value);
        spdlog::debug(
            "token for {} refreshed via {}, expires in {} s", resource, fetcher_->method(),
            std::chrono::duration_cast<std::chrono::seconds>(entry.token->expires_on - done)
                .count());
    } else if (entry.token && done < entry.token->expires_on - std::chrono::seconds(30)) {
        spdlog::warn("token refresh for {} failed, keeping the current token: {}", resource,
                     fetched.error().str());
        flight->outcome = Result<std::string>(entry.token->value);
    } else {
        spdlog::warn("token for {} failed: {}", resource, fetched.error().str());
        flight->outcome = Result<std::string>(pw::Err{fetched.error()});
    }
    if (observer_) observer_->on_token_refresh(resource, fetched.ok());
    co_return *flight->outcome;
}

namespace {

/// Shared exchange loop of the three providers: build, send, parse, retry.
class ExchangeFetcher : public TokenFetcher {
  public:
    ExchangeFetcher(http::Client& client, RequestObserver* observer, RetryPolicy retry)
        : client_(client), observer_(observer), retry_(retry), rng_(std::random_device{}()) {}

    net::awaitable<Result<AccessToken>> fetch(const std::string& resource) override {
        for (int attempt = 1;; ++attempt) {
            auto request = build(resource);
            if (!request) co_return pw::Err{Prefixed(request.error(), resource)};
            const auto start = std::chrono::steady_clock::now();
            auto sent = co_await client_.send(std::move(request).value());
            const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - start);
            Error error;
            if (sent) {
                if (observer_) observer_->on_request("aad", "token", sent->status, took);
                if (sent->status == 200) {
                    auto token = ParseTokenResponse(sent->body, SysClock::now());
                    if (token) co_return std::move(token).value();
                    co_return pw::Err{
                        Prefixed(MakeError(ErrorKind::Decode, token.error(), 200), resource)};
                }
                error = ErrorFromResponse(*sent, ErrorFormat::Aad, SysClock::now());
                // A rejected credential is an authentication problem, not a bad request.
                if (error.kind == ErrorKind::Client && sent->status != 404)
                    error.kind = ErrorKind::Auth;
                if (error.kind == ErrorKind::Throttled && observer_)
                    observer_->on_throttled("aad", "token", error.retry_after);
            } else {
                if (observer_) observer_->on_request("aad", "token", 0, took);
                error = ErrorFromFailure(sent.error());
            }
            if (error.http_status == 401) error.http_status = 400;  // no token to refresh here
            auto decision =
                DecideRetry(error, RetryContext{.attempt = attempt, .idempotent = true}, retry_,
                            std::uniform_real_distribution<double>(0.0, 1.0)(rng_));
            if (!decision.retry) co_return pw::Err{Prefixed(error, resource)};
            if (observer_) observer_->on_retry("aad", "token", error, decision.delay);
            if (!co_await client_.stop_signal().sleep(decision.delay))
                co_return pw::Err{MakeError(ErrorKind::Cancelled, "shutting down")};
        }
    }

  protected:
    virtual pw::Result<http::ClientRequest, Error> build(const std::string& resource) = 0;

    Error Prefixed(Error error, const std::string& resource) const {
        error.message = fmt::format("token for {} via {}: {}", resource, method(), error.message);
        return error;
    }

    static Error ConfigError(std::string message) {
        return MakeError(ErrorKind::Auth, std::move(message), 0, "CredentialUnavailable", false);
    }

  private:
    http::Client& client_;
    RequestObserver* observer_;
    RetryPolicy retry_;
    std::mt19937_64 rng_;
};

std::string WithSlash(std::string s) {
    if (s.empty() || s.back() != '/') s += '/';
    return s;
}

/// clientSecret and workloadIdentity: the v2 client-credentials grant.
class ClientCredentialFetcher final : public ExchangeFetcher {
  public:
    ClientCredentialFetcher(http::Client& client, RequestObserver* observer, RetryPolicy retry,
                            std::string authority, std::string tenant, std::string client_id,
                            std::string secret_file, std::string secret_source, std::string secret,
                            std::string assertion_file)
        : ExchangeFetcher(client, observer, retry),
          authority_(WithSlash(std::move(authority))),
          tenant_(std::move(tenant)),
          client_id_(std::move(client_id)),
          secret_file_(std::move(secret_file)),
          secret_source_(std::move(secret_source)),
          secret_(std::move(secret)),
          assertion_file_(std::move(assertion_file)) {}

    std::string_view method() const override {
        return assertion_file_.empty() ? "clientSecret" : "workloadIdentity";
    }

  protected:
    pw::Result<http::ClientRequest, Error> build(const std::string& resource) override {
        std::string form =
            "grant_type=client_credentials&client_id=" + http::UrlEncode(client_id_) +
            "&scope=" + http::UrlEncode(ScopeForResource(resource));
        if (!assertion_file_.empty()) {
            // Kubernetes rotates the projected token: read it on every fetch.
            auto assertion = ReadCredentialFile(assertion_file_);
            if (!assertion)
                return pw::Err{ConfigError(fmt::format("federated token file {}: {}",
                                                       assertion_file_, assertion.error()))};
            form += "&client_assertion_type=" +
                    http::UrlEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
                    "&client_assertion=" + http::UrlEncode(*assertion);
        } else {
            std::string secret = secret_;
            if (!secret_file_.empty()) {
                auto read = ReadCredentialFile(secret_file_);
                if (!read)
                    return pw::Err{
                        ConfigError(fmt::format("{}: {}", secret_source_, read.error()))};
                secret = std::move(read).value();
            }
            form += "&client_secret=" + http::UrlEncode(secret);
        }
        http::ClientRequest request;
        request.method = boost::beast::http::verb::post;
        request.url = authority_ + http::UrlEncode(tenant_) + "/oauth2/v2.0/token";
        request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                           {"Accept", "application/json"}};
        request.body = std::move(form);
        request.timeout = std::chrono::seconds(30);
        request.idempotent = true;
        return request;
    }

  private:
    std::string authority_, tenant_, client_id_, secret_file_;
    std::string secret_source_;  ///< How errors name the secret file: never by its value.
    std::string secret_, assertion_file_;
};

/// managedIdentity: IMDS.
class ManagedIdentityFetcher final : public ExchangeFetcher {
  public:
    ManagedIdentityFetcher(http::Client& client, RequestObserver* observer, RetryPolicy retry,
                           std::string endpoint, std::string client_id)
        : ExchangeFetcher(client, observer, retry),
          endpoint_(std::move(endpoint)),
          client_id_(std::move(client_id)) {}

    std::string_view method() const override { return "managedIdentity"; }

  protected:
    pw::Result<http::ClientRequest, Error> build(const std::string& resource) override {
        http::ClientRequest request;
        request.url = endpoint_ + (endpoint_.find('?') == std::string::npos ? "?" : "&") +
                      "api-version=2018-02-01&resource=" + http::UrlEncode(resource);
        if (!client_id_.empty()) request.url += "&client_id=" + http::UrlEncode(client_id_);
        request.headers = {{"Metadata", "true"}};
        request.timeout = std::chrono::seconds(30);
        // IMDS is plain HTTP on a link-local address [C-MI]; this request alone may use it.
        request.plain_http = http::PlainHttp::kImds;
        return request;
    }

  private:
    std::string endpoint_, client_id_;
};

}  // namespace

pw::Result<std::string, std::string> ReadCredentialFile(const std::string& path,
                                                        std::size_t limit) {
    // O_NONBLOCK: opening a FIFO must not hang the daemon; it is refused below.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return pw::Err{fmt::format("not a readable file ({})", std::strerror(errno))};
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return pw::Err{std::string("not a readable file (not a regular file)")};
    const auto too_big = [&] { return pw::Err{fmt::format("larger than {} bytes", limit)}; };
    if (static_cast<std::uint64_t>(st.st_size) > limit) return too_big();
    std::string text(limit + 1, '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        const auto n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return pw::Err{fmt::format("not a readable file ({})", std::strerror(errno))};
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    if (got > limit) return too_big();  // it grew after fstat
    text.resize(got);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                             text.back() == '\t'))
        text.pop_back();
    if (text.empty()) return pw::Err{std::string("empty")};
    return text;
}

std::string ClientSecretFile(const config::AuthConfig& auth, const GetEnv& env) {
    if (!auth.client_secret_file.empty()) return auth.client_secret_file;
    const std::string dir = env("CREDENTIALS_DIRECTORY");
    if (dir.empty()) return "";
    std::string path = dir + "/" + kClientSecretCredential;
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec) ? path : "";
}

pw::Result<std::unique_ptr<TokenFetcher>, std::string> MakeTokenFetcher(
    const config::AuthConfig& auth, const config::CloudEndpoints& cloud, http::Client& client,
    GetEnv env, RequestObserver* observer, RetryPolicy retry) {
    auto pick = [&](const std::string& configured, const char* variable) {
        return configured.empty() ? env(variable) : configured;
    };
    const std::string tenant = pick(auth.tenant_id, "AZURE_TENANT_ID");
    const std::string client_id = pick(auth.client_id, "AZURE_CLIENT_ID");
    std::string authority = cloud.authority_host;
    if (authority == config::CloudEndpoints{}.authority_host) {
        if (auto from_env = env("AZURE_AUTHORITY_HOST"); !from_env.empty()) authority = from_env;
    }
    const std::string& method = auth.method;
    if (method == "sharedKey" || method == "SharedKey") {
        return pw::Err{std::string(
            "auth.method sharedKey is not supported: Batch pools built from Azure Compute "
            "Gallery images need Microsoft Entra ID authentication; use clientSecret, "
            "workloadIdentity or managedIdentity")};
    }
    if (method == "clientSecret" || method == "workloadIdentity") {
        if (tenant.empty())
            return pw::Err{"auth." + method + " needs auth.tenantId (or AZURE_TENANT_ID)"};
        if (client_id.empty())
            return pw::Err{"auth." + method + " needs auth.clientId (or AZURE_CLIENT_ID)"};
        if (auto url = http::ParseUrl(WithSlash(authority) + tenant); !url)
            return pw::Err{"cloud.authorityHost: " + url.error()};
        if (method == "clientSecret") {
            std::string file = ClientSecretFile(auth, env);
            std::string secret = file.empty() ? env("AZURE_CLIENT_SECRET") : "";
            if (file.empty() && secret.empty())
                return pw::Err{std::string(
                    "auth.clientSecret needs auth.clientSecretFile, a systemd credential "
                    "named client-secret ($CREDENTIALS_DIRECTORY/client-secret, see "
                    "LoadCredential=) or AZURE_CLIENT_SECRET")};
            if (auth.client_secret_file.empty() && !file.empty())
                spdlog::info("client secret: systemd credential {}", file);
            // auth.clientSecretFile is never echoed: a secret pasted there by mistake would
            // reach logs and /status.
            std::string source = auth.client_secret_file.empty()
                                     ? "systemd credential " + file
                                     : "auth.clientSecretFile (value not shown)";
            return std::unique_ptr<TokenFetcher>(std::make_unique<ClientCredentialFetcher>(
                client, observer, retry, authority, tenant, client_id, std::move(file),
                std::move(source), std::move(secret), ""));
        }
        const std::string file = pick(auth.federated_token_file, "AZURE_FEDERATED_TOKEN_FILE");
        if (file.empty())
            return pw::Err{
                std::string("auth.workloadIdentity needs auth.federatedTokenFile (or "
                            "AZURE_FEDERATED_TOKEN_FILE)")};
        return std::unique_ptr<TokenFetcher>(std::make_unique<ClientCredentialFetcher>(
            client, observer, retry, authority, tenant, client_id, "", "", "", file));
    }
    if (method == "managedIdentity") {
        if (auto url = http::ParseUrl(cloud.imds_endpoint, http::PlainHttp::kImds); !url)
            return pw::Err{"cloud.imdsEndpoint: " + url.error()};
        return std::unique_ptr<TokenFetcher>(std::make_unique<ManagedIdentityFetcher>(
            client, observer, retry, cloud.imds_endpoint, client_id));
    }
    return pw::Err{"auth.method '" + method +
                   "' is unknown (use clientSecret, workloadIdentity or managedIdentity)"};
}

}  // namespace pw::azure
