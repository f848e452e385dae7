#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "azure/arm_client.hpp"
#include "azure/arm_pool_client.hpp"
#include "azure/batch_client.hpp"
#include "azure/observer.hpp"
#include "azure/token.hpp"
#include "azure/transport.hpp"
#include "config/config.hpp"
#include "http/client.hpp"
#include "http/rate_limit.hpp"

namespace pw::azure {

/// Everything the daemon uses to talk to Azure, built from the daemon file: the HTTP client
/// (tls.caFile), the token provider of `auth:` behind a cache, the rate limiter (`limits:`), the
/// transport, and the Batch and ARM clients for `cloud:`. Scheme-less Batch endpoints get
/// `http://` only when cloud.resourceManager is plain http on loopback (the simulator).
///
/// Thread safety: use from one strand; destroy after every coroutine using it has finished.
class AzureStack {
  public:
    /// The error is a configuration message (unknown auth method, sharedKey, missing tenant,
    /// unreadable tls.caFile, ...).
    static pw::Result<std::unique_ptr<AzureStack>, std::string> Create(
        boost::asio::any_io_executor executor, const config::DaemonConfig& config,
        RequestObserver* observer = nullptr, GetEnv env = ProcessEnv);

    /// True when `a` and `b` build the same stack: every daemon-file setting Create() reads
    /// (cloud, auth, tls) is equal. A reload for which this is false builds a new stack.
    /// Whoever makes Create() read another setting adds it here.
    static bool SameSettings(const config::DaemonConfig& a, const config::DaemonConfig& b);

    /// The pools of every account: data plane, or ARM for `poolApi: arm` (PoolApiRouter).
    BatchApi& batch() { return *pools_; }
    ArmClient& arm() { return *arm_; }
    TokenCache& tokens() { return *tokens_; }
    http::Client& http() { return *http_; }

    /// Fails new requests and waits (Cancelled); exchanges already writing finish.
    void shutdown();

  private:
    AzureStack() = default;
    std::unique_ptr<http::Client> http_;
    std::unique_ptr<TokenCache> tokens_;
    std::unique_ptr<http::RateLimiter> limiter_;
    std::unique_ptr<Transport> transport_;
    std::unique_ptr<BatchClient> batch_;
    std::unique_ptr<ArmClient> arm_;
    std::unique_ptr<ArmPoolClient> arm_pools_;
    std::unique_ptr<PoolApiRouter> pools_;
};

}  // namespace pw::azure
