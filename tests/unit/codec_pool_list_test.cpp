// The streaming pool-list decoder (AppendPoolList / DecodePoolList) against the document
// decoder it replaced on the hot path: same pools, same next link, same first error.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "codec/decode.hpp"
#include "codec_data.hpp"

namespace pw::codec {
namespace {

using testing::ReadData;

/// A page of two gallery pools (every member poolwarden reads) and a next link.
std::string GalleryPage() {
    auto pool = ReadData("gallery-pool.json");
    return R"({"odata.metadata":"https://x/$metadata#pools","value":[)" + pool + "," + pool +
           R"(],"odata.nextLink":"https://acct.eastus.batch.azure.com/pools?skiptoken=2"})";
}

std::string Describe(const Decoded<PoolPage>& d) {
    if (!d) return "error: " + d.error();
    return "ok: " + std::to_string(d->pools.size()) + " pools, next " +
           d->next_link.value_or("(none)");
}

/// The streaming decoder and the document decoder agree on `body`.
::testing::AssertionResult SameAsDocument(const std::string& body) {
    auto stream = DecodePoolList(body);
    auto document = detail::DecodePoolListDocument(body);
    bool same =
        stream.ok() == document.ok() &&
        (stream.ok() ? stream->pools == document->pools && stream->next_link == document->next_link
                     : stream.error() == document.error());
    if (same) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "body: " << body << "\nstream:   " << Describe(stream)
                                         << "\ndocument: " << Describe(document);
}

TEST(CodecPoolList, SameResultsAsTheDocumentDecoderOnTheCorpus) {
    for (const auto& body : {ReadData("PoolList_Basic.json"), GalleryPage()}) {
        EXPECT_TRUE(SameAsDocument(body));
        auto page = DecodePoolList(body);
        ASSERT_TRUE(page.ok()) << page.error();
        EXPECT_FALSE(page->pools.empty());
    }
    auto page = DecodePoolList(GalleryPage());
    ASSERT_EQ(page->pools.size(), 2u);
    const auto& p = page->pools[1];
    EXPECT_EQ(p.id, "render-linux");
    EXPECT_EQ(p.target_dedicated_nodes, 2000);
    ASSERT_TRUE(p.start_task.has_value());
    EXPECT_TRUE(p.start_task->elevated);
    EXPECT_EQ(p.start_task->environment.at("STAGE"), "prod");
    EXPECT_EQ(p.metadata.at("team"), "vfx");
    ASSERT_EQ(p.resize_errors.size(), 1u);
    EXPECT_EQ(p.resize_errors[0].code, "AllocationTimedout");
    EXPECT_EQ(page->next_link, "https://acct.eastus.batch.azure.com/pools?skiptoken=2");
}

TEST(CodecPoolList, SkipsUnknownMembersAndNestedUnknownObjects) {
    std::string deep;
    for (int i = 0; i < 5000; ++i) deep += R"({"a":[)";
    deep += "1";
    for (int i = 0; i < 5000; ++i) deep += "]}";
    const std::string body =
        R"({"unknown":{"value":[{"id":1}]},"value":[{"x":)" + deep +
        R"(,"id":"a","virtualMachineConfiguration":{"imageReference":{"id":{"nested":[1,{"id":2}]},)"
        R"("virtualMachineImageId":"/img"},"osDisk":{"ephemeralOSDiskSettings":{"placement":"x"}}},)"
        R"("startTask":{"commandLine":"c","resourceFiles":[{"httpUrl":"u"}],"userIdentity":)"
        R"({"userName":null,"autoUser":{"scope":"pool","elevationLevel":"admin"}}},)"
        R"("targetDedicatedNodes":4,"networkConfiguration":{"subnetId":7}}]})";
    ASSERT_TRUE(SameAsDocument(body));
    auto page = DecodePoolList(body);
    ASSERT_TRUE(page.ok()) << page.error();
    ASSERT_EQ(page->pools.size(), 1u);
    EXPECT_EQ(page->pools[0].id, "a");
    EXPECT_EQ(page->pools[0].virtual_machine_image_id, "/img");
    EXPECT_EQ(page->pools[0].target_dedicated_nodes, 4);
    EXPECT_TRUE(page->pools[0].start_task->elevated);
}

TEST(CodecPoolList, HugeNumbers) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"value":[{"id":"a","targetDedicatedNodes":99999999999}]})",
         "value[0].targetDedicatedNodes: integer out of 32-bit range"},
        {R"({"value":[{"id":"a","targetDedicatedNodes":-99999999999}]})",
         "value[0].targetDedicatedNodes: integer out of 32-bit range"},
        {R"({"value":[{"id":"a","taskSlotsPerNode":18446744073709551616}]})",
         "value[0].taskSlotsPerNode: expected integer, got number"},
        {R"({"value":[{"id":"a","currentDedicatedNodes":1e400}]})",
         "invalid JSON: number overflow parsing '1e400'"},
        {R"({"value":[{"id":"a","unknown":-1e999}]})",
         "invalid JSON: number overflow parsing '-1e999'"},
    };
    for (const auto& [body, error] : cases) {
        EXPECT_TRUE(SameAsDocument(body));
        auto page = DecodePoolList(body);
        ASSERT_FALSE(page.ok()) << body;
        EXPECT_EQ(page.error(), error);
    }
    auto fits = DecodePoolList(R"({"value":[{"id":"a","targetDedicatedNodes":2147483647}]})");
    ASSERT_TRUE(fits.ok()) << fits.error();
    EXPECT_EQ(fits->pools[0].target_dedicated_nodes, 2147483647);
}

