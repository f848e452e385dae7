// Leader election soak (issue 18, label soak, about 5.5 minutes; left out of scripts/test.sh, run
// it with ctest --preset ci -R LeaderElectionSoak): three poolwarden instances against one
// simulator world and one Azurite lease (15 s lease, renew every 5 s), the soak's chaos faults
// on, pool file changes (creates and resizes of four pools, one of 1500-3000 dedicated + 500
// low VMs) for 5 minutes while the current leader is killed with SIGKILL 10 times and started
// again. Then the faults stop: every pool must converge to its file, the request log must
// show exactly one create per pool and writer windows that never interleave.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "../e2e/leader_fixture.hpp"
#include "chaos_faults.hpp"

namespace pw::soak::leader_soak {
namespace {

using e2e::E2E;
using e2e::Json;
using e2e::leader::Azurite;
using e2e::leader::FirstInterleavedWriter;
using e2e::leader::Instance;
using e2e::leader::Leaders;
using e2e::leader::PrefixOf;
using e2e::leader::Slurp;
using e2e::leader::StartInstance;
using simtest::Send;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr double kTimeScale = 600;  // simulated seconds per real second
constexpr auto kLease = 15s;        // as leader_fixture.hpp's StartInstance configures
constexpr auto kRenew = 5s;
constexpr int kKills = 10;
constexpr auto kSoak = 300s;      // spec changes and kills, faults on
constexpr auto kKillEvery = 30s;  // kill k at 25 s + k x 30 s
constexpr auto kConverge = 180s;  // after the faults stop
constexpr std::uint32_t kSeed = 20261207;

struct PoolSpec {
    std::string id;
    int dedicated = 0;
    int low = 0;
    bool declared = false;
    bool large = false;
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

class LeaderSoak {
  public:
    LeaderSoak()
        : e_(e2e::ExampleWorld(), kTimeScale, {"renderbatch"},
             {"--request-log-limit", "2000000", "--seed", "11"}),
          az_(e_.dir()),
          rng_(kSeed) {
        pools_ = {{"soak-large", 2000, 500, true, true},
                  {"soak-a", 40, 0, true, false},
                  {"soak-b", 60, 0, false, false},
                  {"soak-c", 20, 10, false, false}};
        WritePools();
    }

    E2E& e() { return e_; }
    Azurite& az() { return az_; }
    std::vector<Instance>& all() { return all_; }
    std::vector<PoolSpec>& pools() { return pools_; }
    int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

    void WritePools() {
        std::string body = "pools:\n";
        for (const auto& p : pools_)
            if (p.declared) body += e2e::PoolYaml(p.id, "renderbatch", p.dedicated, p.low);
        e_.WritePoolFile("soak.yaml", body);
    }

    /// Starts instance `slot` (pw-a, pw-b, pw-c), a new incarnation each time: a new name,
    /// log file and lease id (so a new client request id prefix).
    void Start(std::size_t slot) {
        if (incarnation_.size() <= slot) incarnation_.resize(slot + 1, 0);
        const std::string name = std::string("pw-") + static_cast<char>('a' + slot) + "." +
                                 std::to_string(++incarnation_[slot]);
        Instance in = StartInstance(e_, az_, name);
        if (in.port == 0 || in.prefix.size() != 8)
            throw std::runtime_error(name + " did not start: " + in.proc->Log());
        names_[in.prefix] = name;
        if (all_.size() <= slot)
            all_.push_back(std::move(in));
        else
            all_[slot] = std::move(in);
        ++starts_;
    }

    /// Restarts instances that exited without being killed by the test (counted as crashes).
    void CheckAlive() {
        for (std::size_t i = 0; i < all_.size(); ++i)
            if (!all_[i].proc->Running()) {
                crashes_.push_back(all_[i].name + " exit " +
                                   std::to_string(all_[i].proc->Wait(0ms)));
                Start(i);
            }
    }

