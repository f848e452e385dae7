// Pool lifecycle end to end (issue 14): autoscale changes, pools removed from the files
// (orphan, prune delete).
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace pw::e2e::lifecycle_test {
namespace {

TEST(E2E, AutoscalePoolIsSizedForMaxNodes) {
    E2E e(ExampleWorld(), kFast);
    std::string y = "pools:\n" + PoolYaml("auto", "renderbatch", -1) +
                    "    scale:\n      autoScale:\n"
                    "        formula: \"$TargetDedicatedNodes = 10;\"\n"
                    "        evaluationInterval: 15m\n        maxNodes: 1200\n";
    e.WritePoolFile("auto.yaml", y);
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return !e.Pool("renderbatch", "auto").is_null(); }, kConverge))
        << d.Log();
    EXPECT_EQ(ReplicaCount(e.Version("render", "1.4.0"), "eastus"), 4);
    auto writes = e.Writes();
    int create = IndexOf(writes, "POST", "/pools?");
    ASSERT_GE(create, 0);
    auto add = Body(writes[static_cast<std::size_t>(create)]);
    EXPECT_EQ(add["enableAutoScale"], true);
    EXPECT_FALSE(add.contains("resizeTimeout"));
    EXPECT_FALSE(add.contains("targetDedicatedNodes"));
}

TEST(E2E, AutoscaleFormulaChangeIsOneEnableAndABadFormulaIsNeverWritten) {
    E2E e(ExampleWorld(), kFast);
    auto pool_file = [](const std::string& formula) {
        return "pools:\n" + PoolYaml("auto", "renderbatch", -1) +
               "    scale:\n      autoScale:\n        formula: \"" + formula +
               "\"\n        evaluationInterval: 15m\n        maxNodes: 100\n";
    };
    auto formula = [&] { return e.Pool("renderbatch", "auto").value("autoScaleFormula", ""); };
    e.WritePoolFile("auto.yaml", pool_file("$TargetDedicatedNodes = 2;"));
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return !e.Pool("renderbatch", "auto").is_null(); }, kConverge))
        << d.Log();
    EXPECT_NE(formula().find("min($TargetDedicatedNodes, 100)"), std::string::npos)
        << "created with the maxNodes cap: " << formula();

    e.WritePoolFile("auto.yaml", pool_file("$TargetDedicatedNodes = 3;"));
    ASSERT_TRUE(E2E::WaitFor(
        [&] { return formula().find("$TargetDedicatedNodes = 3;") != std::string::npos; },
        kConverge))
        << d.Log();
    std::this_thread::sleep_for(3500ms);  // >= 3 cycles at interval 1s
    auto writes = e.Writes();
    EXPECT_EQ(E2E::CountWrites(writes, "POST", "/pools/auto/enableautoscale"), 1);
    const auto enabled =
        Body(writes[static_cast<std::size_t>(IndexOf(writes, "POST", "/enableautoscale"))]);
    EXPECT_EQ(enabled["autoScaleEvaluationInterval"], "PT15M");
    EXPECT_NE(enabled["autoScaleFormula"].get<std::string>().find("max(0, 100 - "),
              std::string::npos);
    EXPECT_EQ(E2E::CountWrites(writes, "POST", "/pools?"), 1) << "never recreated";

    // A formula Batch cannot evaluate: evaluateautoscale (which changes nothing) says why, and
    // no enableautoscale follows; the pool keeps its formula and /status shows Batch's message.
    const auto before = e.Writes().size();
    e.WritePoolFile("auto.yaml", pool_file("$TargetDedicatedNodes = nosuch(;"));
    const auto port = ListeningPort(d);
    ASSERT_NE(port, 0);
    std::string status;
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            status = Send(port, "GET", "/status").body;
            return status.find("could not be evaluated") != std::string::npos;
        },
        kConverge))
        << status << d.Log();
    std::this_thread::sleep_for(3500ms);
    writes = e.Writes();
    EXPECT_EQ(E2E::CountWrites(writes, "POST", "/enableautoscale"), 1);
    std::size_t evaluations = 0;
    for (std::size_t i = before; i < writes.size(); ++i) {
        EXPECT_NE(writes[i]["path"].get<std::string>().find("/evaluateautoscale"),
                  std::string::npos)
            << "only evaluations, no write: " << writes[i].dump();
        ++evaluations;
    }
    EXPECT_EQ(evaluations, 1u) << "a terminal error is not retried until the file changes";
    EXPECT_NE(formula().find("$TargetDedicatedNodes = 3;"), std::string::npos);
    EXPECT_NE(status.find("autoScale.formula"), std::string::npos) << "the fix: " << status;
}

