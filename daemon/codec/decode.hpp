#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/observed.hpp"
#include "model/pool_fields.hpp"
#include "model/result.hpp"

/// Pure decoders from Azure's own JSON shapes (Batch data plane, ARM, Entra ID) to the model.
/// Every decoder takes the raw response body, tolerates unknown members, never throws on bad
/// input and reports the first problem with its JSON path, e.g.
/// `value[3].targetDedicatedNodes: expected integer`. A JSON `null` reads as an absent member.
namespace pw::codec {

template <class T>
using Decoded = pw::Result<T, std::string>;

/// The `$select` list for `GET /pools` that yields every field DecodePool reads.
inline constexpr const char* kPoolSelect =
    "id,eTag,state,allocationState,vmSize,virtualMachineConfiguration,targetDedicatedNodes,"
    "targetLowPriorityNodes,currentDedicatedNodes,currentLowPriorityNodes,enableAutoScale,"
    "autoScaleFormula,autoScaleEvaluationInterval,resizeTimeout,resizeErrors,taskSlotsPerNode,"
    "startTask,metadata";

/// The `$select` list for `GET /pools/{id}` when the table-declared properties are compared:
/// kPoolSelect plus the REST name of every top-level member of model::PoolFields().
const std::string& PoolPropertiesSelect();

/// The table-declared properties of a pool as Batch returns it (a `GET /pools/{id}` body):
/// model::PoolFields() walked from REST names back to pool-file keys, the form
/// model::DiffProperties compares. Secret members are never read (Batch does not return them);
/// members the table does not declare are ignored; a member of the wrong JSON type is an error
/// naming its path.
Decoded<model::PropValue> DecodePoolProperties(std::string_view pool_body);
/// The same for the pool's `startTask` (model::StartTaskFields()); an empty object when the
/// pool has no start task.
Decoded<model::PropValue> DecodeStartTaskProperties(std::string_view pool_body);

/// One page of `GET /pools`: the pools and `odata.nextLink` when more pages follow.
///
/// Thread safety: a value type.
struct PoolPage {
    std::vector<model::ObservedPool> pools;
    std::optional<std::string> next_link;
};

/// The Batch account as ARM GET returns it (`properties.accountEndpoint` has no scheme).
///
/// Thread safety: a value type.
struct AccountJson {
    std::string location;
    std::string account_endpoint;
    std::string pool_allocation_mode;         ///< BatchService | UserSubscription; empty if absent.
    std::optional<int> dedicated_core_quota;  ///< Absent for UserSubscription accounts.
    std::optional<int> low_priority_core_quota;
    std::optional<int> pool_quota;
    std::map<std::string, int> family_core_quota;  ///< By lower-cased family name.
    bool family_quota_enforced = false;
};

/// One page of `GET .../locations/{l}/virtualMachineSkus` (SupportedSkusResult): the SKUs and
/// `nextLink` when more pages follow.
///
/// Thread safety: a value type.
struct SupportedSkuPage {
    std::vector<model::VmSku> skus;
    std::optional<std::string> next_link;
};

/// A Batch data-plane error body: `{code, message:{lang,value}, values:[{key,value}]}`.
///
/// Thread safety: a value type.
struct BatchErrorJson {
    std::string code;
    std::string message;  ///< message.value
    std::vector<std::pair<std::string, std::string>> values;
};

/// One entry of an ARM error's `details`.
struct ArmErrorDetail {
    std::string code;
    std::string target;
    std::string message;
};

/// An ARM error body: `{error:{code, message, target, details:[...]}}`.
///
/// Thread safety: a value type.
struct ArmErrorJson {
    std::string code;
    std::string message;
    std::string target;
    std::vector<ArmErrorDetail> details;
};

/// An ARM asynchronous operation's status (the Azure-AsyncOperation URL's body):
/// `{status, error:{code, message, details}}`; status Succeeded, Failed, Canceled or a
/// resource provider's own value such as InProgress [D-ASYNC].
///
/// Thread safety: a value type.
struct OperationStatusJson {
    std::string status;
    std::optional<ArmErrorJson> error;  ///< Set when the body has an `error` object.
};

/// An Entra ID / IMDS token error body: `{error, error_description, error_codes}`.
///
/// Thread safety: a value type.
struct AadErrorJson {
    std::string error;
    std::string error_description;
    std::vector<long long> error_codes;
};

/// A CloudPool (GET /pools/{id}). Requires `id`; other members default as in ObservedPool.
Decoded<model::ObservedPool> DecodePool(std::string_view body);
/// A CloudPoolListResult page (`value` required, `odata.nextLink` optional), decoded as a
/// stream (see AppendPoolList).
Decoded<PoolPage> DecodePoolList(std::string_view body);
/// Decodes a CloudPoolListResult page as a stream of parse events (nlohmann's SAX interface)
/// straight into `pools`, without building a JSON document: a page of 1 000 pools costs its
/// pools, not a tree of every member. Appends the page's pools and returns `odata.nextLink`
/// ("" when none). Results and errors are those of reading the page as a document (the first
/// problem in the order members are read, a syntax error anywhere first); on error `pools` is
/// left as it was.
Decoded<std::string> AppendPoolList(std::string_view body, std::vector<model::ObservedPool>& pools);
/// A GalleryImageVersion (ARM GET `?$expand=ReplicationStatus`). Requires `location`.
/// A target region without `regionalReplicaCount` gets the version's `replicaCount` (else 1).
Decoded<model::ObservedImageVersion> DecodeImageVersion(std::string_view body);

/// One page of `GET .../images/{i}/versions` (GalleryImageVersionList): each version's `name`,
/// provisioningState and publishingProfile.excludeFromLatest, and `nextLink` when more pages
/// follow.
///
/// Thread safety: a value type.
struct ImageVersionListPage {
    std::vector<model::ImageVersionListing> versions;
    std::optional<std::string> next_link;
};
Decoded<ImageVersionListPage> DecodeImageVersionListPage(std::string_view body);
/// A GalleryImage definition. Requires `properties.osType` and `properties.osState`.
Decoded<model::ObservedImage> DecodeImage(std::string_view body);
/// A SupportedSkusResult page [BM `#/definitions/SupportedSkusResult`]: `value` required, each
/// SKU's `name` required; capability values are strings (`vCPUs` read as an integer).
Decoded<SupportedSkuPage> DecodeSupportedSkuPage(std::string_view body);
/// A Batch account (ARM). Requires `location` and `properties.accountEndpoint`.
Decoded<AccountJson> DecodeBatchAccount(std::string_view body);
/// A Batch error body. Requires `code`.
Decoded<BatchErrorJson> DecodeBatchError(std::string_view body);
/// An ARM error body. Requires `error.code`.
Decoded<ArmErrorJson> DecodeArmError(std::string_view body);
/// An ARM operation status body. Requires `status`; `error.code` and `error.message`, when
/// present, must be strings.
Decoded<OperationStatusJson> DecodeOperationStatus(std::string_view body);
/// An Entra ID or IMDS error body. Requires `error`.
Decoded<AadErrorJson> DecodeAadError(std::string_view body);

/// The offline snapshot file read by `poolwarden plan --observed`:
/// `{"accounts": {"<local name>": {"location": "eastus", "endpoint"?: "...", "pools": [CloudPool,
/// ...]}}, "imageVersions": {"<version id>": GalleryImageVersion}, "images": {"<image
/// definition id>": GalleryImage}}`. Map keys become model::ResourceKey()s; a version or image
/// body without `id` takes its key as id. All three top-level members are optional.
Decoded<model::ObservedState> DecodeSnapshot(std::string_view body);

namespace detail {
/// DecodePoolList through a whole JSON document: the reference the streaming decoder is
/// tested against (unit tests and the fuzzer).
Decoded<PoolPage> DecodePoolListDocument(std::string_view body);
}  // namespace detail

}  // namespace pw::codec
