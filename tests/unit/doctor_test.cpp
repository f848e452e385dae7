// `poolwarden doctor`'s pure parts: the finding -> check table, the Azure checks of one pass,
// rendering (text and JSON), the exit code, the clock-skew thresholds and the config rows.
#include "cli/doctor.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "azure/errors.hpp"
#include "http/http_date.hpp"

namespace pw::cli {
namespace {

using namespace std::chrono_literals;

const char* kImage =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/render/versions/1.4.0";

model::DesiredState Desired() {
    model::DesiredState d;
    model::AccountSpec a;
    a.name = "render-eus";
    a.subscription_id = "11111111-1111-1111-1111-111111111111";
    a.resource_group = "rg-batch";
    a.account_name = "renderbatch";
    d.accounts.push_back(a);
    for (const char* id : {"good", "bad"}) {
        model::PoolSpec p;
        p.id = id;
        p.account = "render-eus";
        p.vm_size = "Standard_D4s_v3";
        p.image = *model::ParseImageVersionId(kImage);
        p.node_agent_sku_id = "batch.node.ubuntu 22.04";
        p.fixed = model::FixedScale{2, 0};
        d.pools.push_back(p);
    }
    return d;
}

/// A pass that observed the account completely, with the VM size list and the image.
reconcile::CycleReport Observed() {
    reconcile::CycleReport r;
    r.observation.accounts["render-eus"] = {true, ""};
    auto& acc = r.observation.state.accounts["render-eus"];
    acc.location = "eastus";
    auto skus = std::make_shared<model::VmSkuTable>();
    model::VmSku sku;
    sku.name = "Standard_D4s_v3";
    sku.family = "standardDSv3Family";
    sku.vcpus = 4;
    sku.hyper_v_generations = {"V1", "V2"};
    (*skus)["standard_d4s_v3"] = sku;
    acc.vm_skus = skus;
    model::ObservedImage image;
    image.os_type = "Linux";
    image.os_state = "Generalized";
    image.hyper_v_generation = "V2";
    r.observation.state
        .images[model::ResourceKey(model::ParseImageVersionId(kImage)->image_definition_id())] =
        image;
    return r;
}

DoctorReads Reads() {
    DoctorReads reads;
    reads.tokens = {{"https://batch.core.windows.net/", true},
                    {"https://management.core.windows.net/", true}};
    azure::AccountInfo info;
    info.location = "eastus";
    info.dedicated_core_quota = 20000;
    info.low_priority_core_quota = 10000;
    info.pool_quota = 100;
    reads.accounts["render-eus"] = info;
    return reads;
}

model::Finding Finding(model::Severity s, std::string code, std::string pool, std::string msg) {
    model::Finding f;
    f.severity = s;
    f.code = std::move(code);
    f.account = "render-eus";
    f.pool = std::move(pool);
    f.message = std::move(msg);
    return f;
}

const DoctorCheck* Find(const std::vector<DoctorCheck>& checks, std::string_view pool,
                        std::string_view check) {
    for (const auto& c : checks)
        if (c.pool == pool && c.check == check) return &c;
    return nullptr;
}

TEST(DoctorTable, EveryPreflightAndPrerequisiteCodeHasACheck) {
    EXPECT_EQ(DoctorCheckForCode("QuotaExceeded"), "quota");
    EXPECT_EQ(DoctorCheckForCode("HyperVGenerationMismatch"), "vm-size");
    EXPECT_EQ(DoctorCheckForCode("VmSizeNotSupported"), "vm-size");
    EXPECT_EQ(DoctorCheckForCode("LowPriorityNotSupported"), "vm-size");
    EXPECT_EQ(DoctorCheckForCode("SecurityProfileRequired"), "security");
    EXPECT_EQ(DoctorCheckForCode("SecurityTypeMismatch"), "security");
    EXPECT_EQ(DoctorCheckForCode("VmSizeSecurityMismatch"), "security");
    EXPECT_EQ(DoctorCheckForCode("ImageNotFound"), "image");
    EXPECT_EQ(DoctorCheckForCode("ImageAccessDenied"), "image");
    EXPECT_EQ(DoctorCheckForCode("OsTypeMismatch"), "image-os");
    EXPECT_EQ(DoctorCheckForCode("NodeAgentSkuNotSupported"), "image-os");
    EXPECT_EQ(DoctorCheckForCode("ProviderNotRegistered"), "image-subscription");
    EXPECT_EQ(DoctorCheckForCode("TenantMismatch"), "image-subscription");
    EXPECT_EQ(DoctorCheckForCode("NotOwned"), "");
}

TEST(DoctorTable, SplitFixSeparatesTheFixSentence) {
    auto [what, fix] = SplitFix("vmSize X is not listed. Fix: choose a listed size");
    EXPECT_EQ(what, "vmSize X is not listed");
    EXPECT_EQ(fix, "choose a listed size");
    auto [only, none] = SplitFix("no fix here");
    EXPECT_EQ(only, "no fix here");
    EXPECT_EQ(none, "");
}

TEST(DoctorAzure, CleanPassIsAllOk) {
    auto checks = AzureChecks(Desired(), Observed(), Reads());
    // 5 account rows + 7 per pool.
    ASSERT_EQ(checks.size(), 5u + 2 * 7u);
    for (const auto& c : checks) EXPECT_EQ(c.status, DoctorStatus::Ok) << c.check << c.message;
    EXPECT_EQ(DoctorExitCode(checks), 0);
    EXPECT_EQ(checks[0].check, "token");
    EXPECT_EQ(checks[0].scope, "account");
    EXPECT_EQ(Find(checks, "good", "image")->scope, "pool");
    EXPECT_EQ(Find(checks, "good", "image")->account, "render-eus");
    EXPECT_NE(Find(checks, "good", "vm-size")->message.find("4 vCPUs"), std::string::npos);
}

TEST(DoctorAzure, FindingsFailTheirCheckWithTheFixOthersStayOk) {
    auto r = Observed();
    r.plan.findings.push_back(Finding(
        model::Severity::Error, "HyperVGenerationMismatch", "bad",
        "image definition render is Hyper-V generation V2 but vmSize Standard_A1 runs only V1. "
        "Fix: choose a vmSize whose HyperVGenerations include V2"));
    r.plan.findings.push_back(Finding(model::Severity::Error, "QuotaExceeded", "bad",
                                      "dedicated vCPUs: the pools need 192. Fix: request more"));
    r.plan.findings.push_back(
        Finding(model::Severity::Error, "ProviderNotRegistered", "bad",
                "Microsoft.Batch is not registered. Fix: az provider register -n "
                "Microsoft.Batch --subscription S"));
    auto checks = AzureChecks(Desired(), r, Reads());
    const auto* vm = Find(checks, "bad", "vm-size");
    ASSERT_NE(vm, nullptr);
    EXPECT_EQ(vm->status, DoctorStatus::Fail);
    EXPECT_EQ(vm->message.rfind("HyperVGenerationMismatch: image definition render", 0), 0u);
    EXPECT_EQ(vm->fix, "choose a vmSize whose HyperVGenerations include V2");
    EXPECT_EQ(Find(checks, "bad", "image-subscription")->status, DoctorStatus::Fail);
    EXPECT_EQ(Find(checks, "bad", "image-subscription")->fix,
              "az provider register -n Microsoft.Batch --subscription S");
    EXPECT_EQ(Find(checks, "bad", "quota")->status, DoctorStatus::Fail);
    EXPECT_EQ(Find(checks, "", "quota")->status, DoctorStatus::Fail) << "the account row too";
    EXPECT_NE(Find(checks, "", "quota")->message.find("bad"), std::string::npos);
    EXPECT_EQ(Find(checks, "bad", "security")->status, DoctorStatus::Ok);
    for (const char* c : {"image", "vm-size", "quota", "image-subscription"})
        EXPECT_EQ(Find(checks, "good", c)->status, DoctorStatus::Ok) << c;
    EXPECT_EQ(DoctorExitCode(checks), 1);
}

TEST(DoctorAzure, FindingsOutsideTheTableAreOtherRowsInfoIsIgnored) {
    auto r = Observed();
    r.plan.findings.push_back(
        Finding(model::Severity::Warning, "NotOwned", "good", "pool exists without marker"));
    r.plan.findings.push_back(Finding(model::Severity::Info, "PoolResizing", "good", "resizing"));
    auto checks = AzureChecks(Desired(), r, Reads());
    const auto* other = Find(checks, "good", "other");
    ASSERT_NE(other, nullptr);
    EXPECT_EQ(other->status, DoctorStatus::Warn);
    EXPECT_EQ(other->message, "NotOwned: pool exists without marker");
    EXPECT_FALSE(other->fix.empty());
    EXPECT_EQ(DoctorExitCode(checks), 0) << "a WARN alone exits 0";
}

TEST(DoctorAzure, FailedTokenFailsTheTokenAndSkipsTheReads) {
    reconcile::CycleReport r;
    r.observation.accounts["render-eus"] = {false, "batch account: Auth 401: AADSTS7000215"};
    DoctorReads reads;
    reads.tokens = {{"https://management.core.windows.net/", false}};
    reads.account_errors["render-eus"] =
        azure::MakeError(azure::ErrorKind::Auth, "AADSTS7000215: Invalid client secret", 401);
    auto checks = AzureChecks(Desired(), r, reads);
    EXPECT_EQ(Find(checks, "", "token")->status, DoctorStatus::Fail);
    EXPECT_NE(Find(checks, "", "token")->message.find("AADSTS7000215"), std::string::npos);
    EXPECT_EQ(Find(checks, "", "account-readable")->status, DoctorStatus::Warn);
    EXPECT_EQ(Find(checks, "good", "image")->status, DoctorStatus::Warn);
    EXPECT_EQ(DoctorExitCode(checks), 1);
}

TEST(DoctorAzure, UnreadableAccountPoolListAndSkuList) {
    auto r = Observed();
    r.observation.accounts["render-eus"] = {false, "pool list: Auth 403 Forbidden: no"};
    auto reads = Reads();
    auto checks = AzureChecks(Desired(), r, reads);
    EXPECT_EQ(Find(checks, "", "pool-list")->status, DoctorStatus::Fail);
    EXPECT_EQ(Find(checks, "good", "image")->status, DoctorStatus::Warn);

    auto r2 = Observed();
    r2.observation.state.accounts["render-eus"].vm_skus = nullptr;
    reads.sku_errors[observe::SkuKey("11111111-1111-1111-1111-111111111111", "eastus")] =
        azure::MakeError(azure::ErrorKind::Auth, "denied", 403, "AuthorizationFailed");
    checks = AzureChecks(Desired(), r2, reads);
    const auto* list = Find(checks, "", "vm-size-list");
    EXPECT_EQ(list->status, DoctorStatus::Warn);
    EXPECT_NE(list->fix.find("Reader on subscription"), std::string::npos);
    EXPECT_EQ(Find(checks, "good", "vm-size")->status, DoctorStatus::Warn);
    EXPECT_EQ(Find(checks, "good", "image")->status, DoctorStatus::Ok);

    auto r3 = Observed();
    reads.account_errors["render-eus"] =
        azure::MakeError(azure::ErrorKind::Client, "not found", 404, "ResourceNotFound");
    reads.accounts.clear();
    checks = AzureChecks(Desired(), r3, reads);
    EXPECT_EQ(Find(checks, "", "account-readable")->status, DoctorStatus::Fail);
    EXPECT_NE(Find(checks, "", "account-readable")->fix.find("accountName"), std::string::npos);
}

TEST(DoctorAzure, UnreadableImageFailsTheImageCheck) {
    auto r = Observed();
    r.observation.failed_versions[model::ResourceKey(kImage)] = "Auth 403 AuthorizationFailed";
    auto checks = AzureChecks(Desired(), r, Reads());
    const auto* image = Find(checks, "good", "image");
    EXPECT_EQ(image->status, DoctorStatus::Fail);
    EXPECT_NE(image->message.find("403"), std::string::npos);
    EXPECT_NE(image->fix.find("Reader on gallery studio"), std::string::npos);
}

TEST(DoctorRender, TextGroupsByAccountThenPoolWithFixLines) {
    std::vector<DoctorCheck> checks = {
        {"local", "", "", "daemon-file", DoctorStatus::Ok, "pw.yaml: 1 account(s)", ""},
        {"account", "render-eus", "", "token", DoctorStatus::Ok, "token obtained", ""},
        {"pool", "render-eus", "gen1", "vm-size", DoctorStatus::Fail, "HyperV: no", "choose"},
        {"pool", "render-eus", "gen1", "security", DoctorStatus::Ok, "fine", "unused"},
    };
    EXPECT_EQ(RenderDoctorText(checks),
              "local\n"
              "  OK    daemon-file            pw.yaml: 1 account(s)\n"
              "\n"
              "account render-eus\n"
              "  OK    token                  token obtained\n"
              "  pool gen1\n"
              "    FAIL  vm-size                HyperV: no\n"
              "                                 fix: choose\n"
              "    OK    security               fine\n"
              "\n"
              "4 checks: 3 OK, 0 WARN, 1 FAIL\n");
    EXPECT_EQ(DoctorExitCode(checks), 1);
    checks[2].status = DoctorStatus::Warn;
    EXPECT_EQ(DoctorExitCode(checks), 0);
}

TEST(DoctorRender, JsonIsStable) {
    std::vector<DoctorCheck> checks = {
        {"local", "", "", "clock-skew", DoctorStatus::Warn, "90 s ahead", "sync"},
        {"pool", "a", "p", "quota", DoctorStatus::Fail, "QuotaExceeded: x", "request"},
    };
    auto j = nlohmann::json::parse(RenderDoctorJson(checks));
    ASSERT_EQ(j["checks"].size(), 2u);
    EXPECT_EQ(j["checks"][0], nlohmann::json({{"scope", "local"},
                                              {"account", ""},
                                              {"pool", ""},
                                              {"check", "clock-skew"},
                                              {"status", "WARN"},
                                              {"message", "90 s ahead"},
                                              {"fix", "sync"}}));
    EXPECT_EQ(j["checks"][1]["status"], "FAIL");
    EXPECT_EQ(j["summary"], nlohmann::json({{"ok", 0}, {"warn", 1}, {"fail", 1}}));
}

TEST(DoctorLocal, ClockSkewThresholds) {
    const auto server = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    const std::string date = http::FormatHttpDate(server);
    EXPECT_EQ(ClockSkewCheck("login", date, server + 2s).status, DoctorStatus::Ok);
    EXPECT_EQ(ClockSkewCheck("login", date, server + 60s).status, DoctorStatus::Ok);
    EXPECT_EQ(ClockSkewCheck("login", date, server + 61s).status, DoctorStatus::Warn);
    EXPECT_EQ(ClockSkewCheck("login", date, server - 300s).status, DoctorStatus::Warn);
    auto fail = ClockSkewCheck("login", date, server - 301s);
    EXPECT_EQ(fail.status, DoctorStatus::Fail);
    EXPECT_NE(fail.message.find("301 s behind login"), std::string::npos) << fail.message;
    EXPECT_FALSE(fail.fix.empty());
    EXPECT_EQ(ClockSkewCheck("login", std::nullopt, server).status, DoctorStatus::Warn);
    EXPECT_EQ(ClockSkewCheck("login", "garbage", server).status, DoctorStatus::Warn);
}

TEST(DoctorLocal, ConfigRowsNameFileAndLine) {
    std::vector<config::ConfigError> errors = {
        {"/etc/pw/poolwarden.yaml", 3, 5, "auth.method", "unknown method"}};
    auto rows = ConfigChecks("/etc/pw/poolwarden.yaml", nullptr, errors);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].status, DoctorStatus::Fail);
    EXPECT_NE(rows[0].message.find("poolwarden.yaml:3:5"), std::string::npos) << rows[0].message;

