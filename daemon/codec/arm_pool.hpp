#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "codec/decode.hpp"
#include "codec/encode.hpp"

/// The ARM pool resource (`Microsoft.Batch/batchAccounts/pools`, BatchManagement.json
/// 2025-06-01, azure-contract.md 10) in terms of the data-plane codecs: a body is encoded by
/// the data-plane encoder and translated member by member through the pool tables
/// (model::FieldSpec::arm_name(), arm_values), and an ARM pool is translated back into a
/// CloudPool and decoded by the data-plane decoder, so that a property is declared once and the
/// planner sees the same ObservedPool whichever API served it.
namespace pw::codec {

/// `PUT .../pools/{name}` body (Pool_Create, #/definitions/Pool): `properties` with vmSize,
/// `deploymentConfiguration.virtualMachineConfiguration` (imageReference.id, nodeAgentSkuId),
/// `scaleSettings.fixedScale` or `.autoScale`, `interNodeCommunication`, taskSlotsPerNode,
/// metadata, startTask and every table-declared property ARM declares, plus `identity`
/// (`{type: UserAssigned, userAssignedIdentities: {ID: {}}}`) when the spec has identities.
Result<std::string, std::string> EncodeArmPoolCreate(
    const model::PoolSpec& spec, const std::optional<model::Seconds>& resize_timeout,
    const SecretReader& secrets = {});

/// `PATCH` body resizing a fixed pool: `properties.scaleSettings.fixedScale` with both targets,
/// resizeTimeout and (when not empty) nodeDeallocationOption in ARM's spelling
/// [BMx/PoolUpdate_ResizePool.json].
std::string EncodeArmFixedScale(int target_dedicated_nodes, int target_low_priority_nodes,
                                model::Seconds resize_timeout,
                                const std::string& node_deallocation_option);

/// `PATCH` body switching a pool to autoscale: `properties.scaleSettings.autoScale`
/// {formula: model::CappedFormula, evaluationInterval} [BMx/PoolUpdate_EnableAutoScale.json].
std::string EncodeArmAutoScale(const model::AutoScale& autoscale);

/// `PATCH` body (Pool_Update, "supplied properties are updated") for what EncodePoolPatch would
/// send the data plane, in ARM's shape under `properties`.
Result<std::string, std::string> EncodeArmPoolPatch(
    const model::Boxed<model::StartTask>& start_task,
    const std::optional<std::map<std::string, std::string>>& metadata,
    const SecretReader& secrets = {}, const model::PropValue& properties = {});

/// `PATCH` body of a rollout's swap (EncodePoolSwap's members) in ARM's shape under
/// `properties`. guess: ARM applies the data plane's empty-pool rule to the same properties
/// (azure-contract.md 10: VERIFY); poolwarden sends it only to a steady pool with no node.
Result<std::string, std::string> EncodeArmPoolSwap(
    const model::PoolSpec& spec, const std::optional<std::map<std::string, std::string>>& metadata,
    const SecretReader& secrets = {});

/// An ARM Pool (GET / list item) as the data plane's CloudPool JSON: id = name, eTag = etag,
/// state from provisioningState (Succeeded -> active, Deleting -> deleting), allocationState
/// lower-cased, scaleSettings as targets / enableAutoScale, resizeOperationStatus.errors as
/// resizeErrors, and the table-declared members under their data-plane names and spellings.
Decoded<std::string> ArmPoolAsBatchJson(std::string_view arm_pool);

/// An ARM Pool decoded into the observed model (through ArmPoolAsBatchJson and DecodePool).
Decoded<model::ObservedPool> DecodeArmPool(std::string_view body);

/// One page of Pool_ListByBatchAccount (`value`, `nextLink`).
Decoded<PoolPage> DecodeArmPoolList(std::string_view body);

/// The table-declared properties of an ARM pool, as DecodePoolProperties reads a CloudPool.
Decoded<model::PropValue> DecodeArmPoolProperties(std::string_view arm_pool);

/// The same for its start task (DecodeStartTaskProperties).
Decoded<model::PropValue> DecodeArmStartTaskProperties(std::string_view arm_pool);

}  // namespace pw::codec
