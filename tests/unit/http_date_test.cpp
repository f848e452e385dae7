#include "http/http_date.hpp"

#include <gtest/gtest.h>

namespace pw::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

system_clock::time_point At(long long epoch_seconds) {
    return system_clock::time_point(seconds(epoch_seconds));
}

TEST(HttpDateTest, ParsesTheThreeHttpDateForms) {
    // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example).
    EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), At(784111777));
    EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), At(784111777));
    EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), At(784111777));
}

TEST(HttpDateTest, RejectsMalformedDates) {
    EXPECT_FALSE(ParseHttpDate(""));
    EXPECT_FALSE(ParseHttpDate("Sun, 06 Nov 1994 08:49:37"));      // no GMT
    EXPECT_FALSE(ParseHttpDate("Sun, 06 Foo 1994 08:49:37 GMT"));  // month
    EXPECT_FALSE(ParseHttpDate("Sun, 32 Nov 1994 08:49:37 GMT"));  // day
    EXPECT_FALSE(ParseHttpDate("Sun, 06 Nov 1994 25:49:37 GMT"));  // hour
    EXPECT_FALSE(ParseHttpDate("2026-11-28T10:00:00Z"));
}

TEST(HttpDateTest, FormatsImfFixdateAndRoundTrips) {
    EXPECT_EQ(FormatHttpDate(At(784111777)), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(FormatHttpDate(At(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
    const auto t = At(1795862400);  // 2026-11-28
    EXPECT_EQ(ParseHttpDate(FormatHttpDate(t)), t);
    EXPECT_EQ(FormatHttpDate(At(951782400)), "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST(RetryAfterTest, DelaySeconds) {
    const auto now = At(1795862400);
    EXPECT_EQ(ParseRetryAfter("0", now), milliseconds(0));
    EXPECT_EQ(ParseRetryAfter("17", now), milliseconds(17000));
    EXPECT_EQ(ParseRetryAfter(" 5 ", now), milliseconds(5000));
}

TEST(RetryAfterTest, HttpDateIsRelativeToNow) {
    const auto now = At(784111777);
    EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:50:07 GMT", now), milliseconds(30000));
    // A date in the past means: retry now.
    EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now), milliseconds(0));
}

TEST(RetryAfterTest, MalformedValuesAreIgnored) {
    const auto now = At(0);
    EXPECT_FALSE(ParseRetryAfter("", now));
    EXPECT_FALSE(ParseRetryAfter("-5", now));
    EXPECT_FALSE(ParseRetryAfter("1.5", now));
    EXPECT_FALSE(ParseRetryAfter("soon", now));
}

TEST(RetryAfterTest, HugeValuesAreClampedNotOverflowed) {
    auto value = ParseRetryAfter("99999999999999", At(0));
    ASSERT_TRUE(value);
    EXPECT_EQ(*value, milliseconds(365LL * 86400 * 1000));
}

// Found by fuzz_http_response: year 9491 overflowed the clock's nanoseconds.
TEST(RetryAfterTest, DatesBeyondTheClockAreClampedNotOverflowed) {
    auto value = ParseRetryAfter("Sun Nov  6 08:49:37 9491", At(0));
    ASSERT_TRUE(value);
    EXPECT_EQ(*value, milliseconds(365LL * 86400 * 1000));
    EXPECT_FALSE(ParseHttpDate("Sun Nov  6 08:49:37 9491"));
    EXPECT_TRUE(ParseHttpDate("Fri, 11 Apr 2262 23:47:16 GMT"));
}

}  // namespace
}  // namespace pw::http
