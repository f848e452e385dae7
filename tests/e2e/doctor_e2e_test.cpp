// `poolwarden doctor` end to end: the real binary against poolwarden-sim. The demo world (the
// example pool files on the example world) is all OK; a broken world prints each FAIL with
// its fix and exits 1; the simulator's request log shows no write either time.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include "e2e_fixture.hpp"

namespace pw::e2e {
namespace {

constexpr double kFast = 600;

std::string ReadText(const std::filesystem::path& file) {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), {}};
}

/// The example pool files (config/examples/pools.d) with their demo secrets, on the fixture's
/// account name.
void WriteExamplePools(E2E& e) {
    const std::filesystem::path examples = std::string(PW_SOURCE_DIR) + "/config/examples";
    for (const auto& entry : std::filesystem::directory_iterator(examples / "pools.d")) {
        std::string body = ReadText(entry.path());
        for (std::size_t at; (at = body.find("account: render-eus")) != std::string::npos;)
            body.replace(at, 19, "account: renderbatch");
        e.WritePoolFile(entry.path().filename().string(), body);
    }
    std::filesystem::create_directories(e.dir() / "demo-secrets");
    for (const auto& entry : std::filesystem::directory_iterator(examples / "demo-secrets")) {
        const auto to = e.dir() / "demo-secrets" / entry.path().filename();
        std::filesystem::copy_file(entry.path(), to);
        chmod(to.c_str(), 0600);
    }
}

TEST(DoctorE2E, DemoWorldIsAllOkAndNothingIsWritten) {
    E2E e(ExampleWorld(), kFast);
    WriteExamplePools(e);
    auto& d = e.Start("doctor");
    ASSERT_EQ(d.Wait(), 0) << d.Stdout() << d.Log();
    const std::string out = d.Stdout();
    EXPECT_EQ(out.find("FAIL "), std::string::npos) << out;
    EXPECT_EQ(out.find("WARN "), std::string::npos) << out;
    for (const char* line :
         {"account renderbatch\n", "  pool render-linux\n", "  pool sim-hpc\n",
          "  pool tools-latest\n", "OK    clock-skew", "OK    token", "OK    vm-size-list",
          "OK    security               securityType trustedLaunch"})
        EXPECT_NE(out.find(line), std::string::npos) << line << "\n" << out;
    EXPECT_NE(out.find(" 0 WARN, 0 FAIL\n"), std::string::npos) << out;
    EXPECT_EQ(out.find(simtest::kSecret), std::string::npos) << "never the secret";
    EXPECT_FALSE(e.Requests().empty()) << "it did read Azure";
    EXPECT_TRUE(e.Writes().empty()) << "doctor never writes";
}

TEST(DoctorE2E, BrokenWorldFailsEachCheckWithItsFix) {
    auto world = ExampleWorld();
    auto& account = world["batchAccounts"][0];
    account["dedicatedCoreQuotaPerVMFamilyEnforced"] = true;
    account["dedicatedCoreQuotaPerVMFamily"] =
        Json::array({{{"name", "standardDSv3Family"}, {"coreQuota", 32}},
                     {{"name", "standardA0_A7Family"}, {"coreQuota", 32}}});
    MarkTrustedLaunch(world, "hpc");
    E2E e(world, kFast);
    const std::string hpc = kGallery + "hpc/versions/2.0.0";
    std::string gen1 = PoolYaml("gen1-only", "renderbatch", 1);
    gen1.replace(gen1.find("Standard_D4s_v3"), 15, "Standard_A1");
    e.WritePoolFile("broken-world.yaml", "pools:\n" + PoolYaml("too-big", "renderbatch", 16) +
                                             gen1 + PoolYaml("trusted", "renderbatch", 2, 0, hpc));
    e.WritePoolFile("typo.yaml",
                    "pools:\n  - id: typo\n    account: renderbatch\n    vmSize: [1]\n");
    auto& d = e.Start("doctor", {"--output", "json"});
    ASSERT_EQ(d.Wait(), 1) << d.Stdout() << d.Log();
    const Json doc = Json::parse(d.Stdout());
    auto row = [&](const std::string& pool, const std::string& check) -> Json {
        for (const auto& c : doc["checks"])
            if (c["pool"] == pool && c["check"] == check && c["status"] == "FAIL") return c;
        return nullptr;
    };
    const Json quota = row("too-big", "quota");
    ASSERT_FALSE(quota.is_null()) << doc.dump(2);
    EXPECT_TRUE(std::regex_search(
        quota["message"].get<std::string>(),
        std::regex("^QuotaExceeded: dedicated vCPUs of family standardDSv3Family: the pools "
                   "need [0-9]+ .* but dedicatedCoreQuotaPerVMFamily is 32")))
        << quota;
    EXPECT_NE(quota["fix"].get<std::string>().find("request a standardDSv3Family core quota of"),
              std::string::npos);
    const Json gen = row("gen1-only", "vm-size");
    ASSERT_FALSE(gen.is_null()) << doc.dump(2);
    EXPECT_EQ(gen["message"].get<std::string>().rfind("HyperVGenerationMismatch:", 0), 0u);
    EXPECT_NE(gen["fix"].get<std::string>().find("HyperVGenerations include V2"),
              std::string::npos);
    const Json tl = row("trusted", "security");
    ASSERT_FALSE(tl.is_null()) << doc.dump(2);
    EXPECT_EQ(tl["message"].get<std::string>().rfind("SecurityProfileRequired:", 0), 0u);
    EXPECT_NE(tl["fix"].get<std::string>().find("securityType: trustedLaunch"), std::string::npos);
    const Json file = row("", "pool-file");
    ASSERT_FALSE(file.is_null()) << doc.dump(2);
    EXPECT_TRUE(std::regex_search(file["message"].get<std::string>(),
                                  std::regex(R"(typo\.yaml:\d+:\d+: )")))
        << file;
    // The other checks of those pools pass; every FAIL carries its fix.
    for (const auto& c : doc["checks"]) {
        if (c["status"] == "FAIL") {
            EXPECT_FALSE(c["fix"].get<std::string>().empty()) << c;
        }
    }
    EXPECT_EQ(row("trusted", "quota"), nullptr);
    EXPECT_EQ(row("gen1-only", "security"), nullptr);
    EXPECT_GE(doc["summary"]["fail"].get<int>(), 5) << "4 above and the account's quota row";
    EXPECT_TRUE(e.Writes().empty()) << "doctor never writes";

    // The text form: each FAIL line with its fix line under it.
    auto& t = e.Start("doctor");
    ASSERT_EQ(t.Wait(), 1) << t.Log();
    const std::string text = t.Stdout();
    const std::vector<std::pair<std::string, std::string>> fails = {
        {"quota", "QuotaExceeded"},
        {"vm-size", "HyperVGenerationMismatch"},
        {"security", "SecurityProfileRequired"}};
    for (const auto& [check, code] : fails) {
        const auto at = text.find(fmt::format("    FAIL  {:<22} {}:", check, code));
        ASSERT_NE(at, std::string::npos) << code << "\n" << text;
        const auto next = text.find('\n', at) + 1;
        EXPECT_EQ(text.substr(next, 38), std::string(33, ' ') + "fix: ") << text.substr(at, 400);
    }
    EXPECT_TRUE(e.Writes().empty()) << "doctor never writes";
}

}  // namespace
}  // namespace pw::e2e