TEST(CodecPoolList, WrongTypesNameTheFirstProblemInReadOrder) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        // id is read before vmSize, whatever the order in the text.
        {R"({"value":[{"vmSize":1,"id":2}]})", "value[0].id: expected string, got integer"},
        {R"({"value":[{"vmSize":1}]})", "value[0].id: required member missing"},
        {R"({"value":[{"id":null}]})", "value[0].id: required member missing"},
        // value is read before odata.nextLink.
        {R"({"odata.nextLink":1,"value":[{"id":"a"},{"id":"b","eTag":[]}]})",
         "value[1].eTag: expected string, got array"},
        {R"({"odata.nextLink":{},"value":[]})",
         R"(["odata.nextLink"]: expected string, got object)"},
        {R"({"value":[{"id":"a"},7,{"id":3}]})", "value[1]: expected object, got integer"},
        {R"({"value":[null]})", "value[0]: expected object, got null"},
        {R"({"value":null})", "value: required member missing"},
        {R"({"value":"pools"})", "value: expected array, got string"},
        {R"("value")", "expected object, got string"},
        {R"([{"id":"a"}])", "expected object, got array"},
        {R"({"value":[{"id":"a","virtualMachineConfiguration":{"imageReference":[]}}]})",
         "value[0].virtualMachineConfiguration.imageReference: expected object, got array"},
        {R"({"value":[{"id":"a","startTask":{"waitForSuccess":1}}]})",
         "value[0].startTask.commandLine: required member missing"},
        {R"({"value":[{"id":"a","startTask":{"commandLine":"c","environmentSettings":[{"name":"A"},)"
         R"({"value":"v"}]}}]})",
         "value[0].startTask.environmentSettings[1].name: required member missing"},
        {R"({"value":[{"id":"a","startTask":{"commandLine":"c","userIdentity":{"autoUser":)"
         R"({"elevationLevel":true}}}}]})",
         "value[0].startTask.userIdentity.autoUser.elevationLevel: expected string, got boolean"},
        {R"({"value":[{"id":"a","resizeErrors":[{"code":"x"},{"message":false}]}]})",
         "value[0].resizeErrors[1].message: expected string, got boolean"},
        {R"({"value":[{"id":"a","metadata":[{"name":"k","value":1}],"resizeTimeout":"PT1X"}]})",
         "value[0].resizeTimeout: expected ISO-8601 duration, got \"PT1X\""},
        {R"({"value":[{"id":"a","enableAutoScale":{}}]})",
         "value[0].enableAutoScale: expected boolean, got object"},
        {R"({"value":[{"id":"a","autoScaleFormula":2.5}]})",
         "value[0].autoScaleFormula: expected string, got number"},
    };
    for (const auto& [body, error] : cases) {
        EXPECT_TRUE(SameAsDocument(body));
        auto page = DecodePoolList(body);
        ASSERT_FALSE(page.ok()) << body;
        EXPECT_EQ(page.error(), error) << body;
    }
}

