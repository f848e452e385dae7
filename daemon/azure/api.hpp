#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/desired.hpp"
#include "model/observed.hpp"
#include "model/result.hpp"

namespace pw::azure {

/// What went wrong, as the retry policy and the reconciler need to know it.
enum class ErrorKind {
    Network,    ///< Connect/reset/TLS failure: retryable.
    Timeout,    ///< Deadline exceeded: retryable.
    Throttled,  ///< 429 (or ServerBusy): retry after Retry-After.
    Auth,       ///< 401/403 or token acquisition failure.
    Client,     ///< Other 4xx: never retried with the same request.
    Server,     ///< 5xx: retryable.
    Decode,     ///< A response that does not parse as the contract says: no write follows.
    Cancelled,  ///< Shutdown.
};

std::string_view ToString(ErrorKind kind);

/// An Azure or transport error as a value. Never contains secrets or tokens.
///
/// Thread safety: a value type.
struct Error {
    ErrorKind kind = ErrorKind::Network;
    int http_status = 0;  ///< 0 when no response was received.
    std::string code;     ///< Azure error code (`PoolExists`, `AuthorizationFailed`, ...).
    std::string message;  ///< Azure's message or the transport's description.
    std::optional<std::chrono::milliseconds> retry_after;
    /// False when the request certainly never reached the server (failed before it was
    /// written), so that even a non-idempotent request may be retried.
    bool request_sent = true;

