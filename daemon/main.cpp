#include <sys/prctl.h>

#include "cli/cli.hpp"

int main(int argc, char** argv) {
    // Not dumpable: no core file, and other processes of the same (dynamic) user cannot ptrace
    // it or read its memory, environment or file descriptors through /proc (tokens, secrets).
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    return pw::cli::Main(argc, argv);
}
