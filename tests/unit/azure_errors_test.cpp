#include <gtest/gtest.h>

#include "azure/errors.hpp"

namespace pw::azure {
namespace {

using std::chrono::milliseconds;

http::ClientResponse Response(int status, std::string body,
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::ClientResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(784111777));

TEST(AzureErrorsTest, BatchErrorBody) {
    auto e = ErrorFromResponse(
        Response(409, R"({"odata.metadata":"x","code":"PoolExists","message":{"lang":"en-US",
            "value":"The specified pool already exists.\nRequestId:1"}})"),
        ErrorFormat::Batch, kNow);
    EXPECT_EQ(e.kind, ErrorKind::Client);
    EXPECT_EQ(e.http_status, 409);
    EXPECT_EQ(e.code, "PoolExists");
    EXPECT_EQ(e.message, "The specified pool already exists.\nRequestId:1");
    EXPECT_FALSE(e.retry_after);
}

TEST(AzureErrorsTest, BatchValuesNameTheOffendingField) {
    auto e =
        ErrorFromResponse(Response(400, R"({"code":"InvalidPropertyValue","message":{"value":"bad"},
            "values":[{"key":"PropertyName","value":"resizeTimeout"},{"key":"Reason","value":"too short"}]})"),
                          ErrorFormat::Batch, kNow);
    EXPECT_EQ(e.code, "InvalidPropertyValue");
    EXPECT_EQ(e.message, "bad [PropertyName=resizeTimeout] [Reason=too short]");
}

TEST(AzureErrorsTest, ArmErrorBodyWithRetryAfter) {
    auto e = ErrorFromResponse(
        Response(429, R"({"error":{"code":"TooManyRequests","message":"Slow down","details":[]}})",
                 {{"retry-after", "17"}}),
        ErrorFormat::Arm, kNow);
    EXPECT_EQ(e.kind, ErrorKind::Throttled);
    EXPECT_EQ(e.code, "TooManyRequests");
    EXPECT_EQ(e.message, "Slow down");
    EXPECT_EQ(e.retry_after, milliseconds(17000));
}

TEST(AzureErrorsTest, RetryAfterAsHttpDate) {
    auto e =
        ErrorFromResponse(Response(503, "", {{"Retry-After", "Sun, 06 Nov 1994 08:49:40 GMT"}}),
                          ErrorFormat::Arm, kNow);
    EXPECT_EQ(e.kind, ErrorKind::Server);
    EXPECT_EQ(e.retry_after, milliseconds(3000));
}

TEST(AzureErrorsTest, BatchServerBusyIsThrottling) {
    auto e = ErrorFromResponse(Response(503, R"({"code":"ServerBusy","message":{"value":"busy"}})"),
                               ErrorFormat::Batch, kNow);
    EXPECT_EQ(e.kind, ErrorKind::Throttled);
    EXPECT_EQ(e.http_status, 503);
}

TEST(AzureErrorsTest, StatusClasses) {
    EXPECT_EQ(ErrorFromResponse(Response(401, ""), ErrorFormat::Arm, kNow).kind, ErrorKind::Auth);
    EXPECT_EQ(ErrorFromResponse(Response(403, ""), ErrorFormat::Arm, kNow).kind, ErrorKind::Auth);
    EXPECT_EQ(ErrorFromResponse(Response(404, ""), ErrorFormat::Arm, kNow).kind, ErrorKind::Client);
    EXPECT_EQ(ErrorFromResponse(Response(408, ""), ErrorFormat::Arm, kNow).kind,
              ErrorKind::Timeout);
    EXPECT_EQ(ErrorFromResponse(Response(412, ""), ErrorFormat::Batch, kNow).kind,
              ErrorKind::Client);
    EXPECT_EQ(ErrorFromResponse(Response(502, ""), ErrorFormat::Arm, kNow).kind, ErrorKind::Server);
}

TEST(AzureErrorsTest, HtmlAndGarbageBodiesAreNotEchoed) {
    const std::string html =
        "<html><body><h1>502 Bad Gateway</h1>secret-ish proxy page</body></html>";
    auto e = ErrorFromResponse(Response(502, html, {{"Content-Type", "text/html"}}),
                               ErrorFormat::Batch, kNow);
    EXPECT_EQ(e.kind, ErrorKind::Server);
    EXPECT_TRUE(e.code.empty());
    EXPECT_EQ(e.message.find("<html>"), std::string::npos);
    EXPECT_EQ(e.message.find("proxy page"), std::string::npos);
    EXPECT_NE(e.message.find("HTTP 502 Bad Gateway"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("text/html"), std::string::npos) << e.message;

    auto g = ErrorFromResponse(Response(500, "\x01\x02{{not json"), ErrorFormat::Arm, kNow);
    EXPECT_EQ(g.message.find("not json"), std::string::npos);
    EXPECT_NE(g.message.find("HTTP 500"), std::string::npos);
}

TEST(AzureErrorsTest, EitherFormatIsUnderstoodWhereverItComesFrom) {
    auto e = ErrorFromResponse(
        Response(403, R"({"error":{"code":"AuthorizationFailed","message":"no role"}})"),
        ErrorFormat::Batch, kNow);
    EXPECT_EQ(e.code, "AuthorizationFailed");
    EXPECT_EQ(e.kind, ErrorKind::Auth);
}

TEST(AzureErrorsTest, AadErrorDescription) {
    auto e = ErrorFromResponse(
        Response(
            401,
            R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]})"),
        ErrorFormat::Aad, kNow);
    EXPECT_EQ(e.code, "invalid_client");
    EXPECT_EQ(e.message, "AADSTS7000215: Invalid client secret provided.");
}

TEST(AzureErrorsTest, TransportFailures) {
    auto e = ErrorFromFailure({http::FailureKind::Timeout, "read: deadline", true});
    EXPECT_EQ(e.kind, ErrorKind::Timeout);
    EXPECT_TRUE(e.request_sent);
    EXPECT_EQ(e.http_status, 0);
    e = ErrorFromFailure({http::FailureKind::Refused, "plain http://", false});
    EXPECT_EQ(e.kind, ErrorKind::Client);
    EXPECT_FALSE(e.request_sent);
    EXPECT_EQ(ErrorFromFailure({http::FailureKind::Cancelled, "x", false}).kind,
              ErrorKind::Cancelled);
    EXPECT_EQ(ErrorFromFailure({http::FailureKind::Network, "x", false}).kind, ErrorKind::Network);
}

TEST(AzureErrorsTest, StrNamesKindStatusCodeAndMessage) {
    Error e = MakeError(ErrorKind::Throttled, "Slow down", 429, "TooManyRequests");
    e.retry_after = milliseconds(5000);
    EXPECT_EQ(e.str(), "throttled (HTTP 429): TooManyRequests - Slow down (retry after 5000 ms)");
}

}  // namespace
}  // namespace pw::azure
