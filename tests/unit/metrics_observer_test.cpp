#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "azure/errors.hpp"
#include "server/metrics_bridge.hpp"

namespace pw::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

class MetricsObserverTest : public ::testing::Test {
  protected:
    MetricsObserverTest() : observer_(metrics_, config::CloudEndpoints{}) {}
    metrics::Metrics metrics_{"test"};
    MetricsObserver observer_;
};

TEST_F(MetricsObserverTest, RequestsByServiceOperationAndCode) {
    observer_.on_request("batch", "list_pools", 200, 20ms);
    observer_.on_request("batch", "list_pools", 200, 30ms);
    observer_.on_request("arm", "get_image_version", 0, 5000ms);
    auto text = metrics_.serialize();
    EXPECT_THAT(text, HasSubstr("poolwarden_azure_requests_total{code=\"200\",operation="
                                "\"list_pools\",service=\"batch\"} 2"));
    EXPECT_THAT(text, HasSubstr("poolwarden_azure_requests_total{code=\"0\",operation="
                                "\"get_image_version\",service=\"arm\"} 1"));
    EXPECT_THAT(text, HasSubstr("poolwarden_azure_request_duration_seconds_sum{operation="
                                "\"list_pools\",service=\"batch\"} 0.05"));
}

TEST_F(MetricsObserverTest, LabelsStayBounded) {
    observer_.on_request("batch", "GET /pools?$filter=id eq 'x'&requestId=1234", 200, 1ms);
    observer_.on_request("https://evil.example", "list_pools", 200, 1ms);
    observer_.on_request("batch", "list_pools", 99999, 1ms);
    observer_.on_ratelimit_remaining("subscription-reads; id=42 \"x\"", 3);
    auto text = metrics_.serialize();
    EXPECT_THAT(text, HasSubstr("operation=\"other\",service=\"batch\"} 1"));
    EXPECT_THAT(text, HasSubstr("operation=\"list_pools\",service=\"other\"} 1"));
    EXPECT_THAT(text, HasSubstr("code=\"0\",operation=\"list_pools\",service=\"batch\"} 1"));
    EXPECT_THAT(text, HasSubstr("poolwarden_azure_ratelimit_remaining{kind=\"other\"} 3"));
    EXPECT_THAT(text, Not(HasSubstr("requestId")));
    EXPECT_THAT(text, Not(HasSubstr("evil")));
}

TEST_F(MetricsObserverTest, ThrottlingRetriesAndRateLimit) {
    observer_.on_throttled("arm", "get_image_version", 2000ms);
    azure::Error e;
    e.kind = azure::ErrorKind::Throttled;
    e.message = "Too many requests, request id 0f1e";
    observer_.on_retry("arm", "get_image_version", e, 2000ms);
    e.kind = azure::ErrorKind::Server;
    observer_.on_retry("batch", "list_pools", e, 100ms);
    observer_.on_ratelimit_remaining("subscription-reads", 11998);
    auto text = metrics_.serialize();
    EXPECT_THAT(text, HasSubstr("poolwarden_azure_throttled_total{operation=\"get_image_version\","
                                "service=\"arm\"} 1"));
    EXPECT_THAT(
        text, HasSubstr("poolwarden_azure_retries_total{reason=\"throttled\",service=\"arm\"} 1"));
    EXPECT_THAT(text,
                HasSubstr("poolwarden_azure_retries_total{reason=\"server\",service=\"batch\"} 1"));
    EXPECT_THAT(text, HasSubstr("poolwarden_azure_ratelimit_remaining{kind=\"subscription-reads\"} "
                                "11998"));
    EXPECT_THAT(text, Not(HasSubstr("0f1e")));
}

TEST_F(MetricsObserverTest, TokenRefreshesByResourceAndReadiness) {
    EXPECT_FALSE(observer_.token_acquired());
    observer_.on_token_refresh("https://batch.core.windows.net/", false);
    observer_.on_token_refresh("https://batch.core.windows.net", false);
    EXPECT_FALSE(observer_.token_acquired());
    EXPECT_EQ(observer_.token_failures(), 2);
    observer_.on_token_refresh("https://management.core.windows.net/", true);
    EXPECT_TRUE(observer_.token_acquired());
    EXPECT_EQ(observer_.token_failures(), 0);
    observer_.on_token_refresh("api://something-else", true);
    auto text = metrics_.serialize();
    EXPECT_THAT(text, HasSubstr("poolwarden_token_refreshes_total{resource=\"batch\",result="
                                "\"error\"} 2"));
    EXPECT_THAT(text, HasSubstr("poolwarden_token_refreshes_total{resource=\"arm\",result="
                                "\"success\"} 1"));
    EXPECT_THAT(text, HasSubstr("poolwarden_token_refreshes_total{resource=\"other\",result="
                                "\"success\"} 1"));
}

}  // namespace
}  // namespace pw::server
