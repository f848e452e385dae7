// Leader election (issue 18): three poolwarden instances against one simulator world and one
// Azurite (pinned, installed by scripts/install-azurite.sh) holding the lease blob over HTTPS
// with the simulator's storage tokens. Lease 15 s (Azure's shortest), renew every 5 s.
#include <gtest/gtest.h>

#include "leader_fixture.hpp"

namespace pw::e2e::leader_test {
namespace {

using namespace pw::e2e::leader;

constexpr double kFast = 600;
constexpr auto kLease = 15s;
constexpr auto kRenew = 5s;
/// Writes (seq > `after`) and their writers' prefixes, in log order.
std::vector<std::pair<long, std::string>> WritersAfter(E2E& e, long after) {
    std::vector<std::pair<long, std::string>> out;
    for (const auto& w : e.Writes())
        if (w.value("seq", 0L) > after) out.emplace_back(w.value("seq", 0L), PrefixOf(w));
    return out;
}

long LastSeq(E2E& e) {
    const Json all = Send(e.port(), "GET", "/_sim/requests").json();
    long seq = 0;
    for (const auto& r : all["requests"]) seq = std::max(seq, r.value("seq", 0L));
    return seq;
}

std::string PoolYamlSized(int dedicated) {
    return "pools:\n" + PoolYaml("render-linux", "renderbatch", dedicated, 1000);
}

TEST(LeaderElection, OneWriterFailoverPauseAndRelease) {
    E2E e(ExampleWorld(), kFast);
    Azurite az(e.dir());
    // The simulator's storage token (v1 issuer, aud https://storage.azure.com/) is accepted by
    // Azurite: the container the lease blob lives in is created with it.
    ASSERT_EQ(az.Put("/poolwarden?restype=container",
                     simtest::Token(e.port(), "https://storage.azure.com/.default")),
              201)
        << Slurp(e.dir() / "azurite.log");
    e.WritePoolFile("render.yaml", PoolYamlSized(2000));

    std::vector<Instance> all;
    for (const char* n : {"pw-a", "pw-b", "pw-c"}) all.push_back(StartInstance(e, az, n));
    for (auto& i : all) ASSERT_NE(i.port, 0) << i.proc->Log();
    for (auto& i : all) ASSERT_EQ(i.prefix.size(), 8u) << i.proc->Log();

    // Exactly one leads; the others plan, and say who leads.
    ASSERT_TRUE(E2E::WaitFor([&] { return Leaders(all).size() == 1; }, 20s));
    Instance* leader = Leaders(all)[0];
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            auto p = e.Pool("renderbatch", "render-linux");
            return E2E::Steady(p) && p["currentDedicatedNodes"] == 2000;
        },
        90s))
        << leader->proc->Log();
    for (const auto& [seq, prefix] : WritersAfter(e, 0))
        EXPECT_EQ(prefix, leader->prefix) << "write " << seq << " not from the leader";
    for (auto& i : all) {
        if (&i == leader) continue;
        auto s = i.Status();
        EXPECT_EQ(s["leaderElection"]["role"], "standby") << i.name;
        EXPECT_EQ(s["leaderElection"]["leader"], leader->name) << i.name;
        EXPECT_TRUE(s["leaderElection"].contains("since")) << i.name;
        EXPECT_TRUE(s.contains("lastCycle")) << i.name << " observes and plans";
        EXPECT_FALSE(s["pools"].empty()) << i.name;
    }
    const auto metrics = Send(leader->port, "GET", "/metrics").body;
    EXPECT_NE(metrics.find("poolwarden_leader 1"), std::string::npos);
    EXPECT_NE(metrics.find("poolwarden_lease_renew_duration_seconds_count"), std::string::npos);

    // SIGSTOP the leader for 2 x leaseDuration: another instance takes over and applies a new
    // size; once resumed, the old leader writes nothing (it checks the lease first).
    Instance* paused = leader;
    const long seq_stop = LastSeq(e);
    paused->paused = true;
    paused->proc->Signal(SIGSTOP);
    const auto t_stop = std::chrono::steady_clock::now();
    e.WritePoolFile("render.yaml", PoolYamlSized(2200));
    auto [second, pause_failover] = WaitNewLeader(all, paused, t_stop);
    ASSERT_NE(second, nullptr);
    std::printf("failover after SIGSTOP of the leader: %.1f s\n", pause_failover);
    EXPECT_LE(pause_failover, std::chrono::duration<double>(kLease + kRenew).count() + 1);
    std::this_thread::sleep_until(t_stop + 2 * kLease);
    paused->proc->Signal(SIGCONT);
    paused->paused = false;
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            auto p = e.Pool("renderbatch", "render-linux");
            return E2E::Steady(p) && p["currentDedicatedNodes"] == 2200;
        },
        60s));
    std::this_thread::sleep_for(kRenew + 1s);
    EXPECT_EQ(paused->Role(), "standby");
    EXPECT_EQ(paused->Status()["leaderElection"]["leader"], second->name);
    for (const auto& [seq, prefix] : WritersAfter(e, seq_stop))
        EXPECT_EQ(prefix, second->prefix) << "write " << seq << " after the pause";

    // kill -9 the leader: a standby leads within leaseDuration + renewEvery and converges the
    // next change, with no duplicate create.
    const long seq_kill = LastSeq(e);
    second->proc->Signal(SIGKILL);
    second->proc->Wait(5s);
    const auto t_kill = std::chrono::steady_clock::now();
    e.WritePoolFile("render.yaml", PoolYamlSized(2400));
    auto [third, kill_failover] = WaitNewLeader(all, second, t_kill);
    ASSERT_NE(third, nullptr);
    std::printf("failover after kill -9 of the leader: %.1f s\n", kill_failover);
    EXPECT_LE(kill_failover, std::chrono::duration<double>(kLease + kRenew).count() + 1);
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            auto p = e.Pool("renderbatch", "render-linux");
            return E2E::Steady(p) && p["currentDedicatedNodes"] == 2400;
        },
        60s))
        << third->proc->Log();
    for (const auto& [seq, prefix] : WritersAfter(e, seq_kill))
        EXPECT_EQ(prefix, third->prefix) << "write " << seq << " after the kill";
    EXPECT_EQ(E2E::CountWrites(e.Writes(), "POST", "/pools?"), 1) << "no duplicate creates";
    // Writers never interleave: once a new instance wrote, an earlier one never writes again.
    std::vector<std::string> writers;
    for (const auto& [seq, prefix] : WritersAfter(e, 0)) writers.push_back(prefix);
    EXPECT_EQ(FirstInterleavedWriter(writers), "") << "writers interleaved";

    // SIGTERM on the leader releases the lease: the other instance leads within a renew period.
    third->proc->Signal(SIGTERM);
    const auto t_term = std::chrono::steady_clock::now();
    EXPECT_EQ(third->proc->Wait(15s), 0) << third->proc->Log();
    auto [fourth, term_failover] = WaitNewLeader(all, third, t_term);
    ASSERT_NE(fourth, nullptr);
    std::printf("failover after SIGTERM of the leader: %.1f s\n", term_failover);
    EXPECT_LE(term_failover, std::chrono::duration<double>(kRenew).count() + 2);
    EXPECT_NE(third->proc->Log().find("lease released"), std::string::npos);

    // apply --once takes part in the election for its pass: beside a leader it writes nothing,
    // names the leader and exits 4; with no instance running it takes the lease, writes, and
    // releases it at the end.
    const auto cli_config = InstanceConfig(e, az, "pw-cli");
    auto apply_once = [&](const std::string& log) {
        const auto t0 = std::chrono::steady_clock::now();
        DaemonProcess p({"apply", "--once", "--config", cli_config.string()}, e.dir() / log);
        const int code = p.Wait(60s);
        std::printf("apply --once (%s): exit %d after %.1f s\n", log.c_str(), code,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        return std::pair{code, p.Log()};
    };
    const long seq_beside = LastSeq(e);
    e.WritePoolFile("render.yaml", PoolYamlSized(2600));
    auto [beside_code, beside_log] = apply_once("apply-beside.log");
    EXPECT_EQ(beside_code, 4) << beside_log;
    EXPECT_NE(beside_log.find(fourth->name + " holds the leader lease"), std::string::npos)
        << beside_log;
    const std::string beside_prefix = LoggedPrefix(beside_log);
    ASSERT_EQ(beside_prefix.size(), 8u) << beside_log;
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            auto p = e.Pool("renderbatch", "render-linux");
            return E2E::Steady(p) && p["currentDedicatedNodes"] == 2600;
        },
        60s))
        << fourth->proc->Log();
    for (const auto& [seq, prefix] : WritersAfter(e, seq_beside))
        EXPECT_EQ(prefix, fourth->prefix) << "write " << seq << " beside the leader";

    for (auto& i : all)
        if (i.proc->Running()) i.proc->Signal(SIGTERM);
    for (auto& i : all) i.proc->Wait(15s);
    const long seq_alone = LastSeq(e);
    e.WritePoolFile("render.yaml", PoolYamlSized(2800));
    auto [alone_code, alone_log] = apply_once("apply-alone.log");
    EXPECT_EQ(alone_code, 0) << alone_log;
    const std::string alone_prefix = LoggedPrefix(alone_log);
    const auto alone_writes = WritersAfter(e, seq_alone);
    EXPECT_FALSE(alone_writes.empty()) << alone_log;
    std::printf("apply --once with no instance running: %zu write(s)\n", alone_writes.size());
    for (const auto& [seq, prefix] : alone_writes)
        EXPECT_EQ(prefix, alone_prefix) << "write " << seq << " with no instance running";
    EXPECT_NE(alone_log.find("lease released"), std::string::npos) << alone_log;
}

