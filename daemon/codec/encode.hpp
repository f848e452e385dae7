#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/desired.hpp"
#include "model/duration.hpp"
#include "model/observed.hpp"
#include "model/result.hpp"

/// Pure encoders of the request bodies poolwarden sends (Batch data plane and ARM). Each returns
/// compact JSON text; nothing is read back from them.
namespace pw::codec {

/// Reads the secret a pool file names by `...File` (a PropValue of kind SecretFile) when a
/// write needs it. The error names the file, never its contents.
using SecretReader =
    std::function<Result<std::string, std::string>(const model::PropValue& secret_file)>;

/// `POST /pools` body (PoolAddParameter): id, vmSize, virtualMachineConfiguration with
/// `imageReference.virtualMachineImageId` and `nodeAgentSKUId`, fixed targets with
/// `resizeTimeout` (ISO-8601) or enableAutoScale + formula + evaluation interval,
/// taskSlotsPerNode, startTask (an elevated one runs as the pool-scoped admin auto user),
/// `metadata` as `[{name, value}]` exactly as given in `spec.metadata`, and every
/// table-declared property (model::PoolFields(), StartTaskFields()) under its REST name, with
/// each `...File` replaced by the secret `secrets` reads. Fails (naming the file) when a secret
/// cannot be read; `secrets` is not called for a spec without secrets.
Result<std::string, std::string> EncodePoolAdd(const model::PoolSpec& spec,
                                               const std::optional<model::Seconds>& resize_timeout,
                                               const SecretReader& secrets = {});

/// `POST /pools/{id}/resize` body (PoolResizeParameter). An empty deallocation option is
/// omitted (Batch's default, requeue).
std::string EncodePoolResize(int target_dedicated_nodes, int target_low_priority_nodes,
                             model::Seconds resize_timeout,
                             const std::string& node_deallocation_option);

/// Pool_EnableAutoScale body (`PoolEnableAutoScaleParameter`, azure-contract.md 1.4):
/// model::CappedFormula and the evaluation interval.
std::string EncodeEnableAutoScale(const model::AutoScale& autoscale);

/// Pool_EvaluateAutoScale body (`{"autoScaleFormula"}`, required): model::CappedFormula.
std::string EncodeEvaluateAutoScale(const model::AutoScale& autoscale);

/// `PATCH /pools/{id}` body (PoolPatchParameter): only the members given; an empty metadata
/// map clears the pool's metadata; `properties` (table-declared members, an Object) under their
/// REST names. Secrets of the start task as in EncodePoolAdd.
Result<std::string, std::string> EncodePoolPatch(
    const model::Boxed<model::StartTask>& start_task,
    const std::optional<std::map<std::string, std::string>>& metadata,
    const SecretReader& secrets = {}, const model::PropValue& properties = {});

/// `PATCH /pools/{id}` body of a rollout's swap (the pool is empty): everything EncodePoolAdd
/// sends that BatchPoolUpdateOptions (2025-06-01.21.0) accepts, the empty-only members
/// (vmSize, the complete virtualMachineConfiguration, taskSlotsPerNode, networkConfiguration,
/// mountConfiguration, userAccounts, ...) and the patchable ones, with `metadata`; not the id,
/// the scale settings (PATCH has none: resize) or the Fixed members (never changed).
Result<std::string, std::string> EncodePoolSwap(
    const model::PoolSpec& spec, const std::optional<std::map<std::string, std::string>>& metadata,
    const SecretReader& secrets = {});

/// ARM `PATCH` body of a gallery image version changing replica counts:
/// `{"properties":{"publishingProfile":{"targetRegions":[...]},"storageProfile":{}}}`. Every
/// region is sent (the array is replaced as a whole), each with its storageAccountType as
/// observed (omitted when unknown); replicationMode and version-level settings are never sent.
std::string EncodeTargetRegionsPatch(const std::vector<model::TargetRegion>& regions);

}  // namespace pw::codec