TEST(CodecPoolList, RepeatedMembersKeepTheLastAsTheDocumentDoes) {
    const std::vector<std::string> bodies = {
        R"({"value":[{"id":1,"id":"a","targetDedicatedNodes":"x","targetDedicatedNodes":3}]})",
        R"({"value":[{"id":"a","startTask":{"commandLine":"c"},"startTask":null}]})",
        R"({"value":[{"id":"a","startTask":{"commandLine":1},"startTask":{"commandLine":"d"}}]})",
        R"({"value":[{"id":"a","metadata":[{"name":"k","value":"1"},{"name":"k","value":"2"}]}]})",
        R"({"value":[{"id":"a","metadata":[{"name":"k"}],"metadata":[{"name":"m"}]}]})",
        R"({"value":[{"id":"a"}],"value":[{"id":"b"},{"id":"c"}]})",
        R"({"value":[{"id":1}],"value":[]})",
        R"({"value":[],"odata.nextLink":"https://x/1","odata.nextLink":null})",
        R"({"value":[{"id":"a","startTask":{"commandLine":"c","userIdentity":{"autoUser":)"
        R"({"elevationLevel":"admin"}},"userIdentity":{}}}]})",
    };
    for (const auto& body : bodies) EXPECT_TRUE(SameAsDocument(body));
    auto page = DecodePoolList(bodies[5]);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->pools.size(), 2u);
    EXPECT_EQ(page->pools[0].id, "b");
}

TEST(CodecPoolList, TruncatedOrDamagedInputGivesTheDocumentDecodersError) {
    const std::string page = GalleryPage();
    for (std::size_t n = 0; n < page.size(); ++n)
        ASSERT_TRUE(SameAsDocument(page.substr(0, n))) << "prefix of " << n << " bytes";
    for (std::size_t i = 0; i < page.size(); ++i) {
        std::string cut = page;
        cut.erase(i, 1);
        ASSERT_TRUE(SameAsDocument(cut)) << "byte " << i << " removed";
    }
    // A syntax error anywhere wins over a problem read before it, as in the document decoder.
    auto bad = DecodePoolList(R"({"value":[{"id":1}],"x":})");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(),
              "invalid JSON: parse error at line 1, column 25: syntax error while parsing value - "
              "unexpected '}'; expected '[', '{', or a literal");
    EXPECT_EQ(DecodePoolList("  ").error(), "empty body, expected JSON");
    EXPECT_EQ(DecodePoolList("<html>502</html>").error(),
              "body is not JSON (looks like HTML or XML)");
}

TEST(CodecPoolList, AppendsToTheCallersPoolsAndLeavesThemOnError) {
    std::vector<model::ObservedPool> pools(1);
    pools[0].id = "first";
    auto next = AppendPoolList(R"({"value":[{"id":"a"},{"id":"b"}],"odata.nextLink":""})", pools);
    ASSERT_TRUE(next.ok()) << next.error();
    EXPECT_EQ(*next, "");
    ASSERT_EQ(pools.size(), 3u);
    EXPECT_EQ(pools[2].id, "b");
    auto bad = AppendPoolList(R"({"value":[{"id":"c"},{"id":"d","state":1}]})", pools);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(), "value[1].state: expected string, got integer");
    EXPECT_EQ(pools.size(), 3u);
}

}  // namespace
}  // namespace pw::codec
