#include "planner/rollout.hpp"

namespace pw::planner {

model::RolloutStatus::Step DeriveRolloutStep(const RolloutFacts& f) {
    using Step = model::RolloutStatus::Step;
    const bool ours = f.marker && f.marker->target == f.target;
    if (f.drift) {
        if (ours) return Step::Halted;
        if (f.targets > 0) return Step::Pending;
        return f.steady && f.current == 0 ? Step::Swapping : Step::Draining;
    }
    if (!ours) return Step::Idle;
    switch (f.marker->step) {
        case model::RolloutMarker::Step::Done:
            return Step::Done;
        case model::RolloutMarker::Step::Halted:
            return Step::Halted;
        case model::RolloutMarker::Step::Swapped:
            break;
    }
    if (!f.steady || f.targets != f.want || f.current != f.want) return Step::Regrowing;
    return Step::Gating;
}

GateVerdict EvaluateHealthGate(const model::HealthGate& gate, const model::NodeCounts* nodes,
                               model::Seconds elapsed) {
    using R = GateVerdict::Result;
    const bool timed_out = elapsed >= gate.timeout;
    if (!nodes) {
        if (timed_out)
            return {R::Fail, "the node list could not be read within the gate's timeout (" +
                                 model::FormatShortDuration(gate.timeout) + ")"};
        return {R::Wait, "the node list is not read yet"};
    }
    if (nodes->total == 0) return {R::Pass, "the pool has no node"};
    const int failed = nodes->start_task_failed + nodes->unusable;
    const auto pct = [&](int n) { return n * 100.0 / nodes->total; };
    const std::string figures = std::to_string(nodes->ready) + " of " +
                                std::to_string(nodes->total) + " nodes ready, " +
                                std::to_string(nodes->start_task_failed) + " starttaskfailed, " +
                                std::to_string(nodes->unusable) + " unusable";
    if (pct(failed) > gate.max_start_task_failed_percent)
        return {R::Fail, figures + " (more than " +
                             std::to_string(gate.max_start_task_failed_percent) +
                             "% failed, the gate's maxStartTaskFailedPercent)"};
    if (nodes->starting == 0 && pct(nodes->ready) >= gate.min_ready_percent)
        return {R::Pass, figures};
    if (timed_out)
        return {R::Fail, figures + " after the gate's timeout (" +
                             model::FormatShortDuration(gate.timeout) + "; minReadyPercent " +
                             std::to_string(gate.min_ready_percent) + ")"};
    return {R::Wait, figures};
}

}  // namespace pw::planner
