#pragma once

#include <string>
#include <vector>

#include "azure/api.hpp"
#include "azure/transport.hpp"

namespace pw::azure {

/// Settings of the Batch data-plane client.
struct BatchClientOptions {
    /// 2024-07-01.20.0: the established stable data-plane version, whose pool members
    /// (PoolAddParameter, PoolResizeParameter, PoolPatchParameter as poolwarden sends them) are
    /// unchanged in 2025-06-01; the newer version's literal is ambiguous in Microsoft's specs
    /// (`2025-06-01` vs `2025-06-01.21.0`), so it is opt-in until checked against the service.
    std::string api_version = "2024-07-01.20.0";
    /// The version of a rollout's swap PATCH, whose empty-only members (vmSize,
    /// virtualMachineConfiguration, networkConfiguration, ...) BatchPoolUpdateOptions declares
    /// from 2025-06-01 on (azure-contract.md 1.5 and 7; the older PoolPatchParameter has only
    /// startTask, certificate and application package references, metadata and
    /// targetNodeCommunicationMode). guess: the service takes the literal `2025-06-01` (the
    /// examples' value; the TypeSpec copy says `2025-06-01.21.0`).
    std::string update_api_version = "2025-06-01";
    std::string resource = "https://batch.core.windows.net/";  ///< Entra ID resource.
    std::chrono::milliseconds deadline{120000};                ///< Per call, retries included.
    std::chrono::milliseconds attempt_timeout{30000};
    int page_size = 1000;   ///< `maxresults` of pool listings (Batch allows 1..1000).
    int max_pages = 10000;  ///< Bound on odata.nextLink pages of one listing.
    /// Scheme-less loopback endpoints get http:// (cloud.resourceManager is http on loopback).
    bool plain_http_loopback = false;
};

/// A `GET /supportedimages` entry.
struct SupportedImage {
    std::string node_agent_sku_id;
    std::string os_type;  ///< linux | windows
    std::string publisher, offer, sku;
    std::string verification_type;
    std::vector<std::string> capabilities;
    std::string batch_support_end_of_life;  ///< Empty when not announced.
};

/// Scheme for an endpoint as ARM returns it (`acct.region.batch.azure.com`): `https://`, or
/// `http://` for a loopback host when `plain_http_loopback` (the simulator convention, used
/// when cloud.resourceManager is plain http on loopback). An endpoint with a scheme is kept.
/// Trailing slashes are removed. Pure.
std::string NormalizeBatchEndpoint(std::string_view endpoint, bool plain_http_loopback);

/// The Batch data plane (BatchApi) over Transport: `$select`-ed paged pool listing, get, add
/// with a fixed client-request-id (idempotent by design), resize/patch with If-Match,
/// stopresize, delete, supported images. Errors are typed from Batch's error body.
///
/// Thread safety: use from one strand.
class BatchClient final : public BatchApi {
  public:
    BatchClient(Transport& transport, BatchClientOptions options = {});

    boost::asio::awaitable<Result<std::vector<model::ObservedPool>>> list_pools(
        const std::string& endpoint) override;
    boost::asio::awaitable<Result<model::ObservedPool>> get_pool(
        const std::string& endpoint, const std::string& pool_id) override;
    boost::asio::awaitable<Result<Unit>> add_pool(const std::string& endpoint,
                                                  const PoolAddRequest& request) override;
    boost::asio::awaitable<Result<Unit>> resize_pool(const std::string& endpoint,
                                                     const std::string& pool_id,
                                                     const PoolResizeRequest& request,
                                                     const std::string& if_match) override;
    boost::asio::awaitable<Result<Unit>> stop_resize(const std::string& endpoint,
                                                     const std::string& pool_id) override;
    boost::asio::awaitable<Result<Unit>> patch_pool(const std::string& endpoint,
                                                    const std::string& pool_id,
                                                    const PoolPatchRequest& request,
                                                    const std::string& if_match) override;
    boost::asio::awaitable<Result<AutoScaleRun>> evaluate_auto_scale(
        const std::string& endpoint, const std::string& pool_id,
        const model::AutoScale& autoscale) override;
    boost::asio::awaitable<Result<Unit>> enable_auto_scale(const std::string& endpoint,
                                                           const std::string& pool_id,
                                                           const model::AutoScale& autoscale,
                                                           const std::string& if_match) override;
    boost::asio::awaitable<Result<Unit>> disable_auto_scale(const std::string& endpoint,
                                                            const std::string& pool_id) override;
    boost::asio::awaitable<Result<Unit>> delete_pool(const std::string& endpoint,
                                                     const std::string& pool_id,
                                                     const std::string& if_match = {}) override;
    boost::asio::awaitable<Result<model::NodeCounts>> list_node_counts(
        const std::string& endpoint, const std::string& pool_id) override;
    /// Every page of GET /supportedimages.
    boost::asio::awaitable<Result<std::vector<SupportedImage>>> list_supported_images(
        const std::string& endpoint);
    /// list_supported_images() reduced to each nodeAgentSKUId (lower-cased) and its osType (the
    /// first listing's, when images of one SKU disagree).
    boost::asio::awaitable<Result<model::NodeAgentSkuTable>> list_node_agent_skus(
        const std::string& endpoint) override;

  private:
    CallOptions options(std::string operation, const std::string& endpoint, bool idempotent) const;
    std::string url(const std::string& endpoint, const std::string& path,
                    const std::string& query = "", const std::string* api_version = nullptr) const;
    Transport& transport_;
    BatchClientOptions options_;
};

}  // namespace pw::azure
