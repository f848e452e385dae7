// Reloads end to end: SIGHUP, poolsDir changes and swaps, accounts, clients, listen address and
// concurrency changed in place or rejected whole.
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace pw::e2e::reload_test {
namespace {

TEST(E2E, SighupAndPoolsDirChangesReload) {
    E2E e(ExampleWorld(), kFast);
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 100));
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "a")); }, kConverge))
        << d.Log();

    // A new file is picked up through inotify alone.
    e.WritePoolFile("b.yaml", "pools:\n" + PoolYaml("b", "renderbatch", 50));
    ASSERT_TRUE(E2E::WaitFor([&] { return !e.Pool("renderbatch", "b").is_null(); }, 30s))
        << d.Log();

    // A broken daemon file is rejected on SIGHUP: the running config stays.
    auto daemon_file = e.dir() / "poolwarden.yaml";
    std::string good;
    {
        std::ifstream in(daemon_file);
        good.assign(std::istreambuf_iterator<char>(in), {});
    }
    std::ofstream(daemon_file) << good << "unknownTopLevel: 1\n";
    d.Signal(SIGHUP);
    ASSERT_TRUE(E2E::WaitFor(
        [&] { return d.Log().find("daemon file rejected") != std::string::npos; }, 10s))
        << d.Log();
    EXPECT_TRUE(d.Running());

    // Fixed daemon file + a changed pool size, then SIGHUP: the resize happens.
    std::ofstream(daemon_file) << good;
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 200));
    d.Signal(SIGHUP);
    ASSERT_TRUE(e.WaitForSteadySize("renderbatch", "a", 200, kConverge)) << d.Log();
    EXPECT_EQ(d.Stop(), 0);
}

TEST(E2E, PoolsDirSwappedUnderItsNameIsStillWatched) {
    E2E e(ExampleWorld(), kFast);
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 100));
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "a")); }, kConverge))
        << d.Log();

    // Configuration management replaces the whole directory: a new one renamed over the name.
    const auto pools = e.dir() / "pools.d";
    std::filesystem::create_directories(e.dir() / "pools.d.new");
    std::ofstream(e.dir() / "pools.d.new" / "a.yaml")
        << "pools:\n" + PoolYaml("a", "renderbatch", 100);
    std::filesystem::rename(pools, e.dir() / "pools.d.old");
    std::filesystem::rename(e.dir() / "pools.d.new", pools);
    std::this_thread::sleep_for(1s);

    // No SIGHUP: a file written into the new directory is picked up through inotify.
    e.WritePoolFile("b.yaml", "pools:\n" + PoolYaml("b", "renderbatch", 50));
    ASSERT_TRUE(E2E::WaitFor([&] { return !e.Pool("renderbatch", "b").is_null(); }, 30s))
        << d.Log();

    // And again after `rm -rf` and a new directory made under the same name.
    std::filesystem::remove_all(pools);
    std::filesystem::create_directories(pools);
    std::this_thread::sleep_for(1s);
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 200));
    ASSERT_TRUE(e.WaitForSteadySize("renderbatch", "a", 200, kConverge)) << d.Log();
    EXPECT_EQ(d.Stop(), 0);
}

TEST(E2E, ReloadPointingAnAccountNameElsewhereWritesToTheNewAccount) {
    auto world = ExampleWorld();
    AddWorldAccount(world, "otherbatch", world["batchAccounts"][0]["location"]);
    E2E e(world, kFast);
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 100));
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "a")); }, kConverge))
        << d.Log();

    // The same local name now means another account (its account cache entry is an hour old
    // at most): the next passes read and write that one.
    const auto file = e.dir() / "poolwarden.yaml";
    auto text = ReadFile(file);
    const std::string from = "accountName: renderbatch";
    ASSERT_NE(text.find(from), std::string::npos) << text;
    text.replace(text.find(from), from.size(), "accountName: otherbatch");
    std::ofstream(file) << text;
    d.Signal(SIGHUP);
    ASSERT_TRUE(E2E::WaitFor([&] { return E2E::Steady(e.Pool("otherbatch", "a")); }, kConverge))
        << d.Log();
    EXPECT_EQ(e.Pool("renderbatch", "a")["targetDedicatedNodes"], 100) << "the old one is left";
    EXPECT_EQ(d.Stop(), 0);
}

TEST(E2E, ReloadAppliesAuthListenAndConcurrencyOrIsRejectedWhole) {
    E2E e(ExampleWorld(), kFast);
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 100));
    auto& d = e.Start();
    const auto first_port = ListeningPort(d);
    ASSERT_NE(first_port, 0) << d.Log();
    ASSERT_TRUE(E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "a")); }, kConverge))
        << d.Log();
    EXPECT_EQ(TokenRequests(e, "imds"), 0);

    // One reload: managed identity instead of the client secret, another listen address,
    // another concurrency, and a bigger pool.
    std::uint16_t new_port = 0;
    {
        HeldPort free;
        new_port = free.port();
    }
    const auto file = e.dir() / "poolwarden.yaml";
    auto daemon_file = [&](std::uint16_t listen) {
        return DaemonYaml(e.port(), {"renderbatch"},
                          "reconcile:\n  interval: 1s\n  concurrency: 2\npoolsDir: pools.d\n"
                          "listen: 127.0.0.1:" +
                              std::to_string(listen) +
                              "\nleaderElection:\n  enabled: true\n  blobUrl: "
                              "http://127.0.0.1:9/poolwarden/leader\n",
                          "  method: managedIdentity\n");
    };
    std::ofstream(file) << daemon_file(new_port);
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 200));
    d.Signal(SIGHUP);
    ASSERT_TRUE(E2E::WaitFor([&] { return TryGet(new_port, "/healthz") == 200; }, 15s)) << d.Log();
    EXPECT_EQ(TryGet(first_port, "/healthz"), 0) << "the old listener is closed";
    ASSERT_TRUE(e.WaitForSteadySize("renderbatch", "a", 200, kConverge)) << d.Log();
    EXPECT_GT(TokenRequests(e, "imds"), 0) << "new clients fetch their tokens from IMDS";
    const std::string log = d.Log();
    EXPECT_NE(log.find("clients (auth, cloud, tls)"), std::string::npos) << log;
    EXPECT_NE(log.find("concurrency 2"), std::string::npos) << log;
    // leaderElection is read at start only: the reload says so, and the process goes on
    // writing without an election (the pool reached 200 above).
    EXPECT_NE(log.find("leaderElection changed in the daemon file; it applies at the next start"),
              std::string::npos)
        << log;

    // A reload that cannot be applied (its listen port is taken) is rejected whole: the pool
    // change in it is not applied, the listener in force keeps serving and /status says why.
    HeldPort taken;
    taken.acceptor.listen();
    std::ofstream(file) << daemon_file(taken.port());
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 300));
    d.Signal(SIGHUP);
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            auto s = Send(new_port, "GET", "/status").json();
            return s.value("configError", std::string()).find(std::to_string(taken.port())) !=
                   std::string::npos;
        },
        15s))
        << Send(new_port, "GET", "/status").body << d.Log();
    std::this_thread::sleep_for(3s);  // several passes
    EXPECT_EQ(e.Pool("renderbatch", "a")["targetDedicatedNodes"], 200) << d.Log();
    EXPECT_EQ(TryGet(new_port, "/healthz"), 200);
    EXPECT_EQ(LastListeningPort(d), new_port);
    EXPECT_EQ(d.Stop(), 0);
}

}  // namespace
}  // namespace pw::e2e::reload_test
