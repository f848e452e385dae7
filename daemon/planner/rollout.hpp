#pragma once

#include <optional>
#include <string>

#include "model/observed.hpp"
#include "model/plan.hpp"
#include "model/rollout.hpp"

/// The pure rules of a drainAndSwap rollout (updatePolicy), each table-tested.
namespace pw::planner {

/// What DeriveRolloutStep needs to know of one pool.
///
/// Thread safety: a value type.
struct RolloutFacts {
    bool drift = false;  ///< An empty-only property differs from the pool file.
    int targets = 0;     ///< targetDedicatedNodes + targetLowPriorityNodes.
    int current = 0;     ///< currentDedicatedNodes + currentLowPriorityNodes.
    bool steady = true;  ///< allocationState steady.
    int want = 0;        ///< The pool file's size.
    std::optional<model::RolloutMarker> marker;  ///< kRolloutKey of the pool, parsed.
    std::string target;                          ///< model::RolloutTarget of the pool file's spec.
};

/// The step a pool is at, from Azure alone (its properties, targets and marker), so that any
/// instance resumes where the last one stopped:
/// - a difference and targets > 0: Pending (not drained yet);
/// - a difference, targets 0: Swapping once steady and empty, else Draining;
/// - a difference though the marker says this very target was swapped: Halted (the swap did
///   not take; never drained again by itself);
/// - no difference, marker of this target: Swapped -> Regrowing until steady at the pool
///   file's size, then Gating; Done; Halted;
/// - otherwise Idle. Pure.
model::RolloutStatus::Step DeriveRolloutStep(const RolloutFacts& facts);

/// The health gate's verdict on a regrown pool.
struct GateVerdict {
    enum class Result { Wait, Pass, Fail };
    Result result = Result::Wait;
    std::string reason;  ///< The figures, for the marker, findings and status.
};

/// Judges `nodes` (nullptr: not read) of a pool regrown `elapsed` ago against `gate`: Fail as
/// soon as starttaskfailed + unusable nodes exceed maxStartTaskFailedPercent of the nodes;
/// Pass once no node is still starting and ready (idle, running) nodes reach minReadyPercent;
/// a pool with no node passes; Fail when `elapsed` reaches the gate's timeout first; else
/// Wait. Pure.
GateVerdict EvaluateHealthGate(const model::HealthGate& gate, const model::NodeCounts* nodes,
                               model::Seconds elapsed);

}  // namespace pw::planner