    std::string str() const;
};

template <class T>
using Result = pw::Result<T, Error>;

/// The Batch account as ARM describes it.
struct AccountInfo {
    std::string location;
    std::string endpoint;  ///< With scheme: `https://acct.region.batch.azure.com`.
    std::string pool_allocation_mode;
    std::optional<int> dedicated_core_quota;
    std::optional<int> low_priority_core_quota;
    std::optional<int> pool_quota = {};
    std::map<std::string, int> family_core_quota = {};  ///< dedicatedCoreQuotaPerVMFamily.
    bool family_quota_enforced = false;                 ///< dedicatedCoreQuotaPerVMFamilyEnforced.
};

/// A pool to create: the spec with the metadata to write (marker and spec hash included) and
/// the resizeTimeout the rule computed (absent for autoscale pools).
struct PoolAddRequest {
    model::PoolSpec spec;
    std::optional<model::Seconds> resize_timeout;
};

struct PoolResizeRequest {
    int target_dedicated_nodes = 0;
    int target_low_priority_nodes = 0;
    model::Seconds resize_timeout{};
    std::string node_deallocation_option;  ///< Empty: Batch's default.
};

/// Mutable pool fields to PATCH; absent fields are left unchanged.
struct PoolPatchRequest {
    model::Boxed<model::StartTask> start_task;
    std::optional<std::map<std::string, std::string>> metadata;
    /// Patchable table-declared members (model::UpdateClass::Patchable of PoolFields():
    /// applicationPackageReferences, targetNodeCommunicationMode), an Object; each member
    /// present replaces the pool's.
    model::PropValue properties;
    /// A rollout's swap of an empty pool: also every empty-only property of this spec
    /// (codec::EncodePoolSwap).
    std::optional<model::PoolSpec> swap = {};
};

/// The Batch data plane of one account, reached at `endpoint` with an Entra ID token.
///
/// Thread safety: implementations are used from one strand at a time.
/// What `evaluateautoscale` answers (`AutoScaleRun`, BatchService.json 2025-06-01.21.0): the
/// variables' values, or the formula's error.
struct AutoScaleRun {
    std::string results;        ///< `$TargetDedicatedNodes=3;$NodeDeallocationOption=requeue`
    std::string error_code;     ///< `error.code`; empty when the formula evaluated.
    std::string error_message;  ///< `error.message`, Batch's text for the operator.
};

class BatchApi {
  public:
    virtual ~BatchApi() = default;
    /// Every pool of the account: one paged `GET /pools` with `$select`, all pages followed.
    virtual boost::asio::awaitable<Result<std::vector<model::ObservedPool>>> list_pools(
        const std::string& endpoint) = 0;
    /// `GET /pools/{id}`: the pool as list_pools decodes it, with its table-declared
    /// properties (ObservedPool::properties; left empty when they do not decode).
    virtual boost::asio::awaitable<Result<model::ObservedPool>> get_pool(
        const std::string& endpoint, const std::string& pool_id) = 0;
    /// POST /pools with a client-request-id. A retried add answering PoolExists resolves by
    /// reading the pool: success when it carries poolwarden's marker, else a Client error.
    virtual boost::asio::awaitable<Result<Unit>> add_pool(const std::string& endpoint,
                                                          const PoolAddRequest& request) = 0;
    virtual boost::asio::awaitable<Result<Unit>> resize_pool(const std::string& endpoint,
                                                             const std::string& pool_id,
                                                             const PoolResizeRequest& request,
                                                             const std::string& if_match) = 0;
    virtual boost::asio::awaitable<Result<Unit>> stop_resize(const std::string& endpoint,
                                                             const std::string& pool_id) = 0;
    virtual boost::asio::awaitable<Result<Unit>> patch_pool(const std::string& endpoint,
                                                            const std::string& pool_id,
                                                            const PoolPatchRequest& request,
                                                            const std::string& if_match) = 0;
    /// `POST /pools/{id}/evaluateautoscale` with model::CappedFormula(autoscale): Batch
    /// evaluates it on the pool (which must have autoscale enabled) and changes nothing.
    virtual boost::asio::awaitable<Result<AutoScaleRun>> evaluate_auto_scale(
        const std::string& endpoint, const std::string& pool_id,
        const model::AutoScale& autoscale) = 0;
    /// `POST /pools/{id}/enableautoscale` with model::CappedFormula(autoscale) and its
    /// interval, If-Match when given (azure-contract.md 1.3, 1.4).
    virtual boost::asio::awaitable<Result<Unit>> enable_auto_scale(
        const std::string& endpoint, const std::string& pool_id, const model::AutoScale& autoscale,
        const std::string& if_match) = 0;
    /// `DELETE /pools/{id}` (202; the pool is `deleting` until Batch removes it), If-Match
    /// when given (azure-contract.md 1.3).
    virtual boost::asio::awaitable<Result<Unit>> delete_pool(const std::string& endpoint,
                                                             const std::string& pool_id,
                                                             const std::string& if_match) = 0;
    /// `POST /pools/{id}/disableautoscale` (no If-Match: the operation declares none).
    virtual boost::asio::awaitable<Result<Unit>> disable_auto_scale(const std::string& endpoint,
                                                                    const std::string& pool_id) = 0;
    /// The account's supported images (`GET /supportedimages`, every page) [BS, contract §1.8]:
    /// each listed `nodeAgentSKUId` (lower-cased) with its `osType`.
    virtual boost::asio::awaitable<Result<model::NodeAgentSkuTable>> list_node_agent_skus(
        const std::string& endpoint) = 0;
    /// A pool's nodes counted by state: `GET /pools/{id}/nodes?$select=id,state`, every page
    /// (Nodes_ListNodes, 2025-06-01.21.0 BatchService.json, pageable by `odata.nextLink`).
    virtual boost::asio::awaitable<Result<model::NodeCounts>> list_node_counts(
        const std::string& endpoint, const std::string& pool_id) = 0;
};

/// After a create answered that the pool exists: true when the pool (one GET through `api`)
/// carries poolwarden's marker, i.e. a retried create whose first attempt was applied; else
/// `error` says the pool is not poolwarden's and becomes a Client error.
boost::asio::awaitable<bool> CreatedEarlier(BatchApi& api, const std::string& endpoint,
                                            const std::string& pool_id, Error& error);

/// After a resize answered 412 to its If-Match: whether the pool (one GET through `api`)
/// now holds the requested targets, i.e. a retried write whose first attempt was applied.
boost::asio::awaitable<bool> ResizeApplied(BatchApi& api, const std::string& endpoint,
                                           const std::string& pool_id,
                                           const PoolResizeRequest& request);

/// Azure Resource Manager: Batch accounts and Compute Gallery images.
///
/// Thread safety: implementations are used from one strand at a time.
class ArmApi {
  public:
    virtual ~ArmApi() = default;
    virtual boost::asio::awaitable<Result<AccountInfo>> get_batch_account(
        const model::AccountSpec& account) = 0;
    /// The VM sizes Batch supports in `location` of `subscription_id`
    /// (`Location_ListSupportedVirtualMachineSkus`, every page) [BM, contract §9].
    virtual boost::asio::awaitable<Result<std::vector<model::VmSku>>> list_supported_vm_skus(
        const std::string& subscription_id, const std::string& location) = 0;
    /// `tenantId` of `GET /subscriptions/{id}` (Subscriptions_Get) [contract §12, SUBx].
    virtual boost::asio::awaitable<Result<std::string>> get_subscription_tenant(
        const std::string& subscription_id) = 0;
    /// `registrationState` of `GET /subscriptions/{id}/providers/{namespace}` (Providers_Get)
    /// [contract §12, RPx].
    virtual boost::asio::awaitable<Result<std::string>> get_provider_registration(
        const std::string& subscription_id, const std::string& provider_namespace) = 0;
    /// GET of an image definition by resource id.
    virtual boost::asio::awaitable<Result<model::ObservedImage>> get_image(
        const std::string& image_definition_id) = 0;
    /// The versions of an image definition (`GET .../images/{i}/versions`, every page).
    virtual boost::asio::awaitable<Result<std::vector<model::ImageVersionListing>>>
    list_image_versions(const std::string& image_definition_id) = 0;
    /// GET of an image version with `$expand=ReplicationStatus`.
    virtual boost::asio::awaitable<Result<model::ObservedImageVersion>> get_image_version(
        const std::string& image_version_id) = 0;
    /// PATCH of the complete targetRegions list, run as an ARM long-running operation to its
    /// terminal state (Azure-AsyncOperation, else Location, honouring Retry-After). Returns
    /// the version as re-read afterwards. Replication may still be in progress.
    virtual boost::asio::awaitable<Result<model::ObservedImageVersion>> update_target_regions(
        const std::string& image_version_id, const std::vector<model::TargetRegion>& regions) = 0;
};

}  // namespace pw::azure
