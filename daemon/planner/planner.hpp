#pragma once

#include <chrono>

#include "model/desired.hpp"
#include "model/observed.hpp"
#include "model/plan.hpp"

namespace pw::planner {

/// Computes the plan: what to write so that Azure matches `desired`. Pure: no I/O, clock or
/// logging; same inputs give the same plan; desired == observed gives an empty plan.
model::Plan MakePlan(const model::DesiredState& desired, const model::ObservedState& observed,
                     std::chrono::system_clock::time_point now);

}  // namespace pw::planner
