// Image rollouts end to end (issue 14): a group of three pools moved from render 1.4.0 to 2.0.0
// by updatePolicy drainAndSwap against poolwarden-sim, asserted from the simulator's request log.
#include <gtest/gtest.h>

#include <csignal>
#include <ctime>

#include "e2e_fixture.hpp"

namespace pw::e2e {
namespace rollout {

constexpr double kRolloutSpeed = 600;  // simulated seconds per real second
constexpr auto kRolloutWait = 60s;
const std::vector<std::string> kPools = {"canary", "a-pool", "b-pool"};
const std::string kRender200 = kGallery + "render/versions/2.0.0";

Json BodyOf(const Json& request) {
    return Json::parse(request.value("body", std::string("{}")), nullptr, false);
}

std::string PathOf(const Json& request) { return request.value("path", std::string()); }

bool Is(const Json& w, const std::string& method, const std::string& part) {
    return w.value("method", "") == method && PathOf(w).find(part) != std::string::npos;
}

/// The example world with render/2.0.0 published (1 replica in East US, Completed).
Json RolloutWorld() {
    Json world = ExampleWorld();
    for (auto& g : world["galleries"])
        for (auto& img : g["images"])
            if (img["name"] == "render") {
                Json v = img["versions"][0];
                v["name"] = "2.0.0";
                img["versions"].push_back(v);
            }
    return world;
}

/// A pool file of the three pools on `image`, each 30 dedicated nodes, rolled in group render.
std::string GroupFile(const std::string& image, const std::string& windows) {
    std::string y = "pools:\n";
    for (const auto& id : kPools)
        y += PoolYaml(id, "renderbatch", 30, 0, image,
                      "    updatePolicy:\n      strategy: drainAndSwap\n"
                      "      drain: {nodeDeallocationOption: requeue}\n"
                      "      rolloutGroup: render\n" +
                          windows);
    return y;
}

/// A maintenance window covering `offset_minutes` from now (UTC) for 3 hours, every day.
std::string WindowFrom(int offset_minutes) {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    const int start = ((utc.tm_hour * 60 + utc.tm_min + offset_minutes) % 1440 + 1440) % 1440;
    char clock[8];
    std::snprintf(clock, sizeof clock, "%02d:%02d", start / 60, start % 60);
    return std::string("      maintenanceWindows:\n        - {start: \"") + clock +
           "\", duration: 3h}\n";
}

const std::string kDaemonRollout =
    "rollout:\n  groups:\n    render: {maxUnavailable: 1, canary: canary,\n"
    "      healthGate: {minReadyPercent: 95, maxStartTaskFailedPercent: 2, timeout: 10m}}\n";

/// The pool's drain (resize to 0), swap (PATCH with virtualMachineConfiguration) and regrowth
/// (resize to its size) positions in `writes`.
struct PoolWrites {
    std::vector<int> drains, swaps, regrows, verdicts;
};

PoolWrites Of(const std::vector<Json>& writes, const std::string& pool) {
    PoolWrites out;
    for (int i = 0; i < static_cast<int>(writes.size()); ++i) {
        const Json& w = writes[static_cast<std::size_t>(i)];
        if (PathOf(w).find("/pools/" + pool + "/resize") != std::string::npos) {
            const Json b = BodyOf(w);
            (b.value("targetDedicatedNodes", -1) == 0 ? out.drains : out.regrows).push_back(i);
        } else if (w.value("method", "") == "PATCH" &&
                   PathOf(w).find("/pools/" + pool + "?") != std::string::npos) {
            const Json b = BodyOf(w);
            if (b.contains("virtualMachineConfiguration"))
                out.swaps.push_back(i);
            else if (b.dump().find("poolwarden.io/rollout") != std::string::npos)
                out.verdicts.push_back(i);
        }
    }
    return out;
}

bool OnVersion(E2E& e, const std::string& pool, const std::string& image, int nodes) {
    Json p = e.Pool("renderbatch", pool);
    return !p.is_null() && E2E::Steady(p) && p.value("currentDedicatedNodes", -1) == nodes &&
           p["virtualMachineConfiguration"]["imageReference"]["virtualMachineImageId"] == image;
}

/// The group's daemon started with its three pools created and steady on 1.4.0.
void StartGroupOn140(E2E& e) {
    e.WriteDaemonFile({"renderbatch"}, kDaemonRollout);
    e.WritePoolFile("render.yaml", GroupFile(kRender140, ""));
    e.Start();
    for (const auto& id : kPools)
        ASSERT_TRUE(e.WaitForSteadySize("renderbatch", id, 30, kRolloutWait)) << e.daemon().Log();
}

TEST(RolloutE2E, GroupMovesToANewVersionCanaryFirstOneAtATimeSurvivingSigkill) {
    E2E e(RolloutWorld(), kRolloutSpeed);
    ASSERT_NO_FATAL_FAILURE(StartGroupOn140(e));

    // 2.0.0 outside the window: nothing is drained, /status names the next window.
    e.WritePoolFile("render.yaml", GroupFile(kRender200, WindowFrom(120)));
    const auto port = ListeningPort(e.daemon());
    ASSERT_NE(port, 0);
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            const Json s = Send(port, "GET", "/status").json();
            return s.contains("rollouts") && !s["rollouts"].empty() &&
                   s["rollouts"][0]["pools"][0].contains("nextWindow");
        },
        20s))
        << Send(port, "GET", "/status").body;
    std::this_thread::sleep_for(2500ms);
    for (const auto& id : kPools) EXPECT_TRUE(Of(e.Writes(), id).drains.empty()) << id;

    // Inside the window: the rollout runs; the daemon is killed (SIGKILL) after each rollout
    // write it makes and started again.
    e.WritePoolFile("render.yaml", GroupFile(kRender200, WindowFrom(-30)));
    auto rollout_writes = [&] {
        std::size_t n = 0;
        for (const auto& id : kPools) {
            auto w = Of(e.Writes(), id);
            n += w.drains.size() + w.swaps.size() + w.regrows.size() + w.verdicts.size();
        }
        return n;
    };
    std::size_t seen = rollout_writes();
    int kills = 0;
    const auto deadline = std::chrono::steady_clock::now() + 90s;
    while (std::chrono::steady_clock::now() < deadline) {
        bool done = true;
        const auto all = e.Writes();
        for (const auto& id : kPools)
            done = done && OnVersion(e, id, kRender200, 30) && !Of(all, id).verdicts.empty();
        if (done) break;
        const std::size_t now_seen = rollout_writes();
        if (now_seen > seen && kills < 8) {
            seen = now_seen;
            e.daemon().Signal(SIGKILL);
            e.daemon().Wait(5s);
            ++kills;
            e.Start();
        }
        std::this_thread::sleep_for(100ms);
    }
    const auto writes = e.Writes();
    for (const auto& id : kPools)
        EXPECT_TRUE(OnVersion(e, id, kRender200, 30)) << id << " " << e.daemon().Log();
    EXPECT_GE(kills, 4) << "the daemon was killed at several steps";

    // Replicas of 2.0.0 were raised (3 x 30 VMs need 1 replica each: 3 in East US) before the
    // first drain.
    int raise = -1;
    for (int i = 0; i < static_cast<int>(writes.size()); ++i)
        if (raise < 0 && Is(writes[static_cast<std::size_t>(i)], "PATCH", "/versions/2.0.0"))
            raise = i;
    const auto canary = Of(writes, "canary");
    ASSERT_EQ(canary.drains.size(), 1u);
    EXPECT_GE(raise, 0);
    EXPECT_LT(raise, canary.drains[0]) << "replicas first";

    // Canary first, then one pool at a time: each pool's drain comes after the previous pool's
    // health-gate verdict; each pool drained once and swapped by exactly one PATCH.
    int previous_verdict = -1;
    for (const auto& id : kPools) {
        const auto w = Of(writes, id);
        ASSERT_EQ(w.drains.size(), 1u) << id << " drained once";
        ASSERT_EQ(w.swaps.size(), 1u) << id << " one PATCH of the empty-only changes";
        ASSERT_EQ(w.verdicts.size(), 1u) << id << " one health-gate verdict";
        ASSERT_FALSE(w.regrows.empty()) << id;
        EXPECT_LT(previous_verdict, w.drains[0]) << id << " waits for the previous pool";
        EXPECT_LT(w.drains[0], w.swaps[0]) << id;
        EXPECT_LT(w.swaps[0], w.regrows.back()) << id;
        EXPECT_LT(w.regrows.back(), w.verdicts[0]) << id;
        const Json swap = BodyOf(writes[static_cast<std::size_t>(w.swaps[0])]);
        EXPECT_EQ(swap["virtualMachineConfiguration"]["imageReference"]["virtualMachineImageId"],
                  kRender200);
        EXPECT_FALSE(
            writes[static_cast<std::size_t>(w.swaps[0])].value("ifMatch", std::string()).empty())
            << "the swap carries If-Match";
        EXPECT_NE(
            PathOf(writes[static_cast<std::size_t>(w.swaps[0])]).find("api-version=2025-06-01"),
            std::string::npos)
            << "the empty-only members need BatchPoolUpdateOptions (2025-06-01)";
        previous_verdict = w.verdicts[0];
    }
    // The last daemon started (its log holds every start's port: the last one is its own).
    static const std::regex listening(R"(endpoints listening.*address\W+127\.0\.0\.1:(\d+))");
    const std::string log = e.daemon().Log();
    std::uint16_t last_port = 0;
    for (auto it = std::sregex_iterator(log.begin(), log.end(), listening);
         it != std::sregex_iterator(); ++it)
        last_port = static_cast<std::uint16_t>(std::stoi((*it)[1]));
    ASSERT_NE(last_port, 0);
    Json status;
    EXPECT_TRUE(E2E::WaitFor(
        [&] {
            status = Send(last_port, "GET", "/status").json();
            if (status["rollouts"].empty()) return false;
            for (const auto& p : status["rollouts"][0]["pools"])
                if (p["step"] != "done") return false;
            return true;
        },
        10s))
        << "every pool of the group done: " << status.dump();
}

