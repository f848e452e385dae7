#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "azure/api.hpp"
#include "azure/transport.hpp"

namespace pw::azure {

/// The "endpoint" an account with `poolApi: arm` is reached at: `arm:` + the account's ARM id
/// (`/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Batch/batchAccounts/{a}`).
/// Observe puts it where a data-plane account has its batchUrl, so everything downstream keys
/// and routes by it; PoolApiRouter sends its calls to ArmPoolClient.
inline std::string ArmPoolEndpoint(const model::AccountSpec& account) {
    return "arm:/subscriptions/" + account.subscription_id + "/resourceGroups/" +
           account.resource_group + "/providers/Microsoft.Batch/batchAccounts/" +
           account.account_name;
}
/// True for an ArmPoolEndpoint().
inline bool IsArmPoolEndpoint(std::string_view endpoint) { return endpoint.starts_with("arm:"); }

/// Settings of the ARM pool client.
struct ArmPoolClientOptions {
    std::string resource_manager = "https://management.azure.com/";
    std::string resource = "https://management.core.windows.net/";  ///< Entra ID resource.
    std::string api_version = "2025-06-01";  ///< Microsoft.Batch pools (azure-contract.md 10).
    int page_size = 1000;                    ///< `maxresults` of Pool_ListByBatchAccount.
    int max_pages = 1000;
    std::chrono::milliseconds deadline{120000};
    std::chrono::milliseconds attempt_timeout{30000};
    std::chrono::milliseconds lro_deadline{60000};  ///< Polling a delete, at most.
    std::chrono::milliseconds lro_poll_interval{10000};
    std::chrono::milliseconds lro_max_poll_interval{30000};
};

/// The BatchApi of an account whose pools go through Azure Resource Manager
/// (`Microsoft.Batch/batchAccounts/pools`, api-version 2025-06-01, azure-contract.md 10) with
/// the management token: list (paged, `$select`), GET, PUT with `If-None-Match: *`, PATCH
/// with `If-Match` (the pool's ARM ETag) for scale settings and properties, DELETE as a
/// long-running operation (Location), stopResize and disableAutoScale. Reads and writes draw
/// from the per-subscription ARM buckets the gallery calls use. `endpoint` is an
/// ArmPoolEndpoint(). ARM has no evaluateautoscale and no supported-images list: those
/// answer as documented below.
///
/// Thread safety: use from one strand.
class ArmPoolClient final : public BatchApi {
  public:
    ArmPoolClient(Transport& transport, ArmPoolClientOptions options = {});

    boost::asio::awaitable<Result<std::vector<model::ObservedPool>>> list_pools(
        const std::string& endpoint) override;
    boost::asio::awaitable<Result<model::ObservedPool>> get_pool(
        const std::string& endpoint, const std::string& pool_id) override;
    /// PUT with `If-None-Match: *` (create only). 412 (the pool exists, e.g. a retried create
    /// that did land) resolves as BatchClient's PoolExists: success when the pool carries
    /// poolwarden's marker.
    boost::asio::awaitable<Result<Unit>> add_pool(const std::string& endpoint,
                                                  const PoolAddRequest& request) override;
    /// PATCH `scaleSettings.fixedScale` (BMx/PoolUpdate_ResizePool.json).
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
    /// ARM has no evaluate action: answers an AutoScaleRun whose `results` says the formula
    /// was not evaluated beforehand (Batch still rejects a bad formula when the PATCH sets it).
    boost::asio::awaitable<Result<AutoScaleRun>> evaluate_auto_scale(
        const std::string& endpoint, const std::string& pool_id,
        const model::AutoScale& autoscale) override;
    /// PATCH `scaleSettings.autoScale` (BMx/PoolUpdate_EnableAutoScale.json).
    boost::asio::awaitable<Result<Unit>> enable_auto_scale(const std::string& endpoint,
                                                           const std::string& pool_id,
                                                           const model::AutoScale& autoscale,
                                                           const std::string& if_match) override;
    /// DELETE (200 / 202 + Location / 204), then polls Location honouring Retry-After until
    /// done or `lro_deadline` (the pool lists as deleting meanwhile).
    boost::asio::awaitable<Result<Unit>> delete_pool(const std::string& endpoint,
                                                     const std::string& pool_id,
                                                     const std::string& if_match) override;
    boost::asio::awaitable<Result<Unit>> disable_auto_scale(const std::string& endpoint,
                                                            const std::string& pool_id) override;
    /// ARM has no supported-images list: a Client error `NoArmForm` (the node agent check is
    /// skipped for the account, as when the read fails).
    boost::asio::awaitable<Result<model::NodeAgentSkuTable>> list_node_agent_skus(
        const std::string& endpoint) override;
    /// Microsoft.Batch 2025-06-01 has no compute node list: a Client error `NoArmForm` (the
    /// rollout's gate judges ARM pools on their size, planner::PlanRollouts).
    boost::asio::awaitable<Result<model::NodeCounts>> list_node_counts(
        const std::string& endpoint, const std::string& pool_id) override;

  private:
    std::string url(const std::string& endpoint, const std::string& path,
                    const std::string& query = "") const;
    CallOptions options(std::string operation, const std::string& endpoint, bool write,
                        bool idempotent) const;
    boost::asio::awaitable<Result<Unit>> write(const std::string& endpoint,
                                               const std::string& pool_id, std::string operation,
                                               std::string body, const std::string& if_match);
    Transport& transport_;
    ArmPoolClientOptions options_;
};

/// A BatchApi that sends the calls for ArmPoolEndpoint()s to `arm` and the others to `batch`.
///
/// Thread safety: as the two clients.
class PoolApiRouter final : public BatchApi {
  public:
    PoolApiRouter(BatchApi& batch, BatchApi& arm) : batch_(batch), arm_(arm) {}
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
    boost::asio::awaitable<Result<Unit>> delete_pool(const std::string& endpoint,
                                                     const std::string& pool_id,
                                                     const std::string& if_match) override;
    boost::asio::awaitable<Result<Unit>> disable_auto_scale(const std::string& endpoint,
                                                            const std::string& pool_id) override;
    boost::asio::awaitable<Result<model::NodeAgentSkuTable>> list_node_agent_skus(
        const std::string& endpoint) override;
    boost::asio::awaitable<Result<model::NodeCounts>> list_node_counts(
        const std::string& endpoint, const std::string& pool_id) override;

  private:
    BatchApi& pick(const std::string& endpoint) {
        return IsArmPoolEndpoint(endpoint) ? arm_ : batch_;
    }
    BatchApi& batch_;
    BatchApi& arm_;
};

}  // namespace pw::azure
