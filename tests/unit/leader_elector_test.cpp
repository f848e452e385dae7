// The pure leader Elector (issue 18) at its boundaries, and the Blob error typing it keys on.
#include <gtest/gtest.h>

#include "azure/blob_lease.hpp"
#include "azure/errors.hpp"
#include "leader/elector.hpp"

namespace pw::leader {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

const Mono T0 = Mono(std::chrono::hours(1));

Elector Make(std::chrono::seconds lease = 15s, std::chrono::seconds renew = 5s) {
    return Elector(ElectorSettings{lease, renew, SafetyMargin(lease)});
}

TEST(SafetyMargin, TenthOfTheLeaseAtLeastOneSecond) {
    EXPECT_EQ(SafetyMargin(15s), 1500ms);
    EXPECT_EQ(SafetyMargin(60s), 6000ms);
    EXPECT_EQ(SafetyMargin(5s), 1000ms);
}

TEST(Elector, StandbyNeverWrites) {
    auto e = Make();
    EXPECT_FALSE(e.held());
    EXPECT_FALSE(e.can_write(T0, 0ms));
    EXPECT_FALSE(e.is_leader(T0));
    EXPECT_FALSE(e.valid_until().has_value());
}

struct WriteCase {
    milliseconds after_grant;  ///< now - grant time
    milliseconds needed;
    bool can_write;
};

class ElectorWrites : public ::testing::TestWithParam<WriteCase> {};

// Lease 15 s granted at T0 (the moment the acquire was sent), margin 1.5 s: provable until
// T0 + 13.5 s; a write needing `needed` may start only while now + needed < T0 + 13.5 s.
TEST_P(ElectorWrites, OnlyWhileTheLeaseIsProvenForTheWrite) {
    auto e = Make();
    e.on_granted(T0);
    const auto& c = GetParam();
    EXPECT_EQ(e.can_write(T0 + c.after_grant, c.needed), c.can_write)
        << c.after_grant.count() << " ms after the grant, needing " << c.needed.count() << " ms";
}

INSTANTIATE_TEST_SUITE_P(
    Boundaries, ElectorWrites,
    ::testing::Values(WriteCase{0ms, 0ms, true}, WriteCase{0ms, 2000ms, true},
                      WriteCase{11499ms, 2000ms, true},   // ends at 13.499 s
                      WriteCase{11500ms, 2000ms, false},  // ends exactly at 13.5 s
                      WriteCase{13499ms, 0ms, true}, WriteCase{13500ms, 0ms, false},
                      WriteCase{14999ms, 0ms, false},    // Azure still holds it; not provable
                      WriteCase{30000ms, 0ms, false},    // woke from a pause past the lease
                      WriteCase{0ms, 13500ms, false}));  // a write longer than the lease

TEST(Elector, RenewExtendsFromTheRenewSent) {
    auto e = Make();
    e.on_granted(T0);
    e.on_granted(T0 + 5s);
    EXPECT_TRUE(e.can_write(T0 + 16s, 2000ms));  // 16 + 2 < 5 + 13.5
    EXPECT_FALSE(e.can_write(T0 + 17s, 2000ms));
    ASSERT_TRUE(e.valid_until());
    EXPECT_EQ(*e.valid_until(), T0 + 5s + 13500ms);
}

TEST(Elector, LostStopsWritesAtOnce) {
    auto e = Make();
    e.on_granted(T0);
    e.on_lost();
    EXPECT_FALSE(e.can_write(T0 + 1ms, 0ms));
    EXPECT_FALSE(e.held());
}

TEST(Elector, FailedRenewKeepsTheProvenEndOnly) {
    auto e = Make();
    e.on_granted(T0);
    e.on_failed(T0 + 5s);
    EXPECT_TRUE(e.can_write(T0 + 6s, 2000ms));
    EXPECT_FALSE(e.can_write(T0 + 13500ms, 0ms));
    EXPECT_TRUE(e.held());  // the id may still hold it: an acquire with it renews
}

TEST(Elector, NextStep) {
    auto e = Make();
    // A standby acquires at once, then every renew period.
    EXPECT_EQ(e.next(T0).op, Elector::Op::Acquire);
    EXPECT_EQ(e.next(T0).at, T0);
    e.on_attempt(T0);
    e.on_lost();
    EXPECT_EQ(e.next(T0 + 1s).at, T0 + 5s);
    EXPECT_EQ(e.next(T0 + 7s).at, T0 + 7s);
    // A leader renews one period after the grant.
    e.on_granted(T0 + 10s);
    EXPECT_EQ(e.next(T0 + 11s).op, Elector::Op::Renew);
    EXPECT_EQ(e.next(T0 + 11s).at, T0 + 15s);
    // A failed renew is retried a second later, not a period later.
    e.on_failed(T0 + 15s);
    EXPECT_EQ(e.next(T0 + 15s).op, Elector::Op::Renew);
    EXPECT_EQ(e.next(T0 + 15s).at, T0 + 16s);
    // Past the proven end (a pause): acquire with our own id at once, before any write.
    EXPECT_EQ(e.next(T0 + 60s).op, Elector::Op::Acquire);
    EXPECT_EQ(e.next(T0 + 60s).at, T0 + 60s);
}

TEST(BlobErrors, CodeFromHeaderMessageFromXml) {
    http::ClientResponse r;
    r.status = 409;
    r.headers = {{"x-ms-error-code", "LeaseAlreadyPresent"}};
    r.body =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>LeaseAlreadyPresent</Code>"
        "<Message>There is already a lease present.\nRequestId:x</Message></Error>";
    auto e = azure::ErrorFromResponse(r, azure::ErrorFormat::Storage, {});
    EXPECT_EQ(e.kind, azure::ErrorKind::Client);
    EXPECT_EQ(e.code, "LeaseAlreadyPresent");
    EXPECT_EQ(e.message, "There is already a lease present.");
    // Azurite answers a renew without x-ms-lease-id with a bare 400 (azurite-facts.md).
    http::ClientResponse bare;
    bare.status = 400;
    auto b = azure::ErrorFromResponse(bare, azure::ErrorFormat::Storage, {});
    EXPECT_EQ(b.code, "");
    EXPECT_EQ(b.message, "HTTP 400 Bad Request");
}

TEST(BlobErrors, LeaseLostCodes) {
    for (auto code : {"LeaseIdMismatchWithLeaseOperation", "LeaseNotPresentWithLeaseOperation",
                      "LeaseIsBrokenAndCannotBeRenewed", "LeaseLost", "LeaseIdMissing"})
        EXPECT_TRUE(azure::IsLeaseLost(code)) << code;
    for (auto code : {"LeaseAlreadyPresent", "ServerBusy", "", "BlobNotFound"})
        EXPECT_FALSE(azure::IsLeaseLost(code)) << code;
}

}  // namespace
}  // namespace pw::leader
