#pragma once

namespace pw::cli {

/// Parses argv and runs the chosen verb (validate, plan, version, ...). Returns the exit code.
int Main(int argc, char** argv);

}  // namespace pw::cli
