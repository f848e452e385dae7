#pragma once

// Internal to pw_metrics: the compact per-pool rows the pool families are written from, and
// the position of a text exposition (shared by metrics.cpp, which builds them, and
// exposition.cpp, which writes the text).

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "metrics/metrics.hpp"

namespace prometheus {
class Collectable;
}

namespace pw::metrics {
namespace detail {

inline const std::vector<std::string> kAllocationStates = {"steady", "resizing", "stopping"};
inline const std::vector<std::string> kConditions = {"Ready", "Progressing", "Degraded"};

/// A pool family's name and help text.
///
/// Thread safety: constant.
struct FamilyInfo {
    const char* name;
    const char* help;
};

inline const FamilyInfo kPoolNodes = {
    "poolwarden_pool_nodes",
    "Pool node counts by pool, kind (dedicated, lowPriority) and state (desired: the pool "
    "file's fixed size; target and current: as Batch reports them)."};
inline const FamilyInfo kAllocation = {
    "poolwarden_pool_allocation_state",
    "1 for the pool's current allocation state (steady, resizing, stopping)."};
inline const FamilyInfo kConditionFamily = {
    "poolwarden_pool_condition",
    "Pool conditions (Ready, Progressing, Degraded): 1 when the condition is True, 0 when "
    "False."};
inline const FamilyInfo kResizeErrors = {"poolwarden_pool_resize_errors",
                                         "Resize errors of the pool's last resize, by code."};
inline constexpr std::array<const FamilyInfo*, 4> kPoolFamilies = {
    &kPoolNodes, &kAllocation, &kConditionFamily, &kResizeErrors};

/// One pool's gauges, kept compact: at 10 000 pools these rows are the whole per-pool state.
///
/// Thread safety: a value type; published rows are shared read-only.
struct PoolRow {
    std::string account;
    std::string pool;
    std::array<int, 4> nodes{};  ///< target dedicated, target low, current dedicated, current low
    std::optional<int> desired_dedicated;
    std::optional<int> desired_low_priority;
    int allocation = -1;               ///< Index into kAllocationStates; -1: none of them.
    std::array<bool, 3> conditions{};  ///< By kConditions.
    std::vector<std::pair<std::string, int>> resize_errors;
};
using PoolRows = std::vector<PoolRow>;

}  // namespace detail

/// The position of an Exposition: the registry's families one at a time, then the pool
/// families a block of rows at a time.
///
/// Thread safety: owned by one Exposition, used by one thread.
struct Metrics::Exposition::State {
    std::vector<const prometheus::Collectable*> families;
    std::shared_ptr<const detail::PoolRows> pools;
    std::size_t piece_size = 0;
    std::size_t family = 0;       ///< Next registry family, then kPoolFamilies after them.
    std::size_t row = 0;          ///< Next row of the current pool family.
    bool header_written = false;  ///< The current pool family's HELP and TYPE are out.
};

}  // namespace pw::metrics
