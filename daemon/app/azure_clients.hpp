#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <string>

#include "azure/api.hpp"
#include "config/config.hpp"
#include "model/result.hpp"

namespace pw::azure {
class RequestObserver;
}

namespace pw::app {

/// The Azure APIs the daemon talks to, with whatever owns them (HTTP client, tokens, ...).
///
/// Thread safety: use from the daemon's strand.
class AzureClients {
  public:
    virtual ~AzureClients() = default;
    virtual azure::BatchApi& batch() = 0;
    virtual azure::ArmApi& arm() = 0;
    /// Cancels pending I/O (idle connections, token waits) so the io_context can finish.
    virtual void shutdown() {}
};

/// Builds the clients from the daemon file (cloud endpoints, auth, tls). Tests inject fakes.
using ClientFactory = std::function<Result<std::unique_ptr<AzureClients>, std::string>(
    const config::DaemonConfig&, boost::asio::any_io_executor)>;

/// The real clients: Beast HTTP client, Entra ID token cache, rate-limited transport, Batch and
/// ARM clients. An http:// resourceManager on loopback (the simulator) makes scheme-less
/// Batch endpoints http:// too. `observer` (metrics) may be null and must outlive the clients.
Result<std::unique_ptr<AzureClients>, std::string> MakeAzureClients(
    const config::DaemonConfig& daemon, boost::asio::any_io_executor executor,
    azure::RequestObserver* observer = nullptr);

}  // namespace pw::app