    config::LoadedConfig loaded;
    config::PoolFile good;
    good.file = "pools.d/good.yaml";
    good.pools.resize(2);
    config::PoolFile bad;
    bad.file = "pools.d/bad.yaml";
    bad.errors.push_back({"pools.d/bad.yaml", 7, 3, "pools[0].vmSize", "must be a string"});
    loaded.pool_files = {good, bad};
    rows = ConfigChecks("pw.yaml", &loaded, {});
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].check, "daemon-file");
    EXPECT_EQ(rows[1].status, DoctorStatus::Ok);
    EXPECT_EQ(rows[1].message, "pools.d/good.yaml: 2 pool(s)");
    EXPECT_EQ(rows[2].status, DoctorStatus::Fail);
    EXPECT_NE(rows[2].message.find("pools.d/bad.yaml:7:3"), std::string::npos);
}

TEST(DoctorLocal, SecretFilesPresentAndPrivate) {
    auto dir = std::filesystem::temp_directory_path() / "pw-doctor-test";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "secret") << "s3cr3t-value";
    std::filesystem::permissions(
        dir / "secret", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    config::LoadedConfig loaded;
    loaded.daemon.auth.method = "clientSecret";
    loaded.daemon.auth.client_secret_file = (dir / "secret").string();
    auto no_env = [](const char*) { return std::string(); };
    auto rows = SecretFileChecks(loaded, no_env);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].status, DoctorStatus::Ok) << rows[0].message;
    EXPECT_EQ(rows[0].message.find("s3cr3t"), std::string::npos) << "never the contents";

    std::filesystem::permissions(dir / "secret", std::filesystem::perms::group_read,
                                 std::filesystem::perm_options::add);
    rows = SecretFileChecks(loaded, no_env);
    EXPECT_EQ(rows[0].status, DoctorStatus::Warn);
    EXPECT_NE(rows[0].fix.find("chmod 600"), std::string::npos);

    loaded.daemon.auth.client_secret_file = (dir / "missing").string();
    rows = SecretFileChecks(loaded, no_env);
    EXPECT_EQ(rows[0].status, DoctorStatus::Fail);
    std::filesystem::remove_all(dir);

    // Not referred to: not applicable; referred to and set to a file: FAIL.
    loaded.daemon.auth.client_secret_file = "/abs/secret";
    EXPECT_EQ(CredentialsDirectoryCheck(loaded, no_env).status, DoctorStatus::Ok);
    loaded.daemon.auth.client_secret_file.clear();
    auto bad_env = [](const char* n) {
        return std::string(n) == "CREDENTIALS_DIRECTORY" ? "/nonexistent/creds" : "";
    };
    EXPECT_EQ(CredentialsDirectoryCheck(loaded, bad_env).status, DoctorStatus::Fail);
    auto good_env = [](const char* n) {
        return std::string(n) == "CREDENTIALS_DIRECTORY" ? "/tmp" : "";
    };
    EXPECT_EQ(CredentialsDirectoryCheck(loaded, good_env).status, DoctorStatus::Ok);
}

TEST(DoctorLocal, ListenAddressInUseIsReported) {
    EXPECT_EQ(ListenAddressCheck("127.0.0.1:0").status, DoctorStatus::Ok);
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor held(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    const auto port = held.local_endpoint().port();
    auto row = ListenAddressCheck("127.0.0.1:" + std::to_string(port));
    EXPECT_EQ(row.status, DoctorStatus::Fail) << row.message;
    EXPECT_NE(row.message.find("in use"), std::string::npos);
    held.close();
    EXPECT_EQ(ListenAddressCheck("127.0.0.1:" + std::to_string(port)).status, DoctorStatus::Ok);
    EXPECT_EQ(ListenAddressCheck("nonsense").status, DoctorStatus::Fail);
}

}  // namespace
}  // namespace pw::cli
