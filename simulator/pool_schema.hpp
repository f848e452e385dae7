#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace pw::sim {

/// Why Batch refuses a Pool-Add body: `MissingRequiredProperty` or `InvalidPropertyValue`,
/// with the property's path in the body (e.g. `virtualMachineConfiguration.dataDisks[0].lun`).
struct PoolBodyProblem {
    std::string code;
    std::string property;
    std::string reason;
};

/// Checks a Pool-Add body against the pool model of Batch's data-plane spec (pool_schema.json,
/// generated from 2025-06-01.21.0 BatchService.json by scripts/gen-sim-pool-schema.py): member
/// types, enums (case-insensitive), required members, and the ranges and limits the spec states
/// in prose. Members the model does not define are ignored (guess: Batch's handling of unknown
/// members is not documented). Returns the first problem, or nothing.
///
/// Thread safety: reentrant.
std::optional<PoolBodyProblem> CheckPoolBody(const nlohmann::json& body);

/// Checks the members of a pool PATCH body (BatchPoolUpdateOptions shares the Pool-Add member
/// shapes) the same way, without requiring the Pool-Add body's required members.
///
/// Thread safety: reentrant.
std::optional<PoolBodyProblem> CheckPoolPatchMembers(const nlohmann::json& body);

/// The pool as GET returns it: secret members (the spec's `format: password` ones and
/// extensions' protectedSettings) removed, and Batch's documented server defaults filled where
/// the body left them out.
///
/// Thread safety: reentrant.
nlohmann::json PoolForGet(nlohmann::json pool);

}  // namespace pw::sim
