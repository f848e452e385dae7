#include "model/duration.hpp"

#include <gtest/gtest.h>

namespace pw::model {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TEST(DurationTest, ParsesShortAndIsoForms) {
    struct Case {
        const char* text;
        Seconds want;
    };
    for (const auto& c :
         {Case{"90s", Seconds(90)}, Case{"45m", minutes(45)}, Case{"1h30m", minutes(90)},
          Case{"2h", hours(2)}, Case{"1d", hours(24)}, Case{"PT45M", minutes(45)},
          Case{"PT1H30M", minutes(90)}, Case{"P1DT2H", hours(26)}, Case{"PT15S", Seconds(15)},
          Case{"pt5m", minutes(5)}}) {
        auto got = ParseDuration(c.text);
        ASSERT_TRUE(got.has_value()) << c.text;
        EXPECT_EQ(*got, c.want) << c.text;
    }
}

TEST(DurationTest, RejectsMalformed) {
    for (const char* bad : {"", "15", "m", "1.5h", "-5m", "5x", "30m1h", "1h1h", "P", "PT", "PT5",
                            "P5M", "PT5D", "PT1M1H", "99999999999999h", " 5m"}) {
        EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
    }
}

TEST(DurationTest, FormatsIsoAsAzureWritesIt) {
    EXPECT_EQ(FormatIsoDuration(minutes(45)), "PT45M");
    EXPECT_EQ(FormatIsoDuration(minutes(90)), "PT1H30M");
    EXPECT_EQ(FormatIsoDuration(hours(26)), "P1DT2H");
    EXPECT_EQ(FormatIsoDuration(Seconds(0)), "PT0S");
    EXPECT_EQ(FormatShortDuration(minutes(90)), "1h30m");
    for (const char* text : {"PT45M", "PT1H30M", "P1DT2H", "PT5M7S"})
        EXPECT_EQ(FormatIsoDuration(*ParseDuration(text)), text);
}

}  // namespace
}  // namespace pw::model
