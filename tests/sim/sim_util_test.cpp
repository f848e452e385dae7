#include <gtest/gtest.h>

#include "autoscale.hpp"
#include "util.hpp"
#include "world.hpp"

namespace pw::sim {
namespace {

TEST(SimUtil, IsoDurationsRoundTrip) {
    EXPECT_EQ(ParseIsoDuration("PT15M"), 900.0);
    EXPECT_EQ(ParseIsoDuration("PT1H30M"), 5400.0);
    EXPECT_EQ(ParseIsoDuration("P1DT2H"), 93600.0);
    EXPECT_EQ(ParseIsoDuration("PT0.5S"), 0.5);
    EXPECT_FALSE(ParseIsoDuration("15M"));
    EXPECT_FALSE(ParseIsoDuration("PT"));
    EXPECT_FALSE(ParseIsoDuration("PTM"));
    EXPECT_EQ(FormatIsoDuration(900), "PT15M");
    EXPECT_EQ(FormatIsoDuration(2700), "PT45M");
    EXPECT_EQ(FormatIsoDuration(5400), "PT1H30M");
    EXPECT_EQ(FormatIsoDuration(0), "PT0S");
}

TEST(SimUtil, Base64AndHmacMatchKnownVectors) {
    EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
    EXPECT_EQ(Base64Encode("fo"), "Zm8=");
    EXPECT_EQ(Base64Decode("Zm9vYg==").value(), "foob");
    EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
    // RFC 4231 test case 2.
    EXPECT_EQ(Base64Encode(HmacSha256("Jefe", "what do ya want for nothing?")),
              "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
}

TEST(SimUtil, JwtPayloadNeedsThreeSegments) {
    const std::string t = MakeJwt({{"aud", "x"}, {"exp", 5}});
    ASSERT_TRUE(JwtPayload(t));
    EXPECT_EQ((*JwtPayload(t))["aud"], "x");
    EXPECT_FALSE(JwtPayload("a.b"));
    EXPECT_FALSE(JwtPayload(t + ".extra"));
}

TEST(SimUtil, TimesFormatLikeAzure) {
    EXPECT_EQ(FormatIso(0), "1970-01-01T00:00:00.0000000Z");
    EXPECT_EQ(FormatRfc1123(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_EQ(ParseIsoTime("2016-11-22T19:39:28.5246331Z").value(), 1479843568.5246331);
    EXPECT_EQ(NormalizeRegion("East US 2"), "eastus2");
}

TEST(SimAutoscale, EvaluatesTheSubsetAndRejectsTheRest) {
    auto ok = EvaluateAutoScale("a = 10;\n$TargetDedicatedNodes = max(1, min(a / 2, 3)) + 1;", {});
    EXPECT_EQ(ok.error, "");
    EXPECT_EQ(ok.target_dedicated, 4.0);
    EXPECT_EQ(ok.results, "a=10;$TargetDedicatedNodes=4;$NodeDeallocationOption=requeue");
    auto dealloc =
        EvaluateAutoScale("$TargetLowPriorityNodes=2;$NodeDeallocationOption=taskcompletion", {});
    EXPECT_EQ(dealloc.target_low, 2.0);
    EXPECT_EQ(dealloc.deallocation, "taskcompletion");
    EXPECT_NE(EvaluateAutoScale("$TargetDedicatedNodes = $PendingTasks.GetSample(1)", {}).error,
              "");
    EXPECT_NE(EvaluateAutoScale("$TargetDedicatedNodes = (1", {}).error, "");
    EXPECT_NE(EvaluateAutoScale("$NodeDeallocationOption = sometimes", {}).error, "");
    EXPECT_EQ(EvaluateAutoScale("$TargetDedicatedNodes = $CurrentDedicatedNodes * 2",
                                {{"$CurrentDedicatedNodes", 3}})
                  .target_dedicated,
              6.0);
}

TEST(SimWorld, CoresComeFromTheTableOrTheSizeName) {
    EXPECT_EQ(World::CoresFor("Standard_D4s_v3"), 4);
    EXPECT_EQ(World::CoresFor("STANDARD_F16S_V2"), 16);
    EXPECT_EQ(World::CoresFor("Standard_E32ds_v5"), 32);
    EXPECT_EQ(World::CoresFor("weird"), 1);
}

TEST(SimWorld, ReplicationProgressesOneReplicaPerTwoMinutes) {
    World w = World::FromJson(
        {{"galleries",
          {{{"subscriptionId", "s"},
            {"resourceGroup", "rg"},
            {"name", "g"},
            {"location", "eastus"},
            {"images",
             {{{"name", "i"},
               {"properties", {{"osType", "Linux"}, {"osState", "Generalized"}}},
               {"versions",
                {{{"name", "1.0.0"},
                  {"location", "eastus"},
                  {"replication", {{"eastus", 1}}},
                  {"properties",
                   {{"publishingProfile",
                     {{"targetRegions",
                       {{{"name", "East US"}, {"regionalReplicaCount", 5}}}}}}}}}}}}}}}}}},
        1000);
    const std::string id =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/"
        "versions/1.0.0";
    ASSERT_NE(w.FindVersionById(id), nullptr);
    EXPECT_EQ(World::CompletedReplicas(*w.FindVersionById(id), "eastus"), 1);
    w.AdvanceTo(1000 + 240);
    EXPECT_EQ(World::CompletedReplicas(*w.FindVersionById(id), "eastus"), 3);
    w.AdvanceTo(1000 + 3600);
    EXPECT_EQ(World::CompletedReplicas(*w.FindVersionById(id), "eastus"), 5);
    EXPECT_EQ(World::CompletedReplicas(*w.FindVersionById(id), "westus"), 0);
    EXPECT_EQ(w.FindVersionById(id.substr(0, id.find("/versions"))), w.FindVersionById(id))
        << "a definition id resolves to the latest version";
}

TEST(SimWorld, LatestSkipsAVersionExcludedInTheAccountsRegion) {
    // 2.0.0 is hidden from "latest" in East US only (targetRegions[].excludeFromLatest).
    World w = World::FromJson(Json::parse(R"({"galleries": [{"subscriptionId": "s",
        "resourceGroup": "rg", "name": "g", "location": "eastus", "images": [{"name": "i",
        "properties": {"osType": "Linux", "osState": "Generalized"}, "versions": [
          {"name": "1.0.0", "location": "eastus", "properties": {"publishingProfile": {
            "targetRegions": [{"name": "East US"}, {"name": "West Europe"}]}}},
          {"name": "2.0.0", "location": "eastus", "properties": {"publishingProfile": {
            "targetRegions": [{"name": "East US", "excludeFromLatest": true},
                              {"name": "West Europe"}]}}}]}]}]})"),
                              1000);
    const std::string def =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i";
    ASSERT_NE(w.FindVersionById(def, "eastus"), nullptr);
    EXPECT_EQ(w.FindVersionById(def, "eastus")->name, "1.0.0");
    EXPECT_EQ(w.FindVersionById(def, "westeurope")->name, "2.0.0");
    EXPECT_EQ(w.FindVersionById(def)->name, "2.0.0");
}

TEST(SimWorld, BadWorldNamesTheField) {
    try {
        (void)World::FromJson({{"batchAccounts", {{{"subscriptionId", "s"}, {"name", "a"}}}}}, 0);
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("resourceGroup"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace pw::sim
