// Malformed Azure answers (truncated JSON, HTML pages, wrong types, missing fields, 200 with an
// error body) from poolwarden-sim's `malformedBody` fault: the poolwarden binary reports a
// decode error in /status, makes no write that depends on the bad answer while the other
// account is managed normally, keeps running, and recovers once the answers are good again.
#include <gtest/gtest.h>

#include <regex>

#include "../e2e/e2e_fixture.hpp"

namespace pw::security {
namespace {

namespace fs = std::filesystem;
using e2e::DaemonProcess;
using e2e::Json;
using simtest::Send;
using simtest::SimProcess;
using namespace std::chrono_literals;

/// Where the bad answer comes from.
enum class Surface { PoolList, ImageVersion, BatchAccount };

struct Case {
    Surface surface;
    std::string kind;
};

void PrintTo(const Case& c, std::ostream* os) {
    *os << static_cast<int>(c.surface) << "/" << c.kind;
}

std::string Name(const ::testing::TestParamInfo<Case>& info) {
    const char* s = info.param.surface == Surface::PoolList       ? "PoolList"
                    : info.param.surface == Surface::ImageVersion ? "ImageVersion"
                                                                  : "BatchAccount";
    return std::string(s) + "_" + info.param.kind;
}

class MalformedResponse : public ::testing::TestWithParam<Case> {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "pw-malformed-XXXXXX").string();
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        // Two accounts in East US; "victim" (renderbatch) uses render/1.5.0, "bystander"
        // (otherbatch) render/1.4.0. Only the victim's answers are corrupted.
        Json world = e2e::ExampleWorld();
        Json v = e2e::RenderVersion(world);
        v["name"] = "1.5.0";
        for (auto& g : world["galleries"])
            for (auto& img : g["images"])
                if (img["name"] == "render") img["versions"].push_back(v);
        // The victim account also holds a live pool of ours (50 nodes, declared 100), so a
        // corrupted list has pool objects to corrupt.
        world["batchAccounts"][0]["pools"].push_back(
            e2e::WorldPool("victim-live", 50, 0, true, kVictimImage));
        e2e::AddWorldAccount(world, "otherbatch", "eastus");
        std::ofstream(dir_ / "world.json") << world.dump(2);
        sim_ = std::make_unique<SimProcess>(std::vector<std::string>{
            "--port", "0", "--state", (dir_ / "world.json").string(), "--time-scale", "600"});
        fs::create_directories(dir_ / "pools.d");
        std::ofstream(dir_ / "pools.d" / "pools.yaml")
            << "pools:\n" + e2e::PoolYaml("victim", "renderbatch", 100, 0, kVictimImage) +
                   e2e::PoolYaml("victim-live", "renderbatch", 100, 0, kVictimImage) +
                   e2e::PoolYaml("bystander", "otherbatch", 100, 0, e2e::kRender140);
        std::ofstream(dir_ / "client-secret") << simtest::kSecret;
        fs::permissions(dir_ / "client-secret", fs::perms::owner_read | fs::perms::owner_write,
                        fs::perm_options::replace);
        std::ofstream(dir_ / "poolwarden.yaml") << e2e::DaemonYaml(
            sim_->port(), {"renderbatch", "otherbatch"},
            "reconcile:\n  interval: 1s\npoolsDir: pools.d\nlisten: 127.0.0.1:0\n");
    }
    void TearDown() override {
        daemon_.reset();
        sim_.reset();
        std::error_code ec;
        if (!dir_.empty() && !getenv("PW_E2E_KEEP")) fs::remove_all(dir_, ec);
    }

    std::uint16_t DaemonPort() { return e2e::ListeningPort(*daemon_); }
    Json Pool(const std::string& account, const std::string& id) {
        const Json state = Send(sim_->port(), "GET", "/_sim/state").json();
        for (const auto& a : state["batchAccounts"])
            if (a["name"] == account)
                for (const auto& p : a["pools"])
                    if (p["id"] == id) return p;
        return nullptr;
    }

    inline static const std::string kVictimImage = e2e::kGallery + "render/versions/1.5.0";
    fs::path dir_;
    std::unique_ptr<SimProcess> sim_;
    std::unique_ptr<DaemonProcess> daemon_;
};

