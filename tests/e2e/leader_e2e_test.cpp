// Leader election (issue 18): three poolwarden instances against one simulator world and one
// Azurite (pinned, installed by scripts/install-azurite.sh) holding the lease blob over HTTPS
// with the simulator's storage tokens. Lease 15 s (Azure's shortest), renew every 5 s.
#include <gtest/gtest.h>
#include <spawn.h>

#include <cstdio>

#include "e2e_fixture.hpp"

namespace pw::e2e::leader_test {
namespace {

constexpr double kFast = 600;
constexpr auto kLease = 15s;
constexpr auto kRenew = 5s;
namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), {}};
}

/// Output of a shell command (test setup only: openssl, curl).
std::string Shell(const std::string& cmd) {
    std::string out;
    FILE* f = popen(cmd.c_str(), "r");
    if (!f) return out;
    char buf[4096];
    while (auto n = fread(buf, 1, sizeof buf, f)) out.append(buf, n);
    pclose(f);
    return out;
}

fs::path AzuriteBlob() {
    if (const char* p = getenv("PW_AZURITE_PREFIX"))
        return fs::path(p) / "node_modules/.bin/azurite-blob";
    const char* cache = getenv("XDG_CACHE_HOME");
    fs::path base =
        cache ? fs::path(cache) : fs::path(getenv("HOME") ? getenv("HOME") : "/") / ".cache";
    return base / "poolwarden/azurite-3.37.0/node_modules/.bin/azurite-blob";
}

/// azurite-blob on a free loopback port, HTTPS with a self-signed certificate and
/// `--oauth basic` (Bearer tokens need both, ../shared/azurite-facts.md). Stopped with the object.
class Azurite {
  public:
    explicit Azurite(const fs::path& dir) : dir_(dir) {
        const auto bin = AzuriteBlob();
        if (!fs::exists(bin))
            throw std::runtime_error(bin.string() + " missing: run scripts/install-azurite.sh");
        Shell(
            "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext "
            "subjectAltName=IP:127.0.0.1,DNS:localhost -addext "
            "basicConstraints=critical,CA:TRUE -keyout '" +
            (dir / "azurite-key.pem").string() + "' -out '" + (dir / "azurite-cert.pem").string() +
            "' 2>/dev/null");
        for (int attempt = 0; attempt < 3 && port_ == 0; ++attempt) {
            const int port = FreePort();
            if (Spawn(port)) port_ = port;
        }
        if (port_ == 0)
            throw std::runtime_error("azurite did not start: " + Slurp(dir / "azurite.log"));
    }
    ~Azurite() { Stop(); }
    Azurite(const Azurite&) = delete;
    Azurite& operator=(const Azurite&) = delete;

    int port() const { return port_; }
    fs::path cert() const { return dir_ / "azurite-cert.pem"; }
    std::string url(const std::string& path) const {
        return "https://127.0.0.1:" + std::to_string(port_) + "/devstoreaccount1" + path;
    }
    /// `curl` over HTTPS with a bearer token; returns the HTTP status.
    int Put(const std::string& path, const std::string& token) const {
        auto out =
            Shell("curl -s -o /dev/null -w '%{http_code}' --cacert '" + cert().string() +
                  "' -X PUT -H 'Authorization: Bearer " + token +
                  "' -H 'x-ms-version: 2023-11-03' -H 'Content-Length: 0' '" + url(path) + "'");
        return std::atoi(out.c_str());
    }

    /// Stops Azurite and starts it again on the same port and folder (its leases are lost,
    /// azurite-facts.md); false when it did not come back.
    bool Restart() {
        Stop();
        return Spawn(port_);
    }
    void Stop() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }

  private:
    bool Spawn(int port) {
        const auto bin = AzuriteBlob();
        std::vector<std::string> args = {bin.string(),
                                         "--blobHost",
                                         "127.0.0.1",
                                         "--blobPort",
                                         std::to_string(port),
                                         "--location",
                                         (dir_ / "azurite").string(),
                                         "--disableTelemetry",
                                         "--skipApiVersionCheck",
                                         "--loose",
                                         "--oauth",
                                         "basic",
                                         "--cert",
                                         (dir_ / "azurite-cert.pem").string(),
                                         "--key",
                                         (dir_ / "azurite-key.pem").string()};
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        const auto log = (dir_ / "azurite.log").string();
        posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&fa);
        if (pid_ <= 0) throw std::runtime_error("cannot start azurite-blob");
        if (E2E::WaitFor(
                [&] { return Slurp(log).find("successfully listens") != std::string::npos; }, 20s))
            return true;
        Stop();
        return false;
    }
    static int FreePort() {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        close(fd);
        return ntohs(a.sin_port);
    }
    fs::path dir_;
    pid_t pid_ = -1;
    int port_ = 0;
};

