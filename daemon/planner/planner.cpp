#include "planner/planner.hpp"

namespace pw::planner {

model::Plan MakePlan(const model::DesiredState&, const model::ObservedState&,
                     std::chrono::system_clock::time_point) {
    return {};
}

}  // namespace pw::planner
