// Shutdown while a write is stalled: the grace period expires with the request suspended, and
// the daemon must still exit cleanly. scripts/test.sh also runs this against the daemon built
// with ASan: tearing down the suspended request must not touch freed memory.
#include <gtest/gtest.h>

#include "e2e_fixture.hpp"

namespace pw::e2e {
namespace {

bool StalledCreateSeen(E2E& e) {
    const Json all = Send(e.port(), "GET", "/_sim/requests").json();
    for (const auto& r : all["requests"]) {
        const std::string path = r.value("path", std::string());
        if (r.value("method", std::string()) == "POST" &&
            path.find("/pools") != std::string::npos &&
            r.value("fault", std::string()).find("stall") != std::string::npos)
            return true;
    }
    return false;
}

TEST(E2EShutdown, GraceExpiringDuringAStalledWriteExitsCleanly) {
    E2E e(ExampleWorld(), 600);
    // Batch accepts the pool create and never answers.
    auto r =
        Send(e.port(), "PUT", "/_sim/faults",
             R"({"rules":[{"method":"POST","path":"/pools","action":"stall","stallMs":120000}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 100));
    auto& d = e.Start("run", {"--shutdown-grace", "1"});
    ASSERT_TRUE(E2E::WaitFor([&] { return StalledCreateSeen(e); }, 30s)) << d.Log();

    d.Signal(SIGTERM);
    const int status = d.Wait(30s);
    const std::string log = d.Log();
    EXPECT_EQ(status, 0) << log;
    EXPECT_NE(log.find("shutdown grace expired"), std::string::npos) << log;
    EXPECT_EQ(log.find("Sanitizer"), std::string::npos) << log;
}

}  // namespace
}  // namespace pw::e2e
