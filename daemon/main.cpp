#include "cli/cli.hpp"

int main(int argc, char** argv) { return pw::cli::Main(argc, argv); }
