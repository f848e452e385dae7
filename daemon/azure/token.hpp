#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "azure/api.hpp"
#include "azure/observer.hpp"
#include "azure/retry.hpp"
#include "config/config.hpp"
#include "http/client.hpp"

namespace pw::azure {

/// An Entra ID access token. Never log `value`.
struct AccessToken {
    std::string value;
    std::chrono::system_clock::time_point expires_on;
};

/// Fetches a new token for a resource (`https://batch.core.windows.net/`): one exchange with
/// Entra ID or IMDS, 429/5xx/network failures retried. Errors carry AAD's error_description.
///
/// Thread safety: use from one strand.
class TokenFetcher {
  public:
    virtual ~TokenFetcher() = default;
    virtual boost::asio::awaitable<Result<AccessToken>> fetch(const std::string& resource) = 0;
    /// `clientSecret`, `workloadIdentity` or `managedIdentity`.
    virtual std::string_view method() const = 0;
};

/// What the Azure clients ask for: a bearer token for a resource.
///
/// Thread safety: use from one strand.
class TokenSource {
  public:
    virtual ~TokenSource() = default;
    /// A valid token; `force_refresh` after a 401 fetches a new one even if the cached one
    /// has not expired.
    virtual boost::asio::awaitable<Result<std::string>> token(const std::string& resource,
                                                              bool force_refresh) = 0;
};

/// Caches one token per resource and refreshes it ahead of expiry (RefreshAt). However many
/// coroutines ask at once, one fetch per resource is in flight; the others await its outcome.
/// When a refresh fails while the cached token is still valid, the cached token is returned.
/// A fetch that ends without an outcome (its caller cancelled, or an exception) wakes the
/// waiters, and one of them fetches again.
///
/// Thread safety: use from one strand.
class TokenCache final : public TokenSource {
  public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;
    TokenCache(std::unique_ptr<TokenFetcher> fetcher, Clock clock = nullptr,
               RequestObserver* observer = nullptr);
    ~TokenCache() override;
    TokenCache(const TokenCache&) = delete;
    TokenCache& operator=(const TokenCache&) = delete;

    boost::asio::awaitable<Result<std::string>> token(const std::string& resource,
                                                      bool force_refresh) override;

    /// When a token obtained at `obtained` expiring at `expires_on` is refreshed: 5 minutes
    /// before expiry, or at half its lifetime when it lives less than 10 minutes. Pure.
    static std::chrono::system_clock::time_point RefreshAt(
        std::chrono::system_clock::time_point obtained,
        std::chrono::system_clock::time_point expires_on);

    /// Fetches started since construction (for tests and metrics).
    int fetches() const { return fetches_; }
    /// Wakes and fails every waiter (shutdown).
    void shutdown();

  private:
    /// The one fetch in flight for a resource: while it is set in Entry, callers wait on it.
    struct Flight {
        std::optional<Result<std::string>> outcome;  ///< Unset if the fetch was abandoned.
        std::vector<boost::asio::steady_timer*> waiters;
        bool orphaned = false;  ///< The cache is gone.
    };
    struct Entry {
        std::optional<AccessToken> token;
        std::chrono::system_clock::time_point obtained;
        std::shared_ptr<Flight> flight;
    };
    boost::asio::awaitable<Result<std::string>> fetch(const std::string& resource, Entry& entry,
                                                      std::chrono::system_clock::time_point now);
    std::unique_ptr<TokenFetcher> fetcher_;
    Clock clock_;
    RequestObserver* observer_;
    std::map<std::string, Entry> entries_;
    int fetches_ = 0;
    bool stopped_ = false;
};

/// Environment lookup (injectable for tests); returns "" when unset.
using GetEnv = std::function<std::string(const char*)>;
std::string ProcessEnv(const char* name);

/// The systemd credential poolwarden reads its client secret from (`LoadCredential=`).
inline constexpr const char* kClientSecretCredential = "client-secret";

/// Largest secret or federated token file read (a client secret is tens of bytes, a projected
/// service-account token a few kilobytes).
inline constexpr std::size_t kMaxCredentialFileBytes = 64 * 1024;

/// Reads a credential file, re-read at every token fetch: a regular file (symlinks followed)
/// of at most `limit` bytes, trailing whitespace trimmed. Never blocks on a FIFO or device and
/// never reads more than `limit` + 1 bytes. The error says why (`not a readable file (No such
/// file or directory)`, `larger than 65536 bytes`, `empty`) and never holds the path or the
/// contents: the caller names the file.
pw::Result<std::string, std::string> ReadCredentialFile(
    const std::string& path, std::size_t limit = kMaxCredentialFileBytes);

/// Where the clientSecret method reads its secret: `auth.clientSecretFile` when set; else
/// `$CREDENTIALS_DIRECTORY/client-secret` (systemd's LoadCredential=client-secret) when that
/// file exists; else "" (then AZURE_CLIENT_SECRET). Never reads the file's contents.
std::string ClientSecretFile(const config::AuthConfig& auth, const GetEnv& env = ProcessEnv);

/// Builds the fetcher `auth.method` names, filling what the config leaves out from
/// AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_FEDERATED_TOKEN_FILE and
/// AZURE_AUTHORITY_HOST (the latter only when `cloud.authority_host` is the public default);
/// clientSecret reads the file ClientSecretFile() names at every fetch.
/// The error is a configuration message (e.g. sharedKey is refused: gallery-image pools need
/// Entra ID). `client` must outlive the fetcher.
pw::Result<std::unique_ptr<TokenFetcher>, std::string> MakeTokenFetcher(
    const config::AuthConfig& auth, const config::CloudEndpoints& cloud, http::Client& client,
    GetEnv env = ProcessEnv, RequestObserver* observer = nullptr, RetryPolicy retry = {});

/// Without `expires_in` or `expires_on` a token is assumed to live this long.
inline constexpr std::chrono::seconds kDefaultTokenLifetime{300};
/// Longest lifetime believed: Entra ID access tokens live at most 1 day ("Configurable token
/// lifetimes in the Microsoft identity platform", AccessTokenLifetime: maximum 1 day,
/// https://learn.microsoft.com/entra/identity-platform/configurable-token-lifetimes). A
/// longer claim only makes poolwarden refresh earlier.
inline constexpr std::chrono::seconds kMaxTokenLifetime{24 * 3600};

/// Parses a token endpoint or IMDS success body: `access_token`, and `expires_in` (seconds) or
/// else `expires_on` (epoch seconds), each a number or a numeric string. Without either the
/// token lives kDefaultTokenLifetime; a longer lifetime than kMaxTokenLifetime is cut to it. A
/// lifetime member that is not a number of seconds, a negative `expires_in` or an `expires_on`
/// in the past is an error. The error never contains the body. Pure.
pw::Result<AccessToken, std::string> ParseTokenResponse(std::string_view body,
                                                        std::chrono::system_clock::time_point now);

/// `<resource>/.default`: Batch's `https://batch.core.windows.net/` gives
/// `https://batch.core.windows.net//.default` (double slash, as Entra ID expects). Pure.
std::string ScopeForResource(std::string_view resource);

}  // namespace pw::azure
