#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/desired.hpp"
#include "model/observed.hpp"
#include "model/plan.hpp"

/// Pre-flight rules: what Batch would refuse or stop short of, found before any write. Pure and
/// table-tested at their boundaries; the planner applies them to its pools.
namespace pw::planner {

/// One pool of an account as the quota rule sees it.
///
/// Thread safety: a value type.
struct QuotaPool {
    std::string id;
    std::string vm_size;
    bool declared = false;      ///< From a pool file (else another pool of the account).
    bool exists = false;        ///< Batch lists it (counts toward poolQuota).
    bool creates = false;       ///< The plan creates it.
    bool grows = false;         ///< The plan grows it (a fixed-scale resize that adds nodes).
    bool fixed = true;          ///< Fixed scale: a partial size can be written; autoscale cannot.
    int current_dedicated = 0;  ///< Targets the pool holds now (0 when it does not exist).
    int current_low = 0;
    int want_dedicated = 0;  ///< At full size: its targets, or autoscale maxNodes.
    int want_low = 0;
};

/// What the quota rule decided for one creating or growing pool.
struct QuotaDecision {
    std::string id;
    bool held = false;  ///< No create or resize for this pool this cycle.
    /// partialGrowth cut the pool short: the targets to write instead of the spec's.
    std::optional<int> dedicated;
    std::optional<int> low;
};

/// Decisions (one per creating or growing pool, input order) and QuotaExceeded findings.
struct QuotaCheck {
    std::vector<QuotaDecision> decisions;
    std::vector<model::Finding> findings;
};

/// The account's quotas against the vCPUs its pools need at full size [BM
/// `#/definitions/BatchAccountProperties`, contract §9].
///
/// Usage first counts every pool that does not create or grow: a declared pool at
/// max(current, full size), another pool at its current targets. Then each creating or growing
/// pool, in input order, is admitted when its added vCPUs (nodes x `vCPUs` of its vmSize) keep
/// every quota that applies within bounds: dedicated vCPUs against `dedicatedCoreQuota` and, when
/// `dedicatedCoreQuotaPerVMFamilyEnforced`, against its family's `dedicatedCoreQuotaPerVMFamily`
/// too; low-priority vCPUs against `lowPriorityCoreQuota`; a create against `poolQuota` (every
/// pool of the account counts). Exactly at a quota fits; one vCPU over does not. A pool that does
/// not fit is held with an error `QuotaExceeded` naming the quota, the vCPUs needed, the quota,
/// the pools using it and the quota to request; with `partial_growth` a fixed-scale pool instead
/// gets the most nodes that fit (when more than it has) and a warning `QuotaExceeded`. Quotas the
/// account does not report (UserSubscription accounts) and pools whose vmSize is not in `skus`
/// are not checked for cores; with `skus` null no core quota is checked.
/// `account` is the local name the findings carry; the fix names `batch_account` (the Batch
/// account's name in Azure; empty: `account`).
QuotaCheck CheckQuota(std::string_view account, const model::ObservedAccount& facts,
                      const std::vector<QuotaPool>& pools, bool partial_growth,
                      std::string_view batch_account = {});

/// The checks of a pool's VM size and image definition against each other and the pool's
/// `virtualMachineConfiguration.securityProfile`, as errors that hold its create or growth
/// (account, pool and image_version left for the caller). `sku` is the pool's vmSize in the
/// location's Batch-supported list, or nullptr; `skus_known` says whether that list was read.
///
/// - VmSizeNotSupported: the list was read and does not hold vmSize;
/// - LowPriorityNotSupported: low-priority nodes wanted, the size's LowPriorityCapable is False;
/// - HyperVGenerationMismatch: the definition's hyperVGeneration is not among the size's
///   HyperVGenerations;
/// - SecurityProfileRequired: the definition's SecurityType is TrustedLaunch or ConfidentialVM and
///   the pool does not set that securityType;
/// - SecurityTypeMismatch: the pool asks for trustedLaunch / confidentialVM and the definition's
///   SecurityType does not support it;
/// - VmSizeSecurityMismatch: the effective security type is trusted launch and the size has
///   TrustedLaunchDisabled, or confidential VM and the size has no ConfidentialComputingType.
std::vector<model::Finding> CheckCompatibility(const model::PoolSpec& spec,
                                               const model::ObservedImage* image,
                                               const model::VmSku* sku, bool skus_known);

/// The pool's nodeAgentSkuId against Batch's supported images list of its account (`skus`, null:
/// not read, nothing checked) [BS ImageInformation, contract §1.8, §5.4]:
///
/// - NodeAgentSkuNotSupported: no listed image has the pool's nodeAgentSkuId (compared without
///   case);
/// - OsTypeMismatch: the SKU's listed osType (linux | windows) is not the image definition's
///   osType (Linux | Windows; not checked without `image` or when either is empty).
///
/// Errors that hold every write of the pool (account, pool and image_version left for the
/// caller).
std::vector<model::Finding> CheckNodeAgentSku(const model::PoolSpec& spec,
                                              const model::ObservedImage* image,
                                              const model::NodeAgentSkuTable* skus);

/// An image in another subscription than the pool's Batch account: "Microsoft.Batch must be
/// registered in the image's subscription and both subscriptions must be in one tenant"
/// [D-SIG, contract §5.3, §12]. `subscriptions` by lower-cased id; a fact not known (missing
/// entry or empty field) is not checked. Nothing for an image in the account's subscription.
///
/// - ProviderNotRegistered: the image subscription's Microsoft.Batch registrationState is not
///   `Registered` (Registering and unknown values included);
/// - TenantMismatch: the two subscriptions' tenantIds differ (compared without case).
std::vector<model::Finding> CheckImageSubscription(
    const model::PoolSpec& spec, std::string_view account_subscription,
    const std::map<std::string, model::SubscriptionFacts>& subscriptions);

/// ImageAccessDenied: the GET of the pool's image version (or definition) answered 403; `error`
/// is Azure's answer, `what` the resource refused (its id). The fix names the role to grant on
/// the gallery. An error that holds every write of the pool.
model::Finding ImageAccessDenied(const model::PoolSpec& spec, std::string_view what,
                                 std::string_view error);

/// The pool's `virtualMachineConfiguration.securityProfile.securityType` ("" when not set).
std::string PoolSecurityType(const model::PoolSpec& spec);

}  // namespace pw::planner
