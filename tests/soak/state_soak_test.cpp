// Memory soak (ctest label soak, a few seconds): 1 000 reconcile cycles of the real
// Reconciler, planner and executor against the in-memory FakeAzure while pools and image
// versions come and go: every cycle declares 5 new pools and drops the 5 oldest (which someone
// then deletes in Azure), keeping 100 declared; every 20 cycles a new image version is
// published and new pools use it. What poolwarden keeps between cycles must follow what is
// declared: the tracked items (the `poolwarden_tracked_items` gauge) stay within the bound the
// declaration sets and do not grow, and the process's resident memory is flat after warm-up.
// Figures printed as a table.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <fstream>
#include <set>
#include <string>

#include "planner/planner.hpp"
#include "reconcile/reconciler.hpp"
#include "support/fake_azure.hpp"
#include "support/run.hpp"

namespace pw::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kCycles = 1000;
constexpr int kWarmup = 100;
constexpr int kDeclared = 100;
constexpr int kChurnPerCycle = 5;
constexpr int kCyclesPerVersion = 20;

long SelfKb(const std::string& field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    return 0;
}

std::string VersionId(int n) {
    std::string id = kVersion140;
    return id.replace(id.rfind("1.4.0"), 5, "1." + std::to_string(n) + ".0");
}

struct Declared {
    std::string id;
    int version = 0;
};

TEST(StateSoak, TrackedItemsAndRssStayFlatWhilePoolsComeAndGo) {
    FakeAzure azure;
    azure.add_account(MakeAccount("eus"), "eastus");
    azure.add_image(kImageRender);
    reconcile::StatusStore status;
    reconcile::Reconciler rec(azure, azure, status, {}, planner::MakePlan, 7);
    model::DesiredState desired;
    desired.accounts = {MakeAccount("eus")};
    reconcile::TimePoint now{std::chrono::hours(1000)};

    std::deque<Declared> pools;
    std::set<int> published;
    int next_pool = 0;
    auto publish = [&](int version) {
        if (published.insert(version).second) azure.add_version(VersionId(version), "East US", 1);
    };
    auto declare = [&](int cycle) {
        const int version = cycle / kCyclesPerVersion;
        publish(version);
        pools.push_back({"pool-" + std::to_string(next_pool++), version});
    };
    for (int i = 0; i < kDeclared; ++i) declare(0);

    std::size_t tracked_warm = 0;
    std::size_t tracked_max_after = 0;
    std::size_t over_bound = 0;
    std::string first_over;
    long rss_warm = 0;
    long hwm_warm = 0;
    int writes = 0;
    int converged = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int cycle = 0; cycle < kCycles; ++cycle) {
        if (cycle > 0) {
            for (int i = 0; i < kChurnPerCycle; ++i) {
                azure.remove_pool("eus", pools.front().id);
                pools.pop_front();
                declare(cycle);
            }
            // Versions no declared pool uses any more are deleted by their publisher.
            std::set<int> used;
            for (const auto& p : pools) used.insert(p.version);
            for (auto it = published.begin(); it != published.end();) {
                if (used.count(*it) != 0) {
                    ++it;
                    continue;
                }
                azure.remove_version(VersionId(*it));
                it = published.erase(it);
            }
        }
        desired.pools.clear();
        for (const auto& p : pools)
            desired.pools.push_back(MakePool(p.id, "eus", VersionId(p.version), 30));
        now += 60s;
        auto report = RunSync(rec.reconcile_once(desired, now));
        writes += report.writes;
        converged += report.converged() ? 1 : 0;

        std::set<int> versions;
        for (const auto& p : pools) versions.insert(p.version);
        // One entry per declared pool and per declared version, one per account and image.
        const std::size_t bound = pools.size() + versions.size() + 2;
        if (report.tracked_items > bound && over_bound++ == 0)
            first_over = "cycle " + std::to_string(cycle) + ": " +
                         std::to_string(report.tracked_items) + " tracked, bound " +
                         std::to_string(bound);
        if (cycle == kWarmup) {
            tracked_warm = report.tracked_items;
            rss_warm = SelfKb("VmRSS");
            hwm_warm = SelfKb("VmHWM");
        } else if (cycle > kWarmup) {
            tracked_max_after = std::max(tracked_max_after, report.tracked_items);
        }

        azure.finish_updates();
        azure.complete_replication();
        azure.finish_resizes();
        azure.clear_calls();
        azure.adds.clear();
        azure.resizes.clear();
        azure.patches.clear();
        azure.region_patches.clear();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const long rss_end = SelfKb("VmRSS");
    const long hwm_end = SelfKb("VmHWM");
    const double hwm_growth = hwm_warm > 0 ? 100.0 * static_cast<double>(hwm_end - hwm_warm) /
                                                 static_cast<double>(hwm_warm)
                                           : 0;

    std::printf("\n== poolwarden state soak (%d cycles) ==\n", kCycles);
    std::printf("%-44s %12s\n", "figure", "value");
    std::printf("%-44s %12d\n", "pools declared at a time", kDeclared);
    std::printf("%-44s %12d\n", "pools declared over the run", next_pool);
    std::printf("%-44s %12d\n", "writes", writes);
    std::printf("%-44s %12d\n", "converged cycles", converged);
    std::printf("%-44s %12.1f\n", "wall time (s)", seconds);
    std::printf("%-44s %12zu\n", "tracked items after warm-up", tracked_warm);
    std::printf("%-44s %12zu\n", "tracked items, max after warm-up", tracked_max_after);
    std::printf("%-44s %12zu\n", "cycles over the declaration's bound", over_bound);
    std::printf("%-44s %12ld\n", "VmRSS after warm-up (KiB)", rss_warm);
    std::printf("%-44s %12ld\n", "VmRSS at the end (KiB)", rss_end);
    std::printf("%-44s %12ld\n", "VmHWM after warm-up (KiB)", hwm_warm);
    std::printf("%-44s %12ld\n", "VmHWM at the end (KiB)", hwm_end);
    std::printf("%-44s %11.1f%%\n", "VmHWM growth after warm-up", hwm_growth);
    std::fflush(stdout);

    EXPECT_GT(writes, kCycles) << "the soak must create pools all along";
    EXPECT_EQ(over_bound, 0u) << first_over;
    EXPECT_LE(tracked_max_after, tracked_warm + kChurnPerCycle) << "tracked items grow";
    EXPECT_LE(hwm_growth, 5.0) << "resident memory grows while the declaration does not";
}

}  // namespace
}  // namespace pw::testing
