#include "cli/commands.hpp"

namespace pw::cli {

void AddPlanCommand(CLI::App&, int&) {}

}  // namespace pw::cli