    /// One pool file change when due (every 3-7 s): resize a declared pool.
    void Tick() {
        if (Clock::now() < next_change_) return;
        next_change_ = Clock::now() + std::chrono::milliseconds(Uniform(3000, 7000));
        std::vector<PoolSpec*> declared;
        for (auto& p : pools_)
            if (p.declared) declared.push_back(&p);
        auto& p =
            *declared[static_cast<std::size_t>(Uniform(0, static_cast<int>(declared.size()) - 1))];
        p.dedicated = p.large ? Uniform(1500, 3000) : Uniform(0, 200);
        WritePools();
        ++spec_changes_;
    }

    /// Polls `pred` every 200 ms until true or `timeout`, making pool file changes meanwhile.
    bool WaitTicking(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
        const auto end = Clock::now() + timeout;
        while (Clock::now() < end) {
            if (pred()) return true;
            Tick();
            std::this_thread::sleep_for(200ms);
        }
        return pred();
    }

    /// The only instance reporting role leader, or null.
    Instance* TheLeader() {
        auto l = Leaders(all_);
        return l.size() == 1 ? l[0] : nullptr;
    }

    /// The simulator's latest request sequence number (reads only entries after `hint`).
    long LastSeq(long hint) {
        const Json r =
            Send(e_.port(), "GET", "/_sim/requests?since=" + std::to_string(hint)).json();
        long seq = hint;
        for (const auto& q : r["requests"]) seq = std::max(seq, q.value("seq", 0L));
        return seq;
    }

    /// Waits (<= 30 s) until the simulator answered a create of pool `id` with 201.
    bool WaitForCreate(const std::string& id, long since) {
        return WaitTicking(
            [&] {
                const Json r =
                    Send(e_.port(), "GET", "/_sim/requests?since=" + std::to_string(since)).json();
                for (const auto& q : r["requests"])
                    if (q["method"] == "POST" && q.value("status", 0) == 201 &&
                        q.value("path", std::string()).find("/pools?") != std::string::npos &&
                        q.value("body", std::string()).find("\"" + id + "\"") != std::string::npos)
                        return true;
                return false;
            },
            30s);
    }

    /// Every declared pool at its file's sizes and steady; else `why` says which is not.
    bool Converged(std::string* why) {
        for (const auto& s : pools_) {
            if (!s.declared) continue;
            const Json p = e_.Pool("renderbatch", s.id);
            if (p.is_null()) {
                *why = s.id + " missing";
                return false;
            }
            if (p["targetDedicatedNodes"] != s.dedicated || p["targetLowPriorityNodes"] != s.low ||
                !E2E::Steady(p)) {
                *why = s.id + " " + p.value("allocationState", std::string()) + " " +
                       std::to_string(p.value("currentDedicatedNodes", -1)) + "/" +
                       std::to_string(p.value("targetDedicatedNodes", -1)) + "+" +
                       std::to_string(p.value("targetLowPriorityNodes", -1)) + ", file " +
                       std::to_string(s.dedicated) + "+" + std::to_string(s.low);
                return false;
            }
        }
        return true;
    }

    std::map<std::string, std::string> names_;  ///< prefix -> incarnation name
    std::vector<std::string> crashes_;
    int starts_ = 0;
    int spec_changes_ = 0;