// Azurite down for 60 s (not run by scripts/test.sh: -E LeaderElectionLong, for CI's time):
// the leader stops writing once its lease is no longer proven, nobody writes while the lease
// store is down, and one instance leads again when it is back.
TEST(LeaderElectionLong, LeaseStoreDownSixtySeconds) {
    E2E e(ExampleWorld(), kFast);
    Azurite az(e.dir());
    ASSERT_EQ(az.Put("/poolwarden?restype=container",
                     simtest::Token(e.port(), "https://storage.azure.com/.default")),
              201);
    e.WritePoolFile("render.yaml", PoolYamlSized(2000));
    std::vector<Instance> all;
    for (const char* n : {"pw-a", "pw-b"}) all.push_back(StartInstance(e, az, n));
    ASSERT_TRUE(E2E::WaitFor([&] { return Leaders(all).size() == 1; }, 20s));
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            auto p = e.Pool("renderbatch", "render-linux");
            return E2E::Steady(p) && p["currentDedicatedNodes"] == 2000;
        },
        90s));

    const long seq_down = LastSeq(e);
    az.Stop();
    const auto t_down = std::chrono::steady_clock::now();
    ASSERT_TRUE(E2E::WaitFor([&] { return Leaders(all).empty(); }, kLease + 2s));
    const double stepped_down =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_down).count();
    std::printf("leader stepped down %.1f s after the lease store stopped\n", stepped_down);
    EXPECT_LE(stepped_down, std::chrono::duration<double>(kLease).count());
    e.WritePoolFile("render.yaml", PoolYamlSized(2200));
    std::this_thread::sleep_until(t_down + 60s);
    EXPECT_TRUE(WritersAfter(e, seq_down).empty()) << "a write while nobody could prove a lease";

    ASSERT_TRUE(az.Restart());
    const auto t_up = std::chrono::steady_clock::now();
    ASSERT_TRUE(E2E::WaitFor([&] { return Leaders(all).size() == 1; }, kLease + kRenew + 2s));
    std::printf("a leader again %.1f s after the lease store returned\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t_up).count());
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            auto p = e.Pool("renderbatch", "render-linux");
            return E2E::Steady(p) && p["currentDedicatedNodes"] == 2200;
        },
        60s));
    const auto* leader = Leaders(all).at(0);
    for (const auto& [seq, prefix] : WritersAfter(e, seq_down))
        EXPECT_EQ(prefix, leader->prefix) << "write " << seq;
}

}  // namespace
}  // namespace pw::e2e::leader_test