TEST(E2E, PoolRemovedFromTheFilesIsOrphanedAndLeftAlone) {
    E2E e(ExampleWorld(), kFast);
    e.WritePoolFile("keep.yaml", "pools:\n" + PoolYaml("keep", "renderbatch", 10));
    e.WritePoolFile("gone.yaml", "pools:\n" + PoolYaml("gone", "renderbatch", 20));
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "gone")); }, kConverge))
        << d.Log();
    std::filesystem::remove(e.dir() / "pools.d" / "gone.yaml");
    const auto port = ListeningPort(d);
    ASSERT_NE(port, 0);
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            const auto s = Send(port, "GET", "/status").json();
            return s["orphanedPools"].size() == 1 && s["orphanedPools"][0]["id"] == "gone";
        },
        kConverge))
        << Send(port, "GET", "/status").body << d.Log();
    const auto metrics = Send(port, "GET", "/metrics").body;
    EXPECT_NE(metrics.find(R"(poolwarden_pool_orphaned{account="renderbatch",pool="gone"} 1)"),
              std::string::npos)
        << metrics;
    const auto before = e.Writes().size();
    std::this_thread::sleep_for(3500ms);  // >= 3 cycles at interval 1s
    EXPECT_EQ(e.Writes().size(), before) << "the orphan is left as it is";
    EXPECT_EQ(e.Pool("renderbatch", "gone").value("targetDedicatedNodes", 0), 20);
}

TEST(E2E, PruneDeleteRemovesAnOrphanOnceAndNeverBesideABrokenPoolFile) {
    E2E e(ExampleWorld(), kFast);
    e.WriteDaemonFile({"renderbatch"}, "prune:\n  mode: delete\n  graceMinutes: 0\n");
    e.WritePoolFile("keep.yaml", "pools:\n" + PoolYaml("keep", "renderbatch", 10));
    e.WritePoolFile("gone.yaml", "pools:\n" + PoolYaml("gone", "renderbatch", 20));
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "gone")); }, kConverge))
        << d.Log();
    // The pool's file is removed while another pool file is broken: never deleted.
    e.WritePoolFile("broken.yaml", "pools:\n  - id: [\n");
    std::filesystem::remove(e.dir() / "pools.d" / "gone.yaml");
    const auto port = ListeningPort(d);
    ASSERT_NE(port, 0);
    ASSERT_TRUE(E2E::WaitFor(
        [&] { return Send(port, "GET", "/status").json()["orphanedPools"].size() == 1; },
        kConverge));
    std::this_thread::sleep_for(5s);  // >= 4 passes at interval 1s
    EXPECT_EQ(E2E::CountWrites(e.Writes(), "DELETE", "/pools/gone"), 0) << d.Log();
    EXPECT_NE(Send(port, "GET", "/status").body.find("not deleted while a pool file has errors"),
              std::string::npos);

    DaemonProcess broken_plan({"plan", "--config", (e.dir() / "poolwarden.yaml").string()},
                              e.dir() / "plan-broken.log");
    EXPECT_EQ(broken_plan.Wait(), 2) << "a rejected pool file";
    EXPECT_EQ(broken_plan.Log().find("would be deleted"), std::string::npos) << broken_plan.Log();

    // Fixed: deleted once, after 3 passes with a clean config, with the eTag it was seen with.
    std::filesystem::remove(e.dir() / "pools.d" / "broken.yaml");
    ASSERT_TRUE(E2E::WaitFor([&] { return e.Pool("renderbatch", "gone").is_null(); }, kConverge))
        << d.Log();
    std::this_thread::sleep_for(3500ms);
    const auto writes = e.Writes();
    ASSERT_EQ(E2E::CountWrites(writes, "DELETE", "/pools/gone"), 1);
    const auto& del = writes[static_cast<std::size_t>(IndexOf(writes, "DELETE", "/pools/gone"))];
    EXPECT_FALSE(del.value("ifMatch", std::string()).empty())
        << "DELETE with If-Match: " << del.dump();
    EXPECT_FALSE(e.Pool("renderbatch", "keep").is_null()) << "the declared pool stays";
    EXPECT_EQ(E2E::CountWrites(writes, "DELETE", "/pools/keep"), 0);

    // With every file valid, a live plan names what run would delete and exits 3, unless
    // --allow-delete.
    d.Stop();
    e.WritePoolFile("keep.yaml", "pools: []\n");
    for (const bool allow : {false, true}) {
        std::vector<std::string> args = {"plan", "--config",
                                         (e.dir() / "poolwarden.yaml").string()};
        if (allow) args.emplace_back("--allow-delete");
        DaemonProcess plan(args, e.dir() / (allow ? "plan-allow.log" : "plan.log"));
        EXPECT_EQ(plan.Wait(), allow ? 0 : 3) << plan.Log();
        EXPECT_NE(plan.Log().find("would be deleted by poolwarden run (prune.mode delete): "
                                  "renderbatch/keep"),
                  std::string::npos)
            << plan.Log();
    }
    EXPECT_FALSE(e.Pool("renderbatch", "keep").is_null()) << "plan never deletes";
}

}  // namespace
}  // namespace pw::e2e::lifecycle_test
