#pragma once

#include <string>

#include "model/plan.hpp"

namespace pw::codec {

/// The plan as the stable JSON document `poolwarden plan --output json` prints (and later
/// status endpoints reuse):
/// `{"actions": [{"kind", "account", "pool", "imageVersion", "region", "from", "to",
/// "resizeTimeout": "PT45M", "targetDedicatedNodes", "targetLowPriorityNodes", "reason"}],
/// "findings": [{"severity", "code", "pool", "message"}], "requeueAfterSeconds": N}`.
/// Members that do not apply (empty or absent) are left out. Pure.
std::string PlanToJson(const model::Plan& plan, int indent = 2);

}  // namespace pw::codec
