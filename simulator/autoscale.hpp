#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

/// The subset of Batch autoscale formulas the simulator evaluates.
namespace pw::sim {

/// Outcome of one formula evaluation (Batch's AutoScaleRun).
struct AutoScaleOutcome {
    std::optional<double> target_dedicated;
    std::optional<double> target_low;
    std::string deallocation = "requeue";
    std::string results;  ///< "$TargetDedicatedNodes=3;$NodeDeallocationOption=requeue"
    std::string error;    ///< empty on success
};

/// Evaluates statements `name = expr;` where expr uses numbers, + - * /, parentheses,
/// min/max/floor/ceil/abs, earlier variables and the read-only inputs in `inputs`
/// (e.g. $CurrentDedicatedNodes). $TargetDedicated is an alias of $TargetDedicatedNodes.
AutoScaleOutcome EvaluateAutoScale(std::string_view formula,
                                   const std::map<std::string, double>& inputs);

}  // namespace pw::sim
