// A local user floods the daemon's observability listener with 5 000 connections. The daemon
// runs with 1 024 file descriptors (as a service with LimitNOFILE=1024 would), so without a
// connection cap the flood takes them all: Azure calls fail, the accept loop spins. With the cap
// the daemon keeps reconciling, /healthz answers and Azure calls succeed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <optional>

#include "../e2e/e2e_fixture.hpp"

namespace pw::security {
namespace {

using e2e::E2E;
using e2e::Json;
using simtest::Send;
using namespace std::chrono_literals;

constexpr int kConnections = 5000;
constexpr rlim_t kDaemonFdLimit = 1024;

/// A TCP socket to 127.0.0.1:port, connecting without waiting (-1 on failure).
int ConnectNonBlocking(std::uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

struct Answer {
    int status = 0;
    std::string body;
};

/// GET `path` on a fresh connection, all of it within `timeout`; nullopt when the server does
/// not answer in time (not accepted, closed at once, or too slow).
std::optional<Answer> TryGet(std::uint16_t port, const std::string& path,
                             std::chrono::milliseconds timeout = 2s) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    auto left = [&] {
        return static_cast<int>(
            std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                          end - std::chrono::steady_clock::now())
                                          .count()));
    };
    const int fd = ConnectNonBlocking(port);
    if (fd < 0) return std::nullopt;
    struct Closer {
        int fd;
        ~Closer() { close(fd); }
    } closer{fd};
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, left()) != 1) return std::nullopt;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) return std::nullopt;
    const std::string req =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
        return std::nullopt;
    std::string in;
    for (;;) {
        p = {fd, POLLIN, 0};
        if (poll(&p, 1, left()) != 1) return std::nullopt;
        char buf[4096];
        const auto n = recv(fd, buf, sizeof buf, 0);
        if (n < 0) return std::nullopt;
        if (n == 0) break;
        in.append(buf, static_cast<std::size_t>(n));
    }
    // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody" (Connection: close: the body runs to the end).
    const auto head_end = in.find("\r\n\r\n");
    if (in.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) return std::nullopt;
    return Answer{std::stoi(in.substr(9, 3)), in.substr(head_end + 4)};
}

/// poolwarden_reconcile_cycles_total summed over its labels, or -1 without an answer.
double Cycles(std::uint16_t port) {
    auto metrics = TryGet(port, "/metrics");
    if (!metrics || metrics->status != 200) return -1;
    double total = 0;
    std::istringstream lines(metrics->body);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("poolwarden_reconcile_cycles_total{", 0) == 0)
            total += std::stod(line.substr(line.rfind(' ') + 1));
    return total;
}

/// Azure requests (not the simulator's admin API) logged after sequence number `after`.
std::vector<Json> AzureRequestsAfter(std::uint16_t sim_port, int after) {
    std::vector<Json> out;
    const Json log = Send(sim_port, "GET", "/_sim/requests").json();
    for (const auto& r : log["requests"])
        if (r["seq"].get<int>() > after && r["path"].get<std::string>().rfind("/_sim/", 0) != 0)
            out.push_back(r);
    return out;
}

TEST(ConnectionFlood, FiveThousandConnectionsDoNotStopReconcilingOrHealthz) {
    // This process holds the flood: raise its own descriptor limit as far as it may.
    rlimit own{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &own), 0);
    own.rlim_cur = std::min<rlim_t>(own.rlim_max, kConnections + 1024);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &own), 0);
    // Beyond what it may hold at once, the oldest connections are closed as new ones open.
    const std::size_t hold = std::min<std::size_t>(kConnections, own.rlim_cur - 256);

    E2E e(e2e::ExampleWorld(), 60);
    e.WritePoolFile("render.yaml", "pools:\n" + e2e::PoolYaml("render-linux", "renderbatch", 4));
    auto& daemon = e.Start();
    const rlimit limit{kDaemonFdLimit, kDaemonFdLimit};
    ASSERT_EQ(prlimit(daemon.pid(), RLIMIT_NOFILE, &limit, nullptr), 0);
    const auto port = e2e::ListeningPort(daemon);
    ASSERT_NE(port, 0) << daemon.Log();
    ASSERT_TRUE(E2E::WaitFor([&] { return Cycles(port) >= 1; }, 20s)) << daemon.Log();

    int seq_before = 0;
    const Json before = Send(e.port(), "GET", "/_sim/requests").json();
    for (const auto& r : before["requests"]) seq_before = std::max(seq_before, r["seq"].get<int>());
    std::deque<int> flood;
    int opened = 0;
    for (int i = 0; i < kConnections; ++i) {
        if (flood.size() >= hold) {
            close(flood.front());
            flood.pop_front();
        }
        const int fd = ConnectNonBlocking(port);
        if (fd >= 0) {
            flood.push_back(fd);
            ++opened;
        }
    }
    EXPECT_EQ(opened, kConnections);
    const auto flooded = std::chrono::steady_clock::now();

    // /healthz answers on a fresh connection while the flood's connections are still open.
    std::optional<Answer> health;
    EXPECT_TRUE(E2E::WaitFor(
        [&] {
            health = TryGet(port, "/healthz");
            return health.has_value();
        },
        20s))
        << "no /healthz answer within 20 s of the flood";
    if (health) {
        EXPECT_EQ(health->status, 200) << health->body;
    }
    // Reconcile cycles go on, and their Azure calls succeed.
    const double cycles = Cycles(port);
    EXPECT_GE(cycles, 1);
    EXPECT_TRUE(E2E::WaitFor([&] { return Cycles(port) >= cycles + 2; }, 10s))
        << "no reconcile cycle finished after the flood";
    const auto azure = AzureRequestsAfter(e.port(), seq_before);
    const auto ok = std::count_if(azure.begin(), azure.end(), [](const Json& r) {
        return r["status"].get<int>() >= 200 && r["status"].get<int>() < 300;
    });
    EXPECT_GE(ok, 2) << "Azure calls after the flood: " << azure.size();
    EXPECT_EQ(daemon.Log().find("Too many open files"), std::string::npos) << daemon.Log();
    EXPECT_TRUE(daemon.Running());
    RecordProperty(
        "seconds_after_flood",
        std::to_string(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - flooded).count()));
    for (int fd : flood) close(fd);
    EXPECT_EQ(daemon.Stop(), 0);
}

}  // namespace
}  // namespace pw::security