/// One poolwarden instance with leaderElection on.
struct Instance {
    std::string name;
    std::unique_ptr<DaemonProcess> proc;
    std::uint16_t port = 0;
    std::string prefix;   ///< Its client request ids' first 8 hex digits.
    bool paused = false;  ///< SIGSTOPped: its endpoints would not answer.

    Json Status() const {
        try {
            return Send(port, "GET", "/status").json();
        } catch (...) {
            return Json();
        }
    }
    std::string Role() const {
        auto s = Status();
        if (!s.is_object() || !s.contains("leaderElection")) return "";
        return s["leaderElection"].value("role", "");
    }
};

Instance StartInstance(E2E& e, const Azurite& az, const std::string& name) {
    Instance in;
    in.name = name;
    const auto file = e.dir() / (name + ".yaml");
    std::ofstream(file) << DaemonYaml(
        e.port(), {"renderbatch"},
        "reconcile:\n  interval: 1s\n  concurrency: 4\npoolsDir: pools.d\nlisten: 127.0.0.1:0\n"
        "tls:\n  caFile: " +
            az.cert().string() +
            "\nleaderElection:\n  enabled: true\n  blobUrl: " + az.url("/poolwarden/leader") +
            "\n  leaseDuration: 15s\n  renewEvery: 5s\n  identity: " + name + "\n");
    in.proc = std::make_unique<DaemonProcess>(
        std::vector<std::string>{"run", "--config", file.string()}, e.dir() / (name + ".log"));
    in.port = ListeningPort(*in.proc);
    static const std::regex re(R"(client request ids ([0-9a-f]{8})-)");
    E2E::WaitFor(
        [&] {
            std::smatch m;
            const auto log = in.proc->Log();
            if (!std::regex_search(log, m, re)) return false;
            in.prefix = m[1];
            return true;
        },
        10s);
    return in;
}

/// The instances reporting role leader.
std::vector<Instance*> Leaders(std::vector<Instance>& all) {
    std::vector<Instance*> out;
    for (auto& i : all)
        if (!i.paused && i.proc->Running() && i.Role() == "leader") out.push_back(&i);
    return out;
}

std::string PrefixOf(const Json& request) {
    return request.value("clientRequestId", std::string()).substr(0, 8);
}

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

/// Waits until one instance other than `not_this` leads; returns it (or null) and the wait.
std::pair<Instance*, double> WaitNewLeader(std::vector<Instance>& all, const Instance* not_this,
                                           std::chrono::steady_clock::time_point since) {
    Instance* found = nullptr;
    E2E::WaitFor(
        [&] {
            for (auto* l : Leaders(all))
                if (l != not_this) found = l;
            return found != nullptr;
        },
        40s);
    return {found, std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count()};
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
    std::vector<std::string> order;
    for (const auto& [seq, prefix] : WritersAfter(e, 0))
        if (order.empty() || order.back() != prefix) order.push_back(prefix);
    std::set<std::string> distinct(order.begin(), order.end());
    EXPECT_EQ(order.size(), distinct.size()) << "writers interleaved";

    // SIGTERM on the leader releases the lease: the other instance leads within a renew period.
    third->proc->Signal(SIGTERM);
    const auto t_term = std::chrono::steady_clock::now();
    EXPECT_EQ(third->proc->Wait(15s), 0) << third->proc->Log();
    auto [fourth, term_failover] = WaitNewLeader(all, third, t_term);
    ASSERT_NE(fourth, nullptr);
    std::printf("failover after SIGTERM of the leader: %.1f s\n", term_failover);
    EXPECT_LE(term_failover, std::chrono::duration<double>(kRenew).count() + 2);
    EXPECT_NE(third->proc->Log().find("lease released"), std::string::npos);
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
