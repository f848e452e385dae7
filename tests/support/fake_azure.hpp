#pragma once

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "azure/api.hpp"

namespace pw::testing {

/// An in-memory Azure for component tests: Batch accounts with pools, gallery image versions
/// with replica counts and replication progress stepped by the test, image definitions, a
/// log of every call, and injectable failures.
///
/// Thread safety: none; use from one thread (the test's io_context).
class FakeAzure final : public azure::BatchApi, public azure::ArmApi {
  public:
    struct Account {
        model::AccountSpec spec;
        azure::AccountInfo info;
        std::vector<model::ObservedPool> pools;
    };
    /// How update_target_regions behaves.
    enum class LroMode {
        Complete,  ///< LRO succeeds; changed regions start Replicating.
        Crash,     ///< Version left Updating and the call fails as if the daemon died.
    };

    // --- World set-up ----------------------------------------------------------------------
    Account& add_account(const model::AccountSpec& spec, const std::string& location);
    model::ObservedImageVersion& add_version(const std::string& id, const std::string& region,
                                             int replicas, const std::string& state = "Completed");
    model::ObservedImage& add_image(const std::string& definition_id,
                                    const std::string& os_type = "Linux",
                                    const std::string& os_state = "Generalized");
    model::ObservedPool& add_pool(const std::string& account_name, model::ObservedPool pool);
    /// Someone deletes a pool or an image version (poolwarden never does).
    void remove_pool(const std::string& account_name, const std::string& pool_id);
    void remove_version(const std::string& id);

    // --- Time passes -----------------------------------------------------------------------
    /// Versions left Updating by LroMode::Crash finish their update (provisioning Succeeded).
    void finish_updates();
    /// Every Replicating region of every version completes.
    void complete_replication();
    /// Every resizing pool reaches its targets (or `errors` when given) and becomes steady.
    void finish_resizes(const std::vector<model::ResizeError>& errors = {});

    // --- Inspection ------------------------------------------------------------------------
    Account* account(const std::string& account_name);
    model::ObservedPool* pool(const std::string& account_name, const std::string& pool_id);
    model::ObservedImageVersion* version(const std::string& id);
    /// Every call as "VERB what", e.g. "GET version <id>", "POST pool render-eus/p1".
    const std::vector<std::string>& calls() const { return calls_; }
    /// Calls that changed something (POST/PATCH).
    std::vector<std::string> writes() const;
    int count(const std::string& prefix) const;
    void clear_calls() { calls_.clear(); }

    // --- Faults ----------------------------------------------------------------------------
    /// The next calls whose log entry starts with `prefix` fail with `error`, `times` times.
    void fail(const std::string& prefix, azure::Error error, int times = 1);
    LroMode lro_mode = LroMode::Complete;
    /// add_pool takes this long (real time), to observe in-flight writes.
    std::chrono::milliseconds write_delay{0};
    /// evaluateautoscale answers every formula with this error (AutoScaleRun.error) when set.
    std::optional<azure::AutoScaleRun> formula_error;
    /// Batch answers resizes that exceed the account's dedicated core quota with this code.
    int cores_per_node = 4;

    // --- BatchApi ---------------------------------------------------------------------------
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
    boost::asio::awaitable<azure::Result<Unit>> stop_resize(const std::string& endpoint,
                                                            const std::string& pool_id) override;
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
    boost::asio::awaitable<azure::Result<Unit>> patch_pool(const std::string& endpoint,
                                                           const std::string& pool_id,
                                                           const azure::PoolPatchRequest& request,
                                                           const std::string& if_match) override;
    /// `node_agent_skus` of the account, or 404 when not set.
    boost::asio::awaitable<azure::Result<model::NodeAgentSkuTable>> list_node_agent_skus(
        const std::string& endpoint) override;
    /// `node_counts[pool id]`, or 404 when not set.
    boost::asio::awaitable<azure::Result<model::NodeCounts>> list_node_counts(
        const std::string& endpoint, const std::string& pool_id) override;

    // --- ArmApi -----------------------------------------------------------------------------
    boost::asio::awaitable<azure::Result<azure::AccountInfo>> get_batch_account(
        const model::AccountSpec& account) override;
    boost::asio::awaitable<azure::Result<std::vector<model::VmSku>>> list_supported_vm_skus(
        const std::string& subscription_id, const std::string& location) override;
    /// `tenants[subscription]`, or 404 when not set.
    boost::asio::awaitable<azure::Result<std::string>> get_subscription_tenant(
        const std::string& subscription_id) override;
    /// `registrations[subscription/namespace]` (lower-case), or 404 when not set.
    boost::asio::awaitable<azure::Result<std::string>> get_provider_registration(
        const std::string& subscription_id, const std::string& provider_namespace) override;
    boost::asio::awaitable<azure::Result<model::ObservedImage>> get_image(
        const std::string& image_definition_id) override;
    /// The versions added under the definition (excludeFromLatest from `excluded_from_latest`).
    boost::asio::awaitable<azure::Result<std::vector<model::ImageVersionListing>>>
    list_image_versions(const std::string& image_definition_id) override;
    boost::asio::awaitable<azure::Result<model::ObservedImageVersion>> get_image_version(
        const std::string& image_version_id) override;
    boost::asio::awaitable<azure::Result<model::ObservedImageVersion>> update_target_regions(
        const std::string& image_version_id,
        const std::vector<model::TargetRegion>& regions) override;

    /// ResourceKey()s of versions published with excludeFromLatest.
    std::set<std::string> excluded_from_latest;
    /// Version key -> regions (normalized) whose targetRegions entry sets excludeFromLatest.
    std::map<std::string, std::vector<std::string>> regions_excluded_from_latest;

    /// Batch-supported VM sizes by NormalizeRegion(location); a location without an entry
    /// answers 404 (as for an unknown location).
    std::map<std::string, std::vector<model::VmSku>> vm_skus;
    /// Batch's supported images (nodeAgentSKUId -> osType) of every account; nullopt: 404.
    std::optional<model::NodeAgentSkuTable> node_agent_skus;
    /// Nodes by state per pool id; a pool without an entry answers 404.
    std::map<std::string, model::NodeCounts> node_counts;
    /// Subscription id (lower-case) -> tenantId; a subscription without an entry answers 404.
    std::map<std::string, std::string> tenants;
    /// "subscription/namespace" (lower-case) -> registrationState; no entry: 404.
    std::map<std::string, std::string> registrations;

    /// Last request bodies, for assertions.
    std::vector<azure::PoolAddRequest> adds;
    std::vector<azure::PoolResizeRequest> resizes;
    std::vector<azure::PoolPatchRequest> patches;
    std::vector<std::vector<model::TargetRegion>> region_patches;

  private:
    std::optional<azure::Error> record(const std::string& call);
    Account* by_endpoint(const std::string& endpoint);
    void bump(model::ObservedPool& p);

    std::vector<Account> accounts_;
    std::map<std::string, model::ObservedImageVersion> versions_;  // by ResourceKey
    std::map<std::string, model::ObservedImage> images_;

    std::vector<std::string> calls_;
    struct Fault {
        std::string prefix;
        azure::Error error;
        int times;
    };
    std::deque<Fault> faults_;
    int etag_counter_ = 0;
};

/// An error as the clients return them.
azure::Error MakeError(azure::ErrorKind kind, int status, std::string code,
                       std::string message = "injected");

}  // namespace pw::testing
