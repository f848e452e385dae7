#pragma once

#include <string>

#include "model/desired.hpp"

namespace pw::model {

/// A stable hash of everything in a spec that shapes the pool (not its source file or line):
/// 16 lower-case hex digits. Same spec, same hash, across runs and machines. Written under
/// kSpecHashKey. Pure.
std::string SpecHash(const PoolSpec& spec);

/// A stable hash of what a pool's nodes are built from and Batch changes only while the pool is
/// empty (vmSize, image, nodeAgentSkuId, taskSlotsPerNode, the EmptyOnly table properties and
/// their secret files): the target a rollout (RolloutMarker::target) swaps to. Pure.
std::string RolloutTarget(const PoolSpec& spec);

}  // namespace pw::model
