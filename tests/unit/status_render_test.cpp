// RenderStatus (the /status body written as text) against the JSON document it replaced.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "reconcile/lookup.hpp"
#include "reconcile/status.hpp"
#include "status_json.hpp"

namespace pw::reconcile {
namespace {

using namespace std::chrono_literals;

StatusSnapshot RichSnapshot() {
    const TimePoint t0{std::chrono::sys_days{std::chrono::year{2026} / 12 / 6}};
    StatusSnapshot s;
    s.updated = t0 + 3661s;
    s.last_cycle = CycleSummary{18446744073709551615ull, t0, t0 + 2s, 3, 2, 1, false, 15s};
    for (int i = 0; i < 3; ++i) {
        PoolStatus p;
        p.id = "render-" + std::to_string(i);
        p.account = "eus";
        if (i != 1) p.source_file = "pools.d/render.yaml";
        p.conditions = {
            {"Ready", i == 0, "Converged", "4 nodes", t0},
            {"Progressing", false, "Stable", "", t0 + 1s},
            {"Degraded", i == 2, "RetryingAfterError",
             "quote \" backslash \\ tab\t newline\n bell\x07 del\x7f caf\xC3\xA9 \xF0\x9F\x98\x80",
             t0 + 2s}};
        if (i == 2) {
            p.last_action = ActionRecord{"ResizePool", "grow 1 -> 2", "failed", t0};
            p.last_error = ErrorRecord{"boom", "ServerBusy", false, t0, t0 + 30s};
            p.findings.push_back(
                {model::Severity::Warning, "ReplicaCapReached", "eus", p.id, "/sub/x", "capped"});
            p.findings.push_back({model::Severity::Error, "NotOwned", "", p.id, "", "not ours"});
            p.resize_errors = {{"AllocationFailed", 2}, {"AccountCoreQuotaReached", 1}};
        }
        if (i != 1) {
            p.target_nodes = 4;
            p.current_nodes = 3;
            p.allocation_state = "resizing";
            p.observed_target = PoolStatus::NodeCounts{3, 1};
            p.observed_current = PoolStatus::NodeCounts{2, 1};
        }
        if (i == 0) p.desired_nodes = PoolStatus::NodeCounts{4, 0};
        s.pools.push_back(std::move(p));
    }
    ImageVersionStatus v;
    v.id =
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/galleries/x/images/i/"
        "versions/1.0.0";
    v.provisioning_state = "Succeeded";
    v.aggregated_state = "InProgress";
    v.regions = {{"East US", 10, 1, "Replicating", 40}, {"West US", 1, 0, "Missing", 0}};
    v.last_error = ErrorRecord{"nope", "", true, t0, std::nullopt};
    s.image_versions.push_back(v);
    s.image_versions.push_back(ImageVersionStatus{"/v/2", "", "", {}, std::nullopt, std::nullopt});
    s.accounts = {{"eus", true, "", "eastus", 2}, {"wus", false, "pool list: Timeout", "", 0}};
    s.config_files = {{"poolwarden.yaml", true, false, {}},
                      {"pools.d/bad.yaml", false, true, {"bad.yaml:3:1: x: y", "second"}}};
    s.config_error = "poolwarden.yaml:1:1: listen: bad";
    return s;
}

TEST(StatusRender, SameTextAsTheJsonDocument) {
    const auto s = RichSnapshot();
    EXPECT_EQ(RenderStatus(s), ToJson(s).dump(2) + "\n");
    EXPECT_EQ(RenderStatus(StatusSnapshot{}), ToJson(StatusSnapshot{}).dump(2) + "\n");
    StatusSnapshot bare;
    bare.pools.push_back(PoolStatus{});
    EXPECT_EQ(RenderStatus(bare, 1 << 20), ToJson(bare).dump(2) + "\n");
}

TEST(StatusRender, LeaderElectionSameTextAsTheJsonDocument) {
    auto s = RichSnapshot();
    s.leadership = LeadershipStatus{"standby", "pw-b", "pw-a", TimePoint{} + 1h, ""};
    EXPECT_EQ(RenderStatus(s), ToJson(s).dump(2) + "\n");
    const auto j = ToJson(s);
    EXPECT_EQ(j["leaderElection"]["role"], "standby");
    EXPECT_EQ(j["leaderElection"]["leader"], "pw-a");
    EXPECT_EQ(j["leaderElection"]["since"], "1970-01-01T01:00:00Z");
    s.leadership = LeadershipStatus{"leader", "pw-a", "pw-a", std::nullopt, "network: reset"};
    EXPECT_EQ(RenderStatus(s), ToJson(s).dump(2) + "\n");
    EXPECT_FALSE(ToJson(StatusSnapshot{}).contains("leaderElection"));
}

TEST(StatusRender, PiecesJoinedAreTheDocumentText) {
    auto rich = RichSnapshot();
    const auto pools = rich.pools;
    for (int i = 0; i < 600; ++i) {
        auto p = pools[static_cast<std::size_t>(i % 3)];
        p.id = "pool-" + std::to_string(i);
        rich.pools.push_back(std::move(p));
    }
    const auto many = std::make_shared<const StatusSnapshot>(std::move(rich));
    const auto expected = ToJson(*many).dump(2) + "\n";
    for (std::size_t piece : {std::size_t{1}, std::size_t{4096}, std::size_t{64 * 1024}}) {
        StatusRenderer r(many, piece);
        std::string joined;
        std::size_t pieces = 0, largest = 0;
        bool more = true;
        while (more) {
            std::string out;
            more = r.next(out);
            ++pieces;
            largest = std::max(largest, out.size());
            joined += out;
        }
        EXPECT_EQ(joined, expected) << "piece size " << piece;
        EXPECT_GE(pieces, expected.size() / (piece + 2048)) << "piece size " << piece;
        EXPECT_LT(largest, piece + 4096) << "a piece ends after the pool that reached its size";
    }
    for (const auto& empty : {StatusSnapshot{}, RichSnapshot()}) {
        StatusRenderer r(std::make_shared<const StatusSnapshot>(empty), 1);
        std::string joined;
        while (r.next(joined)) {
        }
        EXPECT_EQ(joined, RenderStatus(empty));
    }
}

TEST(StatusRender, InvalidUtf8IsReplacedNotFatal) {
    StatusSnapshot s;
    s.config_error = std::string("bad \xC3\x28 byte \xFF and overlong \xE0\x80\x80 end");
    auto text = RenderStatus(s);
    auto j = nlohmann::json::parse(text);
    EXPECT_EQ(j["configError"],
              "bad \xEF\xBF\xBD( byte \xEF\xBF\xBD and overlong "
              "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end");
}

TEST(StatusBoxed, BehavesAsAnOptionalWithDeepCopies) {
    Boxed<ErrorRecord> a;
    EXPECT_FALSE(a);
    a = std::optional<ErrorRecord>(ErrorRecord{"boom", "ServerBusy", false, {}, std::nullopt});
    ASSERT_TRUE(a);
    Boxed<ErrorRecord> b = a;
    b->message = "other";
    EXPECT_EQ(a->message, "boom");  // a copy never shares the value
    b = a;
    EXPECT_EQ(b->message, "boom");
    a = std::optional<ErrorRecord>();
    EXPECT_FALSE(a);
    EXPECT_TRUE(b);
    b = std::nullopt;
    EXPECT_FALSE(b.has_value());
    PoolStatus p;
    p.last_action = ActionRecord{"CreatePool", "r", "succeeded", {}};
    PoolStatus q = p;
    q.last_action->result = "failed";
    EXPECT_EQ(p.last_action->result, "succeeded");
}

TEST(StatusBoxed, CopiesShareTheValueUntilOneIsChanged) {
    // The reconciler's record of a pool's last action and the pool's status are one value.
    Boxed<ActionRecord> kept = ActionRecord{"CreatePool", "pool does not exist", "succeeded", {}};
    PoolStatus p;
    p.last_action = kept;
    PoolStatus q = p;
    const auto& cp = p;
    const auto& cq = q;
    const auto& ck = kept;
    EXPECT_EQ(&*cp.last_action, &*ck);
    EXPECT_EQ(&*cq.last_action, &*ck);
    q.last_action->result = "failed";  // a non-const access first takes a copy of its own
    EXPECT_NE(&*cq.last_action, &*ck);
    EXPECT_EQ(cp.last_action->result, "succeeded");
    EXPECT_EQ(ck->result, "succeeded");
    kept = ActionRecord{"ResizePool", "grow", "failed", {}};  // assigned while shared: a new value
    EXPECT_EQ(cp.last_action->kind, "CreatePool");
    EXPECT_EQ(ck->kind, "ResizePool");
}

TEST(StatusBoxed, ComparesByValueAsAnOptional) {
    // Observed pools and specs compare equal (drift, caches) by the values, not by identity.
    Boxed<model::StartTask> a;
    Boxed<model::StartTask> b;
    EXPECT_TRUE(a == b);  // both empty
    a.emplace().command_line = "/bin/true";
    EXPECT_FALSE(a == b);
    EXPECT_FALSE(b == a);
    model::StartTask t;
    t.command_line = "/bin/true";
    b = t;
    EXPECT_TRUE(a == b);  // equal values held apart
    b->command_line = "/bin/false";
    EXPECT_FALSE(a == b);
    Boxed<model::StartTask> c = a;
    EXPECT_TRUE(a == c);  // shared
}

TEST(PoolIndex, FindsPoolsByAccountAndCaseInsensitiveId) {
    model::ObservedState o;
    o.accounts["eus"].pools.resize(2);
    o.accounts["eus"].pools[0].id = "Render-Linux";
    o.accounts["eus"].pools[1].id = "other";
    o.accounts["wus"].pools.resize(1);
    o.accounts["wus"].pools[0].id = "render-linux";
    const detail::PoolIndex index(o);
    EXPECT_EQ(index.find("eus", "render-LINUX"), &o.accounts["eus"].pools[0]);
    EXPECT_EQ(index.find("wus", "RENDER-linux"), &o.accounts["wus"].pools[0]);
    EXPECT_EQ(index.find("eus", "other"), &o.accounts["eus"].pools[1]);
    EXPECT_EQ(index.find("wus", "other"), nullptr);
    EXPECT_EQ(index.find("EUS", "other"), nullptr);  // local account names are exact
    EXPECT_EQ(index.find("eus", "render-linu"), nullptr);
}

}  // namespace
}  // namespace pw::reconcile
