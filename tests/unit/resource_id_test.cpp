#include "model/resource_id.hpp"

#include <gtest/gtest.h>

namespace pw::model {
namespace {

constexpr const char* kId =
    "/subscriptions/1111/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/studio/"
    "images/render/versions/1.4.0";

TEST(ResourceIdTest, ParsesGalleryImageVersionId) {
    auto id = ParseImageVersionId(kId);
    ASSERT_TRUE(id);
    EXPECT_EQ(id->subscription_id, "1111");
    EXPECT_EQ(id->resource_group, "rg-images");
    EXPECT_EQ(id->gallery, "studio");
    EXPECT_EQ(id->image, "render");
    EXPECT_EQ(id->version, "1.4.0");
    EXPECT_EQ(id->str(), kId);
    EXPECT_EQ(id->image_definition_id(),
              "/subscriptions/1111/resourceGroups/rg-images/providers/Microsoft.Compute/"
              "galleries/studio/images/render");
}

TEST(ResourceIdTest, KeywordsAreCaseInsensitive) {
    auto id = ParseImageVersionId(
        "/SUBSCRIPTIONS/1111/resourcegroups/rg/PROVIDERS/microsoft.compute/Galleries/g/Images/i/"
        "Versions/1.0.0");
    ASSERT_TRUE(id);
    EXPECT_EQ(id->key(), ParseImageVersionId("/subscriptions/1111/resourceGroups/RG/providers/"
                                             "Microsoft.Compute/galleries/G/images/I/versions/"
                                             "1.0.0")
                             ->key());
}

TEST(ResourceIdTest, RejectsMalformedWithReason) {
    std::string why;
    for (const char* bad :
         {"", "subscriptions/1/resourceGroups/rg", "/subscriptions/1111/resourceGroups/rg",
          "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i",
          "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/"
          "versions/1.0",
          "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/"
          "versions/1.0.99999999999",
          "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Storage/galleries/g/images/i/"
          "versions/1.0.0",
          "/subscriptions/1/resourceGroups/r g/providers/Microsoft.Compute/galleries/g/images/i/"
          "versions/1.0.0"}) {
        why.clear();
        EXPECT_FALSE(ParseImageVersionId(bad, &why)) << bad;
        EXPECT_FALSE(why.empty()) << bad;
    }
}

TEST(ResourceIdTest, NormalizesRegions) {
    EXPECT_EQ(NormalizeRegion("East US"), "eastus");
    EXPECT_EQ(NormalizeRegion("eastus"), "eastus");
    EXPECT_EQ(NormalizeRegion("West Europe"), NormalizeRegion("westeurope"));
}

TEST(ResourceIdTest, IEqualsIgnoresAsciiCaseOnly) {
    EXPECT_TRUE(IEquals("Admin", "admin"));
    EXPECT_TRUE(IEquals("", ""));
    EXPECT_FALSE(IEquals("admin", "admins"));
    EXPECT_FALSE(IEquals("admin", "nonadmin"));
    EXPECT_FALSE(IEquals("\xC4", "\xE4"));  // not ASCII: compared as bytes
}

TEST(ResourceIdTest, ShortImageVersionIsGalleryImageVersion) {
    EXPECT_EQ(ShortImageVersion("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/"
                                "galleries/studio/images/render/versions/1.4.0"),
              "studio/render/1.4.0");
    EXPECT_EQ(ShortImageVersion("not-an-id"), "not-an-id");
}
}  // namespace
}  // namespace pw::model
