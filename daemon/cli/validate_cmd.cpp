#include "cli/commands.hpp"

namespace pw::cli {

void AddValidateCommand(CLI::App&, int&) {}

}  // namespace pw::cli
