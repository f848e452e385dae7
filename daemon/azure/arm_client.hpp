#pragma once

#include <chrono>
#include <string>

#include "azure/api.hpp"
#include "azure/transport.hpp"

namespace pw::azure {

/// Settings of the ARM client.
struct ArmClientOptions {
    std::string resource_manager = "https://management.azure.com/";
    /// Entra ID resource of ARM tokens (cloud.managementResource; the scope is
    /// `https://management.core.windows.net//.default`, which ARM accepts in every cloud).
    std::string resource = "https://management.core.windows.net/";
    std::string batch_api_version = "2024-07-01";    ///< Microsoft.Batch account GET.
    std::string gallery_api_version = "2023-07-03";  ///< Microsoft.Compute galleries.
    /// Subscriptions_Get (`GET /subscriptions/{id}`): 2021-01-01 [contract §12, SUBx].
    std::string subscriptions_api_version = "2021-01-01";
    /// Providers_Get (`GET /subscriptions/{id}/providers/{ns}`): 2024-11-01 [contract §12, RPx].
    std::string providers_api_version = "2024-11-01";
    std::chrono::milliseconds deadline{120000};  ///< Per call, retries included.
    std::chrono::milliseconds attempt_timeout{30000};
    std::chrono::milliseconds lro_deadline{600000};      ///< Polling an operation, at most.
    std::chrono::milliseconds lro_poll_interval{10000};  ///< When no Retry-After is given.
    /// Longest wait between polls whatever Retry-After says, so a healthy pass keeps making
    /// progress (the systemd watchdog) and sees shutdown promptly.
    std::chrono::milliseconds lro_max_poll_interval{60000};
};

/// Azure Resource Manager (ArmApi) over Transport: Batch account GET, gallery image definition
/// and version GET (`$expand=ReplicationStatus`), and the targetRegions PATCH as a long-running
/// operation. Reads and writes draw from per-subscription buckets.
///
/// Thread safety: use from one strand.
class ArmClient final : public ArmApi {
  public:
    ArmClient(Transport& transport, ArmClientOptions options = {});

    boost::asio::awaitable<Result<AccountInfo>> get_batch_account(
        const model::AccountSpec& account) override;
    /// `GET /subscriptions/{s}/providers/Microsoft.Batch/locations/{l}/virtualMachineSkus`,
    /// following `nextLink` (same origin only) until absent.
    boost::asio::awaitable<Result<std::vector<model::VmSku>>> list_supported_vm_skus(
        const std::string& subscription_id, const std::string& location) override;
    /// `GET /subscriptions/{id}?api-version=2021-01-01`: its `tenantId` (required).
    boost::asio::awaitable<Result<std::string>> get_subscription_tenant(
        const std::string& subscription_id) override;
    /// `GET /subscriptions/{id}/providers/{ns}?api-version=2024-11-01`: its `registrationState`
    /// (required).
    boost::asio::awaitable<Result<std::string>> get_provider_registration(
        const std::string& subscription_id, const std::string& provider_namespace) override;
    boost::asio::awaitable<Result<model::ObservedImage>> get_image(
        const std::string& image_definition_id) override;
    /// GalleryImageVersions_ListByGalleryImage, following `nextLink` (same origin only) until
    /// absent.
    boost::asio::awaitable<Result<std::vector<model::ImageVersionListing>>> list_image_versions(
        const std::string& image_definition_id) override;
    boost::asio::awaitable<Result<model::ObservedImageVersion>> get_image_version(
        const std::string& image_version_id) override;
    /// PATCH `{"properties":{"publishingProfile":{"targetRegions":[...]},"storageProfile":{}}}`
    /// with `regions` as given (complete list, storageAccountType as observed), then polls
    /// Azure-AsyncOperation, else Location, else the version's provisioningState, honouring
    /// Retry-After, until terminal or `lro_deadline`; then re-reads the version. A Failed or
    /// Canceled operation is an error carrying the operation's error code.
    boost::asio::awaitable<Result<model::ObservedImageVersion>> update_target_regions(
        const std::string& image_version_id,
        const std::vector<model::TargetRegion>& regions) override;

  private:
    CallOptions options(std::string operation, const std::string& resource_id, bool write) const;
    std::string url(const std::string& resource_id, const std::string& api_version,
                    const std::string& query = "") const;
    boost::asio::awaitable<Result<Unit>> poll(const std::string& image_version_id,
                                              const CallResult& initial);
    Transport& transport_;
    ArmClientOptions options_;
};

}  // namespace pw::azure
