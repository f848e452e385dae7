// Pre-flight rules (planner/preflight.hpp): the quota rule at its boundaries, the image and VM
// size compatibility checks, and how MakePlan holds the pools they fail.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "planner/planner.hpp"
#include "planner/preflight.hpp"

namespace pw::planner::preflight_test {
namespace {

using model::ActionKind;
using model::Severity;
using ::testing::HasSubstr;

model::VmSku Sku(std::string name, std::string family, int vcpus,
                 std::vector<std::string> gens = {"V1", "V2"}) {
    model::VmSku s;
    s.name = std::move(name);
    s.family = std::move(family);
    s.vcpus = vcpus;
    s.hyper_v_generations = std::move(gens);
    return s;
}

std::shared_ptr<const model::VmSkuTable> Skus() {
    auto t = std::make_shared<model::VmSkuTable>();
    for (auto s : {Sku("Standard_D4s_v3", "standardDSv3Family", 4),
                   Sku("Standard_D8s_v3", "standardDSv3Family", 8),
                   Sku("Standard_F8s_v2", "standardFSv2Family", 8),
                   Sku("Standard_A1", "standardA0_A7Family", 1, {"V1"})}) {
        std::string key = s.name;
        std::transform(key.begin(), key.end(), key.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        t->emplace(key, s);
    }
    return t;
}

model::ObservedAccount Facts(int dedicated, int low = 1000, int pools = 100) {
    model::ObservedAccount a;
    a.location = "eastus";
    a.dedicated_core_quota = dedicated;
    a.low_priority_core_quota = low;
    a.pool_quota = pools;
    a.vm_skus = Skus();
    return a;
}

QuotaPool Create(std::string id, std::string size, int dedicated, int low = 0) {
    QuotaPool p;
    p.id = std::move(id);
    p.vm_size = std::move(size);
    p.declared = true;
    p.creates = true;
    p.want_dedicated = dedicated;
    p.want_low = low;
    return p;
}

QuotaPool Other(std::string id, std::string size, int dedicated, int low = 0) {
    QuotaPool p;
    p.id = std::move(id);
    p.vm_size = std::move(size);
    p.exists = true;
    p.current_dedicated = dedicated;
    p.current_low = low;
    return p;
}

std::vector<std::string> Held(const QuotaCheck& c) {
    std::vector<std::string> out;
    for (const auto& d : c.decisions)
        if (d.held) out.push_back(d.id);
    return out;
}

// --- CheckQuota ---------------------------------------------------------------------------

TEST(QuotaRule, ExactlyAtTheDedicatedQuotaFits) {
    auto c = CheckQuota("eus", Facts(64), {Create("a", "Standard_D8s_v3", 8)}, false);
    EXPECT_TRUE(Held(c).empty());
    EXPECT_TRUE(c.findings.empty());
}

TEST(QuotaRule, OneVcpuOverTheDedicatedQuotaIsHeldWithTheQuotaToRequest) {
    auto c = CheckQuota("eus", Facts(63), {Create("a", "Standard_D8s_v3", 8)}, false);
    EXPECT_THAT(Held(c), ::testing::ElementsAre("a"));
    ASSERT_EQ(c.findings.size(), 1u);
    const auto& f = c.findings[0];
    EXPECT_EQ(f.code, "QuotaExceeded");
    EXPECT_EQ(f.severity, Severity::Error);
    EXPECT_EQ(f.account, "eus");
    EXPECT_EQ(f.pool, "a");
    EXPECT_THAT(f.message, HasSubstr("the pools need 64 (a 64) but dedicatedCoreQuota is 63"));
    EXPECT_THAT(f.message, HasSubstr("request a dedicated core quota of at least 64"));
}

TEST(QuotaRule, PoolsThatFitAreAdmittedInOrderAndTheRestHeld) {
    // 150 cores: a (64) and b (64) fit, c (64) would need 192.
    auto c = CheckQuota("eus", Facts(150),
                        {Create("a", "Standard_D4s_v3", 16), Create("b", "Standard_D4s_v3", 16),
                         Create("c", "Standard_D4s_v3", 16), Create("d", "Standard_D4s_v3", 5)},
                        false);
    EXPECT_THAT(Held(c), ::testing::ElementsAre("c"));
    ASSERT_EQ(c.findings.size(), 1u);
    EXPECT_THAT(c.findings[0].message, HasSubstr("need 192 (a 64, b 64, c 64)"));
    // d (20) still fits after c was held: 128 + 20 <= 150.
}

TEST(QuotaRule, FamilyQuotaCountsOnlyWhenEnforced) {
    auto facts = Facts(1000);
    facts.family_core_quota = {{"standarddsv3family", 32}, {"standardfsv2family", 100}};
    std::vector<QuotaPool> pools = {Create("d1", "Standard_D4s_v3", 8),
                                    Create("d2", "Standard_D4s_v3", 1),
                                    Create("f", "Standard_F8s_v2", 8)};
    auto loose = CheckQuota("eus", facts, pools, false);
    EXPECT_TRUE(Held(loose).empty()) << "dedicatedCoreQuotaPerVMFamilyEnforced false";
    facts.family_quota_enforced = true;
    auto strict = CheckQuota("eus", facts, pools, false);
    EXPECT_THAT(Held(strict), ::testing::ElementsAre("d2"));
    ASSERT_EQ(strict.findings.size(), 1u);
    EXPECT_THAT(strict.findings[0].message,
                HasSubstr("dedicated vCPUs of family standardDSv3Family: the pools need 36 "
                          "(d1 32, d2 4) but dedicatedCoreQuotaPerVMFamily is 32"));
    EXPECT_THAT(strict.findings[0].message,
                HasSubstr("request a standardDSv3Family core quota of at least 36"));
}

TEST(QuotaRule, EnforcedFamilyWithoutAnEntryHasNoCores) {
    auto facts = Facts(1000);
    facts.family_quota_enforced = true;
    auto c = CheckQuota("eus", facts, {Create("a", "Standard_A1", 1)}, false);
    EXPECT_THAT(Held(c), ::testing::ElementsAre("a"));
}

TEST(QuotaRule, LowPriorityAgainstItsOwnQuota) {
    auto at = CheckQuota("eus", Facts(0, 20), {Create("a", "Standard_D4s_v3", 0, 5)}, false);
    EXPECT_TRUE(Held(at).empty());
    auto over = CheckQuota("eus", Facts(0, 19), {Create("a", "Standard_D4s_v3", 0, 5)}, false);
    EXPECT_THAT(Held(over), ::testing::ElementsAre("a"));
    ASSERT_EQ(over.findings.size(), 1u);
    EXPECT_THAT(over.findings[0].message,
                HasSubstr("low-priority vCPUs: the pools need 20 (a 20) but lowPriorityCoreQuota "
                          "is 19"));
}

TEST(QuotaRule, PoolCountAgainstPoolQuota) {
    auto c = CheckQuota("eus", Facts(1000, 1000, 2),
                        {Other("theirs", "Standard_D4s_v3", 1), Create("a", "Standard_D4s_v3", 1),
                         Create("b", "Standard_D4s_v3", 1)},
                        false);
    EXPECT_THAT(Held(c), ::testing::ElementsAre("b"));
    ASSERT_EQ(c.findings.size(), 1u);
    EXPECT_THAT(c.findings[0].message,
                HasSubstr("the account holds 2 pools and its poolQuota is 2"));
    EXPECT_THAT(c.findings[0].message, HasSubstr("request a pool quota of at least 3"));
}

TEST(QuotaRule, OtherPoolsCountAtTheirTargetsAndDeclaredOnesAtFullSize) {
    QuotaPool autoscale = Create("auto", "Standard_D4s_v3", 10);
    autoscale.creates = false;
    autoscale.exists = true;
    autoscale.fixed = false;  // maxNodes 10, running 0 now: counts 40
    auto c = CheckQuota(
        "eus", Facts(59),
        {autoscale, Other("theirs", "Standard_D4s_v3", 4), Create("a", "Standard_D4s_v3", 1)},
        false);
    EXPECT_THAT(Held(c), ::testing::ElementsAre("a"));
    ASSERT_EQ(c.findings.size(), 1u);
    EXPECT_THAT(c.findings[0].message, HasSubstr("need 60 (auto 40, theirs 16, a 4) but"));
    EXPECT_TRUE(Held(CheckQuota("eus", Facts(59),
                                {autoscale, Other("theirs", "Standard_D4s_v3", 3),
                                 Create("a", "Standard_D4s_v3", 1)},
                                false))
                    .empty());
}

TEST(QuotaRule, GrowthCountsOnlyTheAddedNodes) {
    QuotaPool grow = Create("a", "Standard_D4s_v3", 10);
    grow.creates = false;
    grow.grows = true;
    grow.exists = true;
    grow.current_dedicated = 4;
    EXPECT_TRUE(Held(CheckQuota("eus", Facts(40), {grow}, false)).empty());
    auto c = CheckQuota("eus", Facts(39), {grow}, false);
    EXPECT_THAT(Held(c), ::testing::ElementsAre("a"));
    EXPECT_THAT(c.findings.at(0).message, HasSubstr("the pool is not grown"));
}

TEST(QuotaRule, PartialGrowthGoesUpToTheQuota) {
    QuotaPool grow = Create("a", "Standard_D4s_v3", 10);
    grow.creates = false;
    grow.grows = true;
    grow.exists = true;
    grow.current_dedicated = 4;
    auto c = CheckQuota("eus", Facts(39), {grow}, true);
    EXPECT_TRUE(Held(c).empty());
    ASSERT_EQ(c.decisions.size(), 1u);
    EXPECT_EQ(c.decisions[0].dedicated, 9) << "36 of 39 vCPUs: 9 nodes of 4";
    EXPECT_EQ(c.decisions[0].low, 0);
    ASSERT_EQ(c.findings.size(), 1u);
    EXPECT_EQ(c.findings[0].severity, Severity::Warning);
    EXPECT_THAT(c.findings[0].message, HasSubstr("the pool goes to 9 dedicated"));
}

TEST(QuotaRule, PartialGrowthHoldsWhatCannotGrowAtAllAndAutoscaleCreates) {
    auto none = CheckQuota("eus", Facts(3), {Create("a", "Standard_D4s_v3", 2)}, true);
    EXPECT_THAT(Held(none), ::testing::ElementsAre("a")) << "not even one node fits";
    EXPECT_EQ(none.findings.at(0).severity, Severity::Error);
    QuotaPool autoscale = Create("auto", "Standard_D4s_v3", 10);
    autoscale.fixed = false;
    auto c = CheckQuota("eus", Facts(20), {autoscale}, true);
    EXPECT_THAT(Held(c), ::testing::ElementsAre("auto"));
}

TEST(QuotaRule, UnknownFactsAreNotChecked) {
    auto facts = Facts(1);
    facts.vm_skus = nullptr;  // the list was not read
    EXPECT_TRUE(
        Held(CheckQuota("eus", facts, {Create("a", "Standard_D4s_v3", 10)}, false)).empty());
    auto user_subscription = Facts(1);
    user_subscription.dedicated_core_quota.reset();
    user_subscription.low_priority_core_quota.reset();
    EXPECT_TRUE(
        Held(CheckQuota("eus", user_subscription, {Create("a", "Standard_D4s_v3", 10)}, false))
            .empty());
}

// --- CheckCompatibility -------------------------------------------------------------------

const char* kVersionId =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/render/versions/1.4.0";

model::PropValue Obj(std::vector<model::PropMember> members) {
    model::PropValue v;
    v.kind = model::PropValue::Kind::Object;
    v.members = std::move(members);
    return v;
}

model::PropValue Str(std::string text) {
    model::PropValue v;
    v.kind = model::PropValue::Kind::String;
    v.text = std::move(text);
    return v;
}

model::PoolSpec Spec(std::string id, int dedicated, std::string size = "Standard_D4s_v3") {
    model::PoolSpec s;
    s.id = std::move(id);
    s.account = "eus";
    s.vm_size = std::move(size);
    s.image = *model::ParseImageVersionId(kVersionId);
    s.node_agent_sku_id = "batch.node.ubuntu 22.04";
    s.fixed = model::FixedScale{dedicated, 0};
    return s;
}

void SetSecurityType(model::PoolSpec& s, std::string type) {
    s.properties =
        Obj({{"virtualMachineConfiguration",
              Obj({{"securityProfile", Obj({{"securityType", Str(std::move(type))}})}})}});
}

model::ObservedImage Image(std::string gen, std::string security = "") {
    model::ObservedImage img{"", "Linux", "Generalized", std::move(gen), std::move(security)};
    return img;
}

std::vector<std::string> Codes(const std::vector<model::Finding>& findings) {
    std::vector<std::string> out;
    for (const auto& f : findings) out.push_back(f.code);
    return out;
}

TEST(Compatibility, HyperVGenerationOfImageAndSize) {
    auto gen1_only = Sku("Standard_A1", "standardA0_A7Family", 1, {"V1"});
    auto both = Sku("Standard_D4s_v3", "standardDSv3Family", 4);
    auto spec = Spec("a", 1);
    auto v2 = Image("V2");
    auto f = CheckCompatibility(spec, &v2, &gen1_only, true);
    EXPECT_THAT(Codes(f), ::testing::ElementsAre("HyperVGenerationMismatch"));
    EXPECT_THAT(f[0].message, HasSubstr("is Hyper-V generation V2 but vmSize Standard_D4s_v3 "
                                        "runs only V1. Fix:"));
    EXPECT_TRUE(CheckCompatibility(spec, &v2, &both, true).empty());
    auto v1 = Image("V1");
    EXPECT_TRUE(CheckCompatibility(spec, &v1, &gen1_only, true).empty());
}

TEST(Compatibility, TrustedLaunchImageNeedsTheSecurityProfile) {
    auto sku = Sku("Standard_D4s_v3", "standardDSv3Family", 4);
    auto tl = Image("V2", "TrustedLaunch");
    auto spec = Spec("a", 1);
    auto f = CheckCompatibility(spec, &tl, &sku, true);
    EXPECT_THAT(Codes(f), ::testing::ElementsAre("SecurityProfileRequired"));
    EXPECT_THAT(f[0].message, HasSubstr("securityProfile.securityType: trustedLaunch"));
    SetSecurityType(spec, "trustedLaunch");
    EXPECT_TRUE(CheckCompatibility(spec, &tl, &sku, true).empty());
    auto supported = Image("V2", "TrustedLaunchSupported");
    EXPECT_TRUE(CheckCompatibility(spec, &supported, &sku, true).empty());
    EXPECT_TRUE(CheckCompatibility(Spec("b", 1), &supported, &sku, true).empty())
        << "a *Supported image also runs as a standard VM";
}

TEST(Compatibility, PoolSecurityTypeTheImageOrSizeCannotRun) {
    auto sku = Sku("Standard_D4s_v3", "standardDSv3Family", 4);
    auto spec = Spec("a", 1);
    SetSecurityType(spec, "trustedLaunch");
    auto standard = Image("V2");
    EXPECT_THAT(Codes(CheckCompatibility(spec, &standard, &sku, true)),
                ::testing::ElementsAre("SecurityTypeMismatch"));
    auto tl = Image("V2", "TrustedLaunch");
    sku.trusted_launch_disabled = true;
    EXPECT_THAT(Codes(CheckCompatibility(spec, &tl, &sku, true)),
                ::testing::ElementsAre("VmSizeSecurityMismatch"));
    SetSecurityType(spec, "confidentialVM");
    EXPECT_THAT(Codes(CheckCompatibility(spec, &tl, &sku, true)),
                ::testing::ElementsAre("SecurityProfileRequired"));
}

TEST(Compatibility, SizeMissingFromTheListAndLowPriority) {
    auto spec = Spec("a", 1, "Standard_Z99");
    auto img = Image("V1");
    EXPECT_THAT(Codes(CheckCompatibility(spec, &img, nullptr, true)),
                ::testing::ElementsAre("VmSizeNotSupported"));
    EXPECT_TRUE(CheckCompatibility(spec, &img, nullptr, false).empty()) << "list not read";
    auto sku = Sku("Standard_A1", "standardA0_A7Family", 1, {"V1"});
    sku.low_priority_capable = false;
    auto low = Spec("b", 0, "Standard_A1");
    low.fixed->target_low_priority_nodes = 2;
    EXPECT_THAT(Codes(CheckCompatibility(low, &img, &sku, true)),
                ::testing::ElementsAre("LowPriorityNotSupported"));
}

// --- CheckNodeAgentSku, CheckImageSubscription, ImageAccessDenied --------------------------

model::NodeAgentSkuTable Agents() {
    // nodeAgentSKUIds and osTypes of Batch's example list (AccountListSupportedImages.json).
    return {{"batch.node.ubuntu 22.04", "linux"},
            {"batch.node.el 9", "linux"},
            {"batch.node.windows amd64", "windows"}};
}

TEST(NodeAgentSku, ListedSkuOfTheImagesOsPasses) {
    auto agents = Agents();
    auto linux_image = Image("V2");
    EXPECT_TRUE(CheckNodeAgentSku(Spec("a", 1), &linux_image, &agents).empty());
    auto upper = Spec("a", 1);
    upper.node_agent_sku_id = "Batch.Node.Ubuntu 22.04";
    EXPECT_TRUE(CheckNodeAgentSku(upper, &linux_image, &agents).empty())
        << "ids compare without case";
    auto win = Spec("w", 1);
    win.node_agent_sku_id = "batch.node.windows amd64";
    model::ObservedImage windows_image{"", "Windows", "Generalized", "V2", ""};
    EXPECT_TRUE(CheckNodeAgentSku(win, &windows_image, &agents).empty());
}

TEST(NodeAgentSku, UnlistedSkuIsNotSupported) {
    auto agents = Agents();
    auto img = Image("V2");
    auto spec = Spec("a", 1);
    spec.node_agent_sku_id = "batch.node.ubuntu 18.04";
    auto f = CheckNodeAgentSku(spec, &img, &agents);
    EXPECT_THAT(Codes(f), ::testing::ElementsAre("NodeAgentSkuNotSupported"));
    EXPECT_THAT(f[0].message, HasSubstr("'batch.node.ubuntu 18.04' is not in Batch's supported"));
    EXPECT_THAT(f[0].message, HasSubstr("Fix: set nodeAgentSkuId to a listed SKU for linux images: "
                                        "batch.node.el 9, batch.node.ubuntu 22.04"));
    EXPECT_TRUE(CheckNodeAgentSku(spec, &img, nullptr).empty()) << "list not read: not checked";
}

TEST(NodeAgentSku, SkuOsMustMatchTheImageDefinitionsOsType) {
    auto agents = Agents();
    auto spec = Spec("a", 1);
    spec.node_agent_sku_id = "batch.node.windows amd64";
    auto linux_image = Image("V2");
    auto f = CheckNodeAgentSku(spec, &linux_image, &agents);
    EXPECT_THAT(Codes(f), ::testing::ElementsAre("OsTypeMismatch"));
    EXPECT_THAT(f[0].message, HasSubstr("runs windows nodes but image definition render has "
                                        "osType Linux. Fix: set nodeAgentSkuId to a SKU Batch "
                                        "lists for linux images"));
    model::ObservedImage windows_image{"", "Windows", "Generalized", "V2", ""};
    EXPECT_THAT(Codes(CheckNodeAgentSku(Spec("b", 1), &windows_image, &agents)),
                ::testing::ElementsAre("OsTypeMismatch"));
    EXPECT_TRUE(CheckNodeAgentSku(spec, nullptr, &agents).empty())
        << "no definition: listed is enough";
}

const char* kImageSub = "11111111-1111-1111-1111-111111111111";  // kVersionId's subscription
const char* kBatchSub = "44444444-4444-4444-4444-444444444444";

std::map<std::string, model::SubscriptionFacts> Subs(std::string image_tenant,
                                                     std::string registration,
                                                     std::string account_tenant = "t1") {
    return {{kImageSub, {std::move(image_tenant), std::move(registration)}},
            {kBatchSub, {std::move(account_tenant), ""}}};
}

TEST(ImageSubscription, SameSubscriptionIsNeverChecked) {
    EXPECT_TRUE(CheckImageSubscription(Spec("a", 1), "11111111-1111-1111-1111-111111111111",
                                       Subs("t2", "NotRegistered"))
                    .empty());
    EXPECT_TRUE(
        CheckImageSubscription(Spec("a", 1), "11111111-1111-1111-1111-111111111111", {}).empty());
}

TEST(ImageSubscription, ProviderMustBeRegisteredInTheImagesSubscription) {
    EXPECT_TRUE(CheckImageSubscription(Spec("a", 1), kBatchSub, Subs("t1", "Registered")).empty());
    for (const char* state : {"NotRegistered", "Registering", "Unregistering"}) {
        auto f = CheckImageSubscription(Spec("a", 1), kBatchSub, Subs("t1", state));
        EXPECT_THAT(Codes(f), ::testing::ElementsAre("ProviderNotRegistered")) << state;
        EXPECT_THAT(f[0].message,
                    HasSubstr(std::string("Microsoft.Batch is ") + state +
                              "; Batch uses an image from another subscription only where"));
        EXPECT_THAT(f[0].message, HasSubstr("Fix: az provider register --namespace "
                                            "Microsoft.Batch --subscription " +
                                            std::string(kImageSub)));
    }
    EXPECT_TRUE(CheckImageSubscription(Spec("a", 1), kBatchSub, Subs("t1", "")).empty())
        << "registration not read: not checked";
}

TEST(ImageSubscription, BothSubscriptionsInOneTenant) {
    auto f = CheckImageSubscription(Spec("a", 1), kBatchSub, Subs("t2", "Registered"));
    EXPECT_THAT(Codes(f), ::testing::ElementsAre("TenantMismatch"));
    EXPECT_THAT(f[0].message, HasSubstr("of tenant t2 but the Batch account's subscription " +
                                        std::string(kBatchSub) + " is in tenant t1"));
    EXPECT_THAT(f[0].message, HasSubstr("Fix: copy the image version to a gallery"));
    EXPECT_TRUE(CheckImageSubscription(Spec("a", 1), kBatchSub, Subs("T1", "Registered")).empty())
        << "tenant ids compare without case";
    EXPECT_TRUE(CheckImageSubscription(Spec("a", 1), kBatchSub, Subs("", "Registered")).empty())
        << "a tenant not read: not checked";
    EXPECT_TRUE(
        CheckImageSubscription(Spec("a", 1), kBatchSub, Subs("t2", "Registered", "")).empty());
    EXPECT_THAT(Codes(CheckImageSubscription(Spec("a", 1), kBatchSub, Subs("t2", "NotRegistered"))),
                ::testing::ElementsAre("ProviderNotRegistered", "TenantMismatch"));
}

TEST(ImageAccess, DeniedNamesTheRoleAndTheGallery) {
    auto f =
        ImageAccessDenied(Spec("a", 1), "image version x", "auth 403 AuthorizationFailed: no read");
    EXPECT_EQ(f.code, "ImageAccessDenied");
    EXPECT_EQ(f.severity, Severity::Error);
    EXPECT_THAT(f.message, HasSubstr("may not read image version x (auth 403 AuthorizationFailed"));
    EXPECT_THAT(f.message,
                HasSubstr("Fix: grant the daemon's identity Reader (or a role with "
                          "Microsoft.Compute/galleries/images/versions/read) on gallery "
                          "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/"
                          "rg-images/providers/Microsoft.Compute/galleries/studio"));
}

// --- MakePlan -----------------------------------------------------------------------------

model::DesiredState Desired(std::vector<model::PoolSpec> pools) {
    model::DesiredState d;
    d.accounts.push_back({"eus", "sub", "rg-batch", "renderbatch", {}, {}});
    d.pools = std::move(pools);
    return d;
}

model::ObservedState World(model::ObservedAccount account, std::string gen = "V2") {
    model::ObservedState o;
    o.accounts["eus"] = std::move(account);
    model::ObservedImageVersion v;
    v.id = kVersionId;
    v.location = "eastus";
    v.provisioning_state = "Succeeded";
    v.target_regions = {{"East US", 5, "Standard_LRS", ""}};
    v.aggregated_state = "Completed";
    v.summary = {{"East US", "Completed", 100}};
    o.image_versions[model::ResourceKey(kVersionId)] = v;
    auto img = Image(std::move(gen));
    img.id = model::ParseImageVersionId(kVersionId)->image_definition_id();
    o.images[model::ResourceKey(img.id)] = img;
    return o;
}

std::vector<std::string> Created(const model::Plan& plan) {
    std::vector<std::string> out;
    for (const auto& a : plan.actions)
        if (a.kind == ActionKind::CreatePool) out.push_back(a.pool);
    return out;
}

TEST(PreflightPlan, ThreePoolsOverTheFamilyQuotaCreateTheTwoThatFit) {
    auto facts = Facts(1000);
    facts.family_quota_enforced = true;
    facts.family_core_quota = {{"standarddsv3family", 150}};
    auto plan = MakePlan(Desired({Spec("a", 16), Spec("b", 16), Spec("c", 16)}), World(facts), {});
    EXPECT_THAT(Created(plan), ::testing::ElementsAre("a", "b"));
    ASSERT_EQ(plan.findings.size(), 1u);
    EXPECT_EQ(plan.findings[0].code, "QuotaExceeded");
    EXPECT_EQ(plan.findings[0].pool, "c");
    EXPECT_EQ(plan.findings[0].image_version, kVersionId);
    EXPECT_THAT(plan.findings[0].message, HasSubstr("standardDSv3Family: the pools need 192"));
    EXPECT_THAT(plan.findings[0].message,
                HasSubstr("quota of at least 192 for Batch account renderbatch"))
        << "the fix names the account as Azure knows it";
    // Raising the quota lets c through.
    facts.family_core_quota = {{"standarddsv3family", 192}};
    EXPECT_THAT(
        Created(MakePlan(Desired({Spec("a", 16), Spec("b", 16), Spec("c", 16)}), World(facts), {})),
        ::testing::ElementsAre("a", "b", "c"));
}

TEST(PreflightPlan, AnIncompatiblePoolIsHeldAndTheOthersProceed) {
    auto plan =
        MakePlan(Desired({Spec("gen1", 1, "Standard_A1"), Spec("ok", 1)}), World(Facts(1000)), {});
    EXPECT_THAT(Created(plan), ::testing::ElementsAre("ok"));
    ASSERT_EQ(plan.findings.size(), 1u);
    EXPECT_EQ(plan.findings[0].code, "HyperVGenerationMismatch");
    EXPECT_EQ(plan.findings[0].pool, "gen1");
}

TEST(PreflightPlan, HeldGrowthGetsNoResizeAndPartialGrowthResizesToTheQuota) {
    auto spec = Spec("a", 10);
    auto facts = Facts(30);
    model::ObservedPool live;
    live.id = "a";
    live.e_tag = "0x1";
    live.vm_size = "standard_d4s_v3";
    live.virtual_machine_image_id = spec.image_reference();
    live.node_agent_sku_id = spec.node_agent_sku_id;
    live.target_dedicated_nodes = live.current_dedicated_nodes = 4;
    live.metadata = {{model::kManagedByKey, model::kManagedByValue}};
    facts.pools = {live};
    auto desired = Desired({spec});
    auto held = MakePlan(desired, World(facts), {});
    EXPECT_TRUE(std::none_of(held.actions.begin(), held.actions.end(),
                             [](const auto& a) { return a.kind == ActionKind::ResizePool; }));
    desired.policy.quota_partial_growth = true;
    auto partial = MakePlan(desired, World(facts), {});
    auto it = std::find_if(partial.actions.begin(), partial.actions.end(),
                           [](const auto& a) { return a.kind == ActionKind::ResizePool; });
    ASSERT_NE(it, partial.actions.end());
    EXPECT_EQ(it->target_dedicated_nodes, 7) << "30 vCPUs: 7 nodes of 4";
    desired.pools[0].id = "new";
    facts.pools.clear();
    auto create = MakePlan(desired, World(facts), {});
    ASSERT_EQ(Created(create).size(), 1u);
    EXPECT_EQ(create.actions.back().target_dedicated_nodes, 7);
}

std::vector<std::string> PoolActions(const model::Plan& plan, const std::string& pool) {
    std::vector<std::string> out;
    for (const auto& a : plan.actions)
        if (a.pool == pool &&
            (a.kind == ActionKind::CreatePool || a.kind == ActionKind::ResizePool ||
             a.kind == ActionKind::PatchPool || a.kind == ActionKind::EnableAutoScale ||
             a.kind == ActionKind::DisableAutoScale))
            out.push_back(a.pool);
    return out;
}

model::ObservedPool Live(const model::PoolSpec& spec, int dedicated) {
    model::ObservedPool live;
    live.id = spec.id;
    live.e_tag = "0x1";
    live.vm_size = model::Lower(spec.vm_size);
    live.virtual_machine_image_id = spec.image_reference();
    live.node_agent_sku_id = spec.node_agent_sku_id;
    live.target_dedicated_nodes = live.current_dedicated_nodes = dedicated;
    live.metadata = {{model::kManagedByKey, model::kManagedByValue}};
    return live;
}

TEST(PreflightPlan, PrerequisiteFailuresHoldEveryWriteOfThatPoolOnly) {
    auto facts = Facts(1000);
    facts.node_agent_skus = std::make_shared<const model::NodeAgentSkuTable>(Agents());
    auto unsupported = Spec("unsupported", 1);
    unsupported.node_agent_sku_id = "batch.node.ubuntu 18.04";
    auto windows = Spec("windows", 1);
    windows.node_agent_sku_id = "batch.node.windows amd64";
    // An existing pool whose metadata differs (a patch) and that would grow (a resize).
    auto live_spec = Spec("live", 4);
    live_spec.node_agent_sku_id = "batch.node.ubuntu 16.04";
    live_spec.metadata = {{"team", "fx"}};
    // An autoscaling pool the spec now sizes (a disableautoscale).
    auto auto_spec = Spec("auto", 2);
    auto_spec.node_agent_sku_id = "batch.node.ubuntu 16.04";
    auto auto_live = Live(auto_spec, 2);
    auto_live.enable_auto_scale = true;
    auto_live.auto_scale_formula = "$TargetDedicatedNodes = 2;";
    facts.pools = {Live(live_spec, 2), auto_live};
    // Control: with the list unread, both write.
    auto unchecked = facts;
    unchecked.node_agent_skus.reset();
    auto control = MakePlan(Desired({live_spec, auto_spec}), World(unchecked), {});
    EXPECT_THAT(PoolActions(control, "live"), ::testing::SizeIs(2)) << "resize and patch";
    EXPECT_THAT(PoolActions(control, "auto"), ::testing::SizeIs(1)) << "disableautoscale";
    auto plan = MakePlan(Desired({unsupported, windows, live_spec, auto_spec, Spec("ok", 1)}),
                         World(facts), {});
    EXPECT_THAT(Created(plan), ::testing::ElementsAre("ok"));
    EXPECT_TRUE(PoolActions(plan, "live").empty()) << "no resize and no patch";
    EXPECT_TRUE(PoolActions(plan, "auto").empty()) << "no disableautoscale";
    std::vector<std::pair<std::string, std::string>> found;
    for (const auto& f : plan.findings) found.emplace_back(f.pool, f.code);
    EXPECT_THAT(found,
                ::testing::UnorderedElementsAre(
                    std::pair<std::string, std::string>("live", "NodeAgentSkuNotSupported"),
                    std::pair<std::string, std::string>("auto", "NodeAgentSkuNotSupported"),
                    std::pair<std::string, std::string>("unsupported", "NodeAgentSkuNotSupported"),
                    std::pair<std::string, std::string>("windows", "OsTypeMismatch")))
        << "the list replaces the OsMismatch guess from the SKU's name";
}

TEST(PreflightPlan, ImageInAnotherSubscriptionNeedsTheProviderAndTheTenant) {
    auto desired = Desired({Spec("a", 1)});
    desired.accounts[0].subscription_id = kBatchSub;
    auto world = World(Facts(1000));
    world.subscriptions = Subs("t1", "NotRegistered");
    auto plan = MakePlan(desired, world, {});
    EXPECT_TRUE(Created(plan).empty());
    ASSERT_EQ(plan.findings.size(), 1u);
    EXPECT_EQ(plan.findings[0].code, "ProviderNotRegistered");
    EXPECT_EQ(plan.findings[0].pool, "a");
    world.subscriptions = Subs("t1", "Registered");
    EXPECT_THAT(Created(MakePlan(desired, world, {})), ::testing::ElementsAre("a"));
}

TEST(PreflightPlan, AnUnreadableImageIsHeldWithTheRoleToGrant) {
    auto facts = Facts(1000);
    auto live_spec = Spec("live", 4);
    live_spec.metadata = {{"team", "fx"}};
    facts.pools = {Live(live_spec, 2)};
    auto world = World(facts);
    world.image_versions.clear();
    world.denied_images[model::ResourceKey(kVersionId)] = "auth 403 AuthorizationFailed: denied";
    auto plan = MakePlan(Desired({Spec("new", 1), live_spec}), world, {});
    EXPECT_TRUE(Created(plan).empty());
    EXPECT_TRUE(PoolActions(plan, "live").empty()) << "no resize and no patch";
    ASSERT_EQ(plan.findings.size(), 2u);
    for (const auto& f : plan.findings) {
        EXPECT_EQ(f.code, "ImageAccessDenied");
        EXPECT_THAT(f.message, HasSubstr(std::string("may not read image version ") + kVersionId));
    }
    // The definition refused (a pool following latest cannot even list its versions).
    auto definition = World(Facts(1000));
    definition.images.clear();
    definition.denied_images[model::ResourceKey(
        model::ParseImageVersionId(kVersionId)->image_definition_id())] = "auth 403";
    auto held = MakePlan(Desired({Spec("new", 1)}), definition, {});
    ASSERT_EQ(held.findings.size(), 1u);
    EXPECT_EQ(held.findings[0].code, "ImageAccessDenied");
    EXPECT_THAT(held.findings[0].message, HasSubstr("may not read image definition"));
}

}  // namespace
}  // namespace pw::planner::preflight_test
