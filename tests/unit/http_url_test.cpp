#include <gtest/gtest.h>

#include "http/rate_limit.hpp"
#include "http/url.hpp"

namespace pw::http {
namespace {

TEST(UrlTest, SplitsHttpsUrls) {
    auto url = ParseUrl("https://acct.eastus.batch.azure.com/pools?api-version=2024-07-01.20.0");
    ASSERT_TRUE(url) << url.error();
    EXPECT_EQ(url->scheme, "https");
    EXPECT_EQ(url->host, "acct.eastus.batch.azure.com");
    EXPECT_EQ(url->port, 443);
    EXPECT_EQ(url->target, "/pools?api-version=2024-07-01.20.0");
    EXPECT_EQ(url->origin(), "https://acct.eastus.batch.azure.com:443");
}

TEST(UrlTest, PlainHttpOnlyToLoopback) {
    for (const char* ok : {"http://127.0.0.1:18080/batch/x", "http://127.1.2.3/",
                           "http://[::1]:80/", "http://localhost:9/", "http://LOCALHOST/"}) {
        EXPECT_TRUE(ParseUrl(ok)) << ok;
        EXPECT_TRUE(ParseUrl(ok, PlainHttp::kImds)) << ok;
    }
    for (const char* bad : {"http://management.azure.com/", "http://10.0.0.1/", "http://128.0.0.1/",
                            "http://localhost.example.com/", "http://[::2]/"}) {
        auto url = ParseUrl(bad);
        ASSERT_FALSE(url) << bad;
        EXPECT_NE(url.error().find("only allowed to loopback"), std::string::npos) << url.error();
    }
}

TEST(UrlTest, PlainHttpToImdsOnlyForTheManagedIdentityRequest) {
    const char* imds =
        "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01";
    auto ordinary = ParseUrl(imds);
    ASSERT_FALSE(ordinary);
    EXPECT_NE(ordinary.error().find("only allowed for the managed-identity token request"),
              std::string::npos)
        << ordinary.error();
    auto token = ParseUrl(imds, PlainHttp::kImds);
    ASSERT_TRUE(token) << token.error();
    EXPECT_EQ(token->host, "169.254.169.254");
    EXPECT_TRUE(ParseUrl("https://169.254.169.254/"));  // the rule is about plain http
    for (const char* bad : {"http://169.254.169.253/", "http://10.0.0.1/"})
        EXPECT_FALSE(ParseUrl(bad, PlainHttp::kImds)) << bad;
}

TEST(UrlTest, PlainHttpAddressesAllowedAtConnectTime) {
    using boost::asio::ip::make_address;
    for (const char* ok : {"127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1"}) {
        EXPECT_TRUE(PlainHttpAddressAllowed(make_address(ok), PlainHttp::kLoopback)) << ok;
        EXPECT_TRUE(PlainHttpAddressAllowed(make_address(ok), PlainHttp::kImds)) << ok;
    }
    for (const char* bad : {"10.0.0.1", "192.0.2.7", "::2", "::ffff:10.0.0.1", "0.0.0.0"})
        EXPECT_FALSE(PlainHttpAddressAllowed(make_address(bad), PlainHttp::kImds)) << bad;
    EXPECT_FALSE(PlainHttpAddressAllowed(make_address("169.254.169.254"), PlainHttp::kLoopback));
    EXPECT_TRUE(PlainHttpAddressAllowed(make_address("169.254.169.254"), PlainHttp::kImds));
}

TEST(UrlTest, RejectsOtherSchemesAndRelativeUrls) {
    EXPECT_FALSE(ParseUrl("ftp://example.com/"));
    EXPECT_FALSE(ParseUrl("/pools"));
    EXPECT_FALSE(ParseUrl("acct.eastus.batch.azure.com"));
}

TEST(UrlTest, DefaultPortsAndIpv6) {
    EXPECT_EQ(ParseUrl("http://127.0.0.1/")->port, 80);
    auto v6 = ParseUrl("http://[::1]:8080/x");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, 8080);
}

TEST(UrlTest, UrlEncodeKeepsUnreservedOnly) {
    EXPECT_EQ(UrlEncode("https://batch.core.windows.net//.default"),
              "https%3A%2F%2Fbatch.core.windows.net%2F%2F.default");
    EXPECT_EQ(UrlEncode("a b+c~d"), "a%20b%2Bc~d");
}

TEST(TokenBucketTest, BurstThenRate) {
    using namespace std::chrono_literals;
    const auto t0 = TokenBucket::Clock::time_point{} + 1h;
    TokenBucket bucket(2.0, 3.0, t0);  // 2/s, burst 3
    EXPECT_EQ(bucket.Reserve(t0), TokenBucket::Clock::duration::zero());
    EXPECT_EQ(bucket.Reserve(t0), TokenBucket::Clock::duration::zero());
    EXPECT_EQ(bucket.Reserve(t0), TokenBucket::Clock::duration::zero());
    // Empty: the 4th waits half a second, the 5th a full second (queued behind it).
    EXPECT_EQ(bucket.Reserve(t0), std::chrono::duration_cast<TokenBucket::Clock::duration>(500ms));
    EXPECT_EQ(bucket.Reserve(t0), std::chrono::duration_cast<TokenBucket::Clock::duration>(1000ms));
    // After 10 s idle the bucket holds at most `burst`.
    EXPECT_DOUBLE_EQ(bucket.tokens(t0 + 10s), 3.0);
}

TEST(TokenBucketTest, AdaptsDownWhenTheServerHasFewerTokensAndRecovers) {
    using namespace std::chrono_literals;
    const auto t0 = TokenBucket::Clock::time_point{} + 1h;
    TokenBucket bucket(25.0, 250.0, t0);  // ARM's read bucket
    // The server agrees (its count includes requests still on their way): nothing changes.
    bucket.Adapt(240, t0);
    EXPECT_DOUBLE_EQ(bucket.rate(), 25.0);
    EXPECT_DOUBLE_EQ(bucket.tokens(t0), 240.0);
    // Someone else drained the same quota: 5 left. The bucket empties to 5 and refills slower.
    bucket.Adapt(5, t0);
    EXPECT_DOUBLE_EQ(bucket.tokens(t0), 5.0);
    EXPECT_DOUBLE_EQ(bucket.rate(), 12.5);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(bucket.Reserve(t0), TokenBucket::Clock::duration::zero());
    EXPECT_NEAR(std::chrono::duration<double>(bucket.Reserve(t0)).count(), 0.08, 1e-6)
        << "the 6th request waits for a token at the halved rate";
    bucket.Adapt(0, t0);  // a second report of the same moment agrees: no second halving
    EXPECT_DOUBLE_EQ(bucket.rate(), 12.5);
    // The server stays empty while this bucket refills: halves again, down to 1/16.
    for (int i = 1; i <= 3; ++i) bucket.Adapt(0, t0 + i * 10s);
    EXPECT_DOUBLE_EQ(bucket.rate(), 25.0 / 16);
    // Reports that agree give the rate back over 10 s.
    bucket.Adapt(bucket.tokens(t0 + 35s), t0 + 35s);
    EXPECT_DOUBLE_EQ(bucket.rate(), 25.0 / 16 + 12.5);
    bucket.Adapt(bucket.tokens(t0 + 45s), t0 + 45s);
    EXPECT_DOUBLE_EQ(bucket.rate(), 25.0);
}

}  // namespace
}  // namespace pw::http