TEST(RolloutE2E, FailingStartTasksHaltTheGroupAtTheCanary) {
    E2E e(RolloutWorld(), kRolloutSpeed);
    ASSERT_NO_FATAL_FAILURE(StartGroupOn140(e));
    ASSERT_EQ(Send(e.port(), "PUT", "/_sim/startTaskFailures",
                   R"({"rules": [{"image": "2.0.0", "share": 0.2}]})")
                  .status,
              200);
    e.WritePoolFile("render.yaml", GroupFile(kRender200, ""));
    const auto port = ListeningPort(e.daemon());
    ASSERT_NE(port, 0);
    Json status;
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            status = Send(port, "GET", "/status").json();
            return !status["rollouts"].empty() && status["rollouts"][0].value("halted", false);
        },
        kRolloutWait))
        << status.dump() << e.daemon().Log();
    std::this_thread::sleep_for(2500ms);
    const auto writes = e.Writes();
    EXPECT_EQ(Of(writes, "canary").drains.size(), 1u);
    EXPECT_TRUE(Of(writes, "a-pool").drains.empty());
    EXPECT_TRUE(Of(writes, "b-pool").drains.empty());
    EXPECT_TRUE(OnVersion(e, "a-pool", kRender140, 30));
    EXPECT_TRUE(OnVersion(e, "b-pool", kRender140, 30));
    const std::string text = Send(port, "GET", "/status").body;
    EXPECT_NE(text.find("RolloutHalted"), std::string::npos);
    EXPECT_NE(text.find("starttaskfailed"), std::string::npos) << "the gate's figures";
    const std::string metrics = Send(port, "GET", "/metrics").body;
    EXPECT_NE(metrics.find("poolwarden_rollout_halted{group=\"render\"} 1"), std::string::npos)
        << metrics;
}

}  // namespace rollout
}  // namespace pw::e2e
