#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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

/// True when a reload from `running` to `next` needs new clients: a setting the real clients
/// are built from (auth, cloud, tls: azure::AzureStack::SameSettings) differs.
bool ClientSettingsChanged(const config::DaemonConfig& running, const config::DaemonConfig& next);

/// The Batch and ARM APIs the reconciler holds for the daemon's whole life, forwarding each
/// call to the clients in force. Ownership, so that a reload can replace the clients safely:
/// - a reload that changes auth, cloud or tls builds new clients and stage()s them; the loop
///   install()s them at the start of the next pass, so a pass never mixes two sets of clients
///   (and the reconciler's account cache is dropped at that same point);
/// - every call holds a shared_ptr to the clients it started on for as long as it runs, so an
///   operation in flight (a retry, an LRO poll) finishes on the old clients; the old clients
///   (HTTP connections, token cache) are destroyed when their last call returns;
/// - shutdown() reaches the clients in force, the staged ones and old ones still in use.
///
/// Thread safety: use from the daemon's strand.
class SwitchingClients final : public azure::BatchApi, public azure::ArmApi {
  public:
    explicit SwitchingClients(std::shared_ptr<AzureClients> initial);

    /// The clients the next install() puts in force (replaces clients staged before).
    void stage(std::shared_ptr<AzureClients> next) { staged_ = std::move(next); }
    /// Puts the staged clients in force for the calls that start from now on; false when
    /// nothing was staged.
    bool install();
    void shutdown();
    /// Leader election (issue 18): asked right before every write (add, resize, patch,
    /// autoscale, stop, delete, replica PATCH); a reason refuses the write, unsent, with an
    /// error of kind Cancelled and code `NotLeader`. Reads always pass.
    void set_write_gate(std::function<std::optional<std::string>()> gate) {
        write_gate_ = std::move(gate);
    }

    boost::asio::awaitable<azure::Result<std::vector<model::ObservedPool>>> list_pools(
        const std::string& endpoint) override;
    boost::asio::awaitable<azure::Result<model::ObservedPool>> get_pool(
        const std::string& endpoint, const std::string& pool_id) override;
    boost::asio::awaitable<azure::Result<Unit>> add_pool(
        const std::string& endpoint, const azure::PoolAddRequest& request) override;
    boost::asio::awaitable<azure::Result<Unit>> resize_pool(const std::string& endpoint,
                                                            const std::string& pool_id,
                                                            const azure::PoolResizeRequest& request,
                                                            const std::string& if_match) override;
    boost::asio::awaitable<azure::Result<azure::AutoScaleRun>> evaluate_auto_scale(
        const std::string& endpoint, const std::string& pool_id,
        const model::AutoScale& autoscale) override;
    boost::asio::awaitable<azure::Result<Unit>> enable_auto_scale(
        const std::string& endpoint, const std::string& pool_id, const model::AutoScale& autoscale,
        const std::string& if_match) override;
    boost::asio::awaitable<azure::Result<Unit>> disable_auto_scale(
        const std::string& endpoint, const std::string& pool_id) override;
    boost::asio::awaitable<azure::Result<Unit>> delete_pool(const std::string& endpoint,
                                                            const std::string& pool_id,
                                                            const std::string& if_match) override;
    boost::asio::awaitable<azure::Result<Unit>> stop_resize(const std::string& endpoint,
                                                            const std::string& pool_id) override;
    boost::asio::awaitable<azure::Result<Unit>> patch_pool(const std::string& endpoint,
                                                           const std::string& pool_id,
                                                           const azure::PoolPatchRequest& request,
                                                           const std::string& if_match) override;
    boost::asio::awaitable<azure::Result<model::NodeAgentSkuTable>> list_node_agent_skus(
        const std::string& endpoint) override;
    boost::asio::awaitable<azure::Result<model::NodeCounts>> list_node_counts(
        const std::string& endpoint, const std::string& pool_id) override;
    boost::asio::awaitable<azure::Result<azure::AccountInfo>> get_batch_account(
        const model::AccountSpec& account) override;
    boost::asio::awaitable<azure::Result<std::string>> get_subscription_tenant(
        const std::string& subscription_id) override;
    boost::asio::awaitable<azure::Result<std::string>> get_provider_registration(
        const std::string& subscription_id, const std::string& provider_namespace) override;
    boost::asio::awaitable<azure::Result<std::vector<model::VmSku>>> list_supported_vm_skus(
        const std::string& subscription_id, const std::string& location) override;
    boost::asio::awaitable<azure::Result<model::ObservedImage>> get_image(
        const std::string& image_definition_id) override;
    boost::asio::awaitable<azure::Result<std::vector<model::ImageVersionListing>>>
    list_image_versions(const std::string& image_definition_id) override;
    boost::asio::awaitable<azure::Result<model::ObservedImageVersion>> get_image_version(
        const std::string& image_version_id) override;
    boost::asio::awaitable<azure::Result<model::ObservedImageVersion>> update_target_regions(
        const std::string& image_version_id,
        const std::vector<model::TargetRegion>& regions) override;

  private:
    std::optional<azure::Error> refuse_write() const;

    std::function<std::optional<std::string>()> write_gate_;
    std::shared_ptr<AzureClients> current_;
    std::shared_ptr<AzureClients> staged_;
    std::vector<std::weak_ptr<AzureClients>> retired_;  ///< Replaced, maybe still in use.
};

/// The real clients: Beast HTTP client, Entra ID token cache, rate-limited transport, Batch and
/// ARM clients. An http:// resourceManager on loopback (the simulator) makes scheme-less
/// Batch endpoints http:// too. `observer` (metrics) may be null and must outlive the clients.
Result<std::unique_ptr<AzureClients>, std::string> MakeAzureClients(
    const config::DaemonConfig& daemon, boost::asio::any_io_executor executor,
    azure::RequestObserver* observer = nullptr);

}  // namespace pw::app
