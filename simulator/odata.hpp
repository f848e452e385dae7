#pragma once

#include <optional>
#include <string>

#include "internal.hpp"

namespace pw::sim {

// The Batch list and get query options the simulator supports, applied to an entity's JSON.
// Both are pure functions: safe from any thread.

/// `$select`: only the named members (and `odata.metadata`); all of them when `select` is empty.
Json ODataSelect(const Json& j, const std::string& select);

/// `$filter`, the subset Batch clients send for pools: clauses joined by "and", each
/// `prop eq 'v'`, `prop ne 'v'` (case-insensitive) or `startswith(prop,'v')`. nullopt when the
/// filter is outside that subset.
std::optional<bool> ODataFilter(const Json& j, const std::string& filter);

}  // namespace pw::sim
