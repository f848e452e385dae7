#include "model/latest.hpp"

#include <gtest/gtest.h>

#include "model/resource_id.hpp"

namespace pw::model {
namespace {

const char* kDefinition =
    "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/render";

TEST(LatestTest, ResolvesTheHighestQualifyingVersion) {
    struct Case {
        const char* name;
        std::vector<ImageVersionListing> versions;
        std::optional<std::string> want;
    };
    const std::vector<Case> cases = {
        {"empty list", {}, std::nullopt},
        {"one version", {{"1.0.0", "Succeeded", false}}, "1.0.0"},
        {"numeric, not text order",
         {{"1.9.0", "Succeeded", false}, {"1.10.0", "Succeeded", false}},
         "1.10.0"},
        {"major before minor before patch",
         {{"2.0.0", "Succeeded", false},
          {"1.99.99", "Succeeded", false},
          {"2.0.1", "Succeeded", false}},
         "2.0.1"},
        {"list order does not matter",
         {{"3.0.0", "Succeeded", false}, {"1.0.0", "Succeeded", false}},
         "3.0.0"},
        {"excludeFromLatest skipped",
         {{"1.0.0", "Succeeded", false}, {"2.0.0", "Succeeded", true}},
         "1.0.0"},
        {"still Creating skipped",
         {{"1.0.0", "Succeeded", false}, {"2.0.0", "Creating", false}},
         "1.0.0"},
        {"Failed skipped", {{"1.0.0", "Failed", false}}, std::nullopt},
        {"Updating skipped",
         {{"1.0.0", "Succeeded", false}, {"1.1.0", "Updating", false}},
         "1.0.0"},
        {"every version excluded", {{"1.0.0", "Succeeded", true}}, std::nullopt},
        {"malformed name ignored",
         {{"latest", "Succeeded", false},
          {"1.2", "Succeeded", false},
          {"0.0.1", "Succeeded", false}},
         "0.0.1"},
    };
    for (const auto& c : cases) EXPECT_EQ(ResolveLatestVersion(c.versions), c.want) << c.name;
}

TEST(LatestTest, HonoursExcludeFromLatestOfTheRegionAsked) {
    // targetRegions[].excludeFromLatest hides a version from "latest" in that region only
    // (gallery.json 2023-07-03 #/definitions/TargetRegion/properties/excludeFromLatest).
    const std::vector<ImageVersionListing> versions = {
        {"1.0.0", "Succeeded", false, {}},
        {"2.0.0", "Succeeded", false, {"eastus"}},
        {"3.0.0", "Succeeded", false, {"eastus", "westeurope"}},
    };
    struct Case {
        const char* region;
        std::optional<std::string> want;
    };
    const std::vector<Case> cases = {
        {"", "3.0.0"},            // no region: the version-wide flag only
        {"eastus", "1.0.0"},      // 3.0.0 and 2.0.0 are hidden there
        {"East US", "1.0.0"},     // ARM's display name reads the same
        {"westeurope", "2.0.0"},  // only 3.0.0 is hidden there
        {"japaneast", "3.0.0"},   // no exclusion there
    };
    for (const auto& c : cases)
        EXPECT_EQ(ResolveLatestVersion(versions, c.region), c.want) << c.region;
    EXPECT_EQ(ResolveLatestVersion({{"1.0.0", "Succeeded", false, {"eastus"}}}, "eastus"),
              std::nullopt)
        << "the only version is hidden in the region";
    EXPECT_EQ(LatestVersionsInAnyRegion(versions),
              (std::vector<std::string>{"3.0.0", "1.0.0", "2.0.0"}))
        << "no region, then eastus, then westeurope";
}

TEST(LatestTest, ResolveLatestUsesEachPoolsAccountRegion) {
    PoolSpec east;
    east.id = "east";
    east.account = "eus";
    east.image = *ParseImageDefinitionId(kDefinition);
    east.image_follows_latest = true;
    PoolSpec west = east;
    west.id = "west";
    west.account = "weu";
    PoolSpec declared = east;  // an account with no observed entry: its declared location
    declared.id = "declared";
    declared.account = "jpe";
    DesiredState desired;
    desired.pools = {east, west, declared};
    desired.accounts.resize(3);
    desired.accounts[0].name = "eus";
    desired.accounts[1].name = "weu";
    desired.accounts[2].name = "jpe";
    desired.accounts[2].location = "eastus";
    ObservedState observed;
    observed.accounts["eus"].location = "eastus";
    observed.accounts["weu"].location = "westeurope";
    observed.image_version_lists[ResourceKey(kDefinition)] = {
        {"1.4.0", "Succeeded", false, {}}, {"1.5.0", "Succeeded", false, {"eastus"}}};
    auto out = ResolveLatest(desired, observed);
    EXPECT_EQ(out.pools[0].image.version, "1.4.0");
    EXPECT_EQ(out.pools[1].image.version, "1.5.0");
    EXPECT_EQ(out.pools[2].image.version, "1.4.0");
}

TEST(LatestTest, ComparesVersionNamesNumerically) {
    EXPECT_LT(CompareVersionNames("1.9.0", "1.10.0"), 0);
    EXPECT_GT(CompareVersionNames("2.0.0", "1.99.99"), 0);
    EXPECT_EQ(CompareVersionNames("1.2.3", "1.2.3"), 0);
    EXPECT_LT(CompareVersionNames("bad", "0.0.0"), 0);
}

TEST(LatestTest, ParsesADefinitionIdWithoutVersion) {
    auto id = ParseImageDefinitionId(kDefinition);
    ASSERT_TRUE(id);
    EXPECT_EQ(id->image, "render");
    EXPECT_TRUE(id->version.empty());
    EXPECT_EQ(id->image_definition_id(), kDefinition);
    std::string why;
    EXPECT_FALSE(ParseImageDefinitionId(std::string(kDefinition) + "/versions/1.0.0", &why));
    EXPECT_FALSE(ParseImageDefinitionId(
        "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images"));
}

TEST(LatestTest, ResolvedImageFillsTheVersionOfPoolsFollowingLatest) {
    PoolSpec spec;
    spec.image = *ParseImageDefinitionId(kDefinition);
    spec.image_follows_latest = true;
    ObservedState observed;
    EXPECT_FALSE(ResolvedImage(spec, observed)) << "no list read: nothing resolved";
    observed.image_version_lists[ResourceKey(kDefinition)] = {{"1.4.0", "Succeeded", false},
                                                              {"1.5.0", "Succeeded", false}};
    auto resolved = ResolvedImage(spec, observed);
    ASSERT_TRUE(resolved);
    EXPECT_EQ(resolved->str(), std::string(kDefinition) + "/versions/1.5.0");
    EXPECT_EQ(spec.image_reference(), kDefinition) << "Batch is sent the definition id";

    DesiredState desired;
    desired.pools = {spec};
    EXPECT_TRUE(NeedsLatestResolution(desired));
    auto out = ResolveLatest(desired, observed);
    EXPECT_EQ(out.pools[0].image.version, "1.5.0");
    EXPECT_FALSE(NeedsLatestResolution(out));
    EXPECT_EQ(out.pools[0].image_reference(), kDefinition);

    PoolSpec pinned;
    pinned.image = *ParseImageVersionId(std::string(kDefinition) + "/versions/1.4.0");
    EXPECT_EQ(ResolvedImage(pinned, observed)->version, "1.4.0") << "a pinned version stays";
}

}  // namespace
}  // namespace pw::model