  private:
    E2E e_;
    Azurite az_;
    std::mt19937 rng_;
    std::vector<PoolSpec> pools_;
    std::vector<Instance> all_;
    std::vector<int> incarnation_;
    Clock::time_point next_change_ = Clock::now();
};

TEST(LeaderElectionSoak, TenLeaderKillsWithChaos) {
    const auto t_start = Clock::now();
    LeaderSoak soak;
    auto& e = soak.e();
    ASSERT_EQ(soak.az().Put("/poolwarden?restype=container",
                            simtest::Token(e.port(), "https://storage.azure.com/.default")),
              201)
        << Slurp(e.dir() / "azurite.log");
    for (std::size_t i = 0; i < 3; ++i) soak.Start(i);
    ASSERT_TRUE(E2E::WaitFor([&] { return soak.TheLeader() != nullptr; }, 30s));
    Send(e.port(), "PUT", "/_sim/faults", ChaosFaultRules().dump());

    // 10 kills of the current leader over 5 minutes; kills 3 and 6 come right after the
    // create of a newly declared pool was answered.
    std::vector<double> failovers;
    std::vector<std::string> killed;
    int after_create = 0;
    long seq_hint = 0;
    const auto t0 = Clock::now();
    for (int k = 0; k < kKills; ++k) {
        soak.WaitTicking([] { return false; },
                         std::chrono::duration_cast<std::chrono::milliseconds>(
                             t0 + 25s + k * kKillEvery - Clock::now()));
        soak.CheckAlive();
        if (k == 2 || k == 5) {
            auto& p = soak.pools()[k == 2 ? 2 : 3];
            seq_hint = soak.LastSeq(seq_hint);
            p.declared = true;
            soak.WritePools();
            if (soak.WaitForCreate(p.id, seq_hint)) ++after_create;
        }
        Instance* leader = nullptr;
        ASSERT_TRUE(soak.WaitTicking([&] { return (leader = soak.TheLeader()) != nullptr; }, 40s))
            << "no leader before kill " << k + 1;
        const std::string old_prefix = leader->prefix;
        const auto slot = static_cast<std::size_t>(leader - soak.all().data());
        killed.push_back(leader->name);
        leader->proc->Signal(SIGKILL);
        leader->proc->Wait(5s);
        const auto t_kill = Clock::now();
        Instance* next = nullptr;
        const bool took_over = soak.WaitTicking(
            [&] {
                next = soak.TheLeader();
                return next != nullptr && next->prefix != old_prefix;
            },
            40s);
        failovers.push_back(took_over ? Seconds(Clock::now() - t_kill) : -1);
        EXPECT_TRUE(took_over) << "no new leader 40 s after kill " << k + 1;
        soak.Start(slot);
    }
    soak.WaitTicking([] { return false; }, std::chrono::duration_cast<std::chrono::milliseconds>(
                                               t0 + kSoak - Clock::now()));
    for (auto& p : soak.pools())
        if (!p.declared) {
            p.declared = true;
            soak.WritePools();
        }
    soak.CheckAlive();
    const double soak_s = Seconds(Clock::now() - t0);

    // Faults off: every pool converges to its file.
    Send(e.port(), "DELETE", "/_sim/faults");
    const auto t_converge = Clock::now();
    std::string why;
    const bool converged = E2E::WaitFor([&] { return soak.Converged(&why); }, kConverge);
    const double converge_s = Seconds(Clock::now() - t_converge);
    EXPECT_TRUE(converged) << "not converged " << kConverge.count()
                           << " s after the faults stopped: " << why;

    // The request log: complete, one create per pool, writer windows never interleave.
    const Json raw = Send(e.port(), "GET", "/_sim/requests").json();
    ASSERT_FALSE(raw["requests"].empty());
    EXPECT_EQ(raw["requests"][0].value("seq", 0L), 1) << "request log truncated";
    std::map<std::string, int> creates;
    std::map<std::string, int> writes_by;
    std::vector<std::string> writers;
    std::vector<std::pair<std::string, int>> windows;
    int writes = 0;
    int accepted = 0;
    int faulted = 0;
    int resizes = 0;
    int create_attempts = 0;
    int foreign = 0;
    for (const auto& w : e.Writes()) {
        ++writes;
        const std::string prefix = PrefixOf(w);
        const std::string path = w.value("path", std::string());
        const int status = w.value("status", 0);
        if (w.contains("fault")) ++faulted;
        if (status >= 200 && status < 300) ++accepted;
        if (soak.names_.count(prefix) == 0) ++foreign;
        ++writes_by[prefix];
        writers.push_back(prefix);
        if (windows.empty() || windows.back().first != prefix) windows.emplace_back(prefix, 0);
        ++windows.back().second;
        if (w["method"] == "POST" && path.find("/pools?") != std::string::npos) {
            ++create_attempts;
            const Json body = Json::parse(w.value("body", std::string("{}")), nullptr, false);
            if (status == 201 && body.is_object()) ++creates[body.value("id", std::string())];
        }
        if (path.find("/resize") != std::string::npos) ++resizes;
    }
    const std::string interleaved = FirstInterleavedWriter(writers);
    int duplicates = 0;
    for (const auto& [id, n] : creates) duplicates += std::max(0, n - 1);
    for (const auto& p : soak.pools()) EXPECT_EQ(creates[p.id], 1) << "creates of " << p.id;

    std::vector<double> sorted = failovers;
    std::sort(sorted.begin(), sorted.end());
    const double total_s = Seconds(Clock::now() - t_start);
    std::printf("\n== poolwarden leader election soak (seed %u, time scale %.0fx) ==\n", kSeed,
                kTimeScale);
    std::printf("%-44s %12s\n", "figure", "value");
    std::printf("%-44s %12zu\n", "leader kills (SIGKILL)", killed.size());
    std::printf("%-44s %12d\n", "  of which right after a pool create", after_create);
    std::printf("%-44s %12.1f\n", "failover min (s)", sorted.empty() ? -1 : sorted.front());
    std::printf("%-44s %12.1f\n", "failover median (s)",
                sorted.empty() ? -1 : sorted[sorted.size() / 2]);
    std::printf("%-44s %12.1f\n", "failover max (s)", sorted.empty() ? -1 : sorted.back());
    std::printf("%-44s", "failovers (s)");
    for (double f : failovers) std::printf(" %.1f", f);
    std::printf("\n%-44s %12d\n", "instance starts", soak.starts_);
    std::printf("%-44s %12zu\n", "crashes (unexpected exits)", soak.crashes_.size());
    std::printf("%-44s %12d\n", "pool file changes", soak.spec_changes_);
    std::printf("%-44s %12zu\n", "requests logged", raw["requests"].size());
    std::printf("%-44s %12d\n", "writes (POST/PUT/PATCH/DELETE)", writes);
    std::printf("%-44s %12d\n", "  accepted (2xx)", accepted);
    std::printf("%-44s %12d\n", "  faulted", faulted);
    std::printf("%-44s %12d\n", "  without a known instance prefix", foreign);
    std::printf("%-44s %12d\n", "resizes", resizes);
    std::printf("%-44s %12d\n", "create attempts", create_attempts);
    std::printf("%-44s %12zu\n", "pools created", creates.size());
    std::printf("%-44s %12d\n", "duplicate creates", duplicates);
    std::printf("%-44s %12zu\n", "writer windows", windows.size());
    std::printf("%-44s %12s\n", "overlapping (interleaved) writer windows",
                interleaved.empty() ? "0" : ("1+ (" + interleaved + ")").c_str());
    std::printf("%-44s", "windows (instance:writes)");
    for (const auto& [prefix, n] : windows)
        std::printf(" %s:%d", soak.names_.count(prefix) ? soak.names_[prefix].c_str() : "?", n);
    std::printf("\n%-44s %12s\n", "converged after faults stopped", converged ? "yes" : "NO");
    std::printf("%-44s %12.1f\n", "  convergence time (s)", converge_s);
    std::printf("%-44s %12.1f\n", "kill phase (s)", soak_s);
    std::printf("%-44s %12.1f\n", "test duration (s)", total_s);
    std::fflush(stdout);

    EXPECT_EQ(killed.size(), static_cast<std::size_t>(kKills));
    for (double f : failovers) {
        EXPECT_GE(f, 0);
        EXPECT_LE(f, Seconds(kLease + kRenew) + 1) << "failover beyond leaseDuration + renewEvery";
    }
    EXPECT_EQ(duplicates, 0);
    EXPECT_EQ(foreign, 0) << "writes from no known instance";
    EXPECT_EQ(interleaved, "") << "writer windows overlap: " << interleaved << " ("
                               << soak.names_[interleaved] << ") wrote again after a later writer";
    EXPECT_TRUE(soak.crashes_.empty())
        << (soak.crashes_.empty() ? std::string() : soak.crashes_.front());
    EXPECT_GE(windows.size(), static_cast<std::size_t>(kKills / 2))
        << "leadership must have moved between instances";
}

}  // namespace
}  // namespace pw::soak::leader_soak