TEST_P(MalformedResponse, DecodeErrorNoWriteThenRecovery) {
    const Case c = GetParam();
    const std::string path = c.surface == Surface::PoolList ? "^/batch/renderbatch/pools$"
                             : c.surface == Surface::ImageVersion
                                 ? "/images/render/versions/1\\\\.5\\\\.0$"
                                 : "/batchAccounts/renderbatch$";
    const auto set = Send(sim_->port(), "PUT", "/_sim/faults",
                          R"({"rules":[{"method":"GET","path":")" + path +
                              R"(","malformedBody":")" + c.kind + R"("}]})");
    ASSERT_EQ(set.status, 200) << set.body;

    daemon_ = std::make_unique<DaemonProcess>(
        std::vector<std::string>{"run", "--config", (dir_ / "poolwarden.yaml").string(),
                                 "--log-format", "json"},
        dir_ / "poolwarden.log");
    const auto port = DaemonPort();
    ASSERT_NE(port, 0) << daemon_->Log();

    // The healthy account is managed: its pool gets created, then a few more passes run.
    ASSERT_TRUE(e2e::E2E::WaitFor([&] { return !Pool("otherbatch", "bystander").is_null(); }, 30s))
        << daemon_->Log();
    std::this_thread::sleep_for(3s);

    const Json log = Send(sim_->port(), "GET", "/_sim/requests").json()["requests"];
    int corrupted = 0;
    int bad_writes = 0;
    std::string first_bad;
    for (const auto& r : log) {
        const std::string p = r["path"];
        if (r.value("fault", std::string()).find("malformed:" + c.kind) != std::string::npos)
            ++corrupted;
        if (r["method"] == "GET" || p.find("/oauth2/") != std::string::npos) continue;
        const std::string body = r.value("body", std::string());
        const bool victim_write = p.find("/batch/renderbatch/") != std::string::npos ||
                                  p.find("/versions/1.5.0") != std::string::npos ||
                                  body.find("\"victim\"") != std::string::npos;
        if (victim_write) {
            ++bad_writes;
            if (first_bad.empty()) first_bad = r.dump();
        }
    }
    EXPECT_GE(corrupted, 2) << "the fault fired on every pass";
    EXPECT_EQ(bad_writes, 0) << "a write followed a malformed answer: " << first_bad;
    EXPECT_TRUE(Pool("renderbatch", "victim").is_null());

    const Json status = Send(port, "GET", "/status").json();
    std::string reported;
    if (c.surface == Surface::ImageVersion) {
        for (const auto& p : status["pools"])
            if (p["id"] == "victim") reported = p.dump();
    } else {
        for (const auto& a : status["accounts"])
            if (a["name"] == "renderbatch") reported = a.value("error", std::string());
    }
    EXPECT_NE(reported.find("decode"), std::string::npos)
        << "/status names the decode error: " << status.dump(2);
    // An HTML page is never echoed into status or logs.
    EXPECT_EQ(status.dump().find("<html"), std::string::npos);
    EXPECT_EQ(daemon_->Log().find("<html"), std::string::npos);

    // Good answers again: the victim's pool is created.
    Send(sim_->port(), "DELETE", "/_sim/faults");
    EXPECT_TRUE(e2e::E2E::WaitFor([&] { return !Pool("renderbatch", "victim").is_null(); }, 40s))
        << daemon_->Log();
    EXPECT_EQ(daemon_->Stop(), 0) << "still running, SIGTERM exits 0";
}

std::vector<Case> Cases() {
    std::vector<Case> out;
    for (const char* k : {"truncated", "html", "wrongTypes", "missingFields", "errorBodyWith200"}) {
        out.push_back({Surface::PoolList, k});
        out.push_back({Surface::ImageVersion, k});
    }
    out.push_back({Surface::BatchAccount, "missingFields"});
    out.push_back({Surface::BatchAccount, "html"});
    return out;
}

INSTANTIATE_TEST_SUITE_P(Sim, MalformedResponse, ::testing::ValuesIn(Cases()), Name);

}  // namespace
}  // namespace pw::security
