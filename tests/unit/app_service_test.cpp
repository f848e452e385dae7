#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "app/service.hpp"

namespace pw::app {
namespace {

using namespace std::chrono_literals;

reconcile::PoolStatus Pool(const std::string& id, bool ready, bool degraded) {
    reconcile::PoolStatus p;
    p.id = id;
    p.conditions = {{"Ready", ready, "", "", {}},
                    {"Progressing", !ready, "", "", {}},
                    {"Degraded", degraded, "", "", {}}};
    return p;
}

TEST(StatusLineTest, CountsPoolsByConditionDegradedFirst) {
    reconcile::StatusSnapshot s;
    s.pools = {Pool("a", true, false), Pool("b", true, false), Pool("c", false, false),
               Pool("d", true, true)};
    EXPECT_EQ(StatusLine(s, 0.214),
              "4 pools: 2 ready, 1 progressing, 1 degraded; last cycle 0.21s");
    s.pools.resize(1);
    s.accounts = {{"east", false, "timeout", "", 0}, {"west", true, "", "", 1}};
    s.config_files = {{"pools.d/bad.yaml", false, true, {"x"}}};
    EXPECT_EQ(StatusLine(s, 1.0),
              "1 pool: 1 ready, 0 progressing, 0 degraded; last cycle 1.00s; 1 account(s) not "
              "observed; 1 rejected config file(s)");
}

/// A NOTIFY_SOCKET owned by the test.
class Socket {
  public:
    Socket() {
        path_ = std::filesystem::temp_directory_path() /
                ("pw-service-" + std::to_string(::getpid()) + ".sock");
        std::filesystem::remove(path_);
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) std::abort();
        ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    }
    ~Socket() {
        ::unsetenv("NOTIFY_SOCKET");
        ::close(fd_);
        std::filesystem::remove(path_);
    }
    std::vector<std::string> drain() {
        std::vector<std::string> out;
        char buf[4096];
        for (;;) {
            auto n = ::recv(fd_, buf, sizeof(buf), 0);
            if (n <= 0) return out;
            out.emplace_back(buf, static_cast<std::size_t>(n));
        }
    }

  private:
    std::filesystem::path path_;
    int fd_ = -1;
};

int Count(const std::vector<std::string>& messages, const std::string& text) {
    return static_cast<int>(std::count(messages.begin(), messages.end(), text));
}

TEST(ServiceNotifierTest, ReadyWaitsForListenerAndReadiness) {
    Socket sock;
    boost::asio::io_context io;
    bool ready = false;
    ServiceNotifier n(
        io.get_executor(), [&] { return ready; }, [] { return false; }, std::nullopt);
    n.token_fetched(true);
    EXPECT_TRUE(sock.drain().empty()) << "nothing before the listener is up";
    n.listening();
    EXPECT_EQ(sock.drain(),
              std::vector<std::string>{"STATUS=starting: waiting for the first Entra ID token"});
    n.token_fetched(false);
    EXPECT_EQ(sock.drain(), std::vector<std::string>{"STATUS=starting: no Entra ID token yet (1 "
                                                     "failed attempt(s); see the log)"});
    n.reloading();
    n.reloaded();
    EXPECT_TRUE(sock.drain().empty()) << "no RELOADING/READY before the first READY";
    ready = true;
    n.cycle_finished("1 pool: 1 ready");
    EXPECT_EQ(sock.drain(), std::vector<std::string>{"READY=1\nSTATUS=1 pool: 1 ready"});
    EXPECT_TRUE(n.is_ready());
    n.cycle_finished("1 pool: 0 ready");
    n.reloading();
    n.reloaded();
    n.stopping();
    EXPECT_EQ(sock.drain(),
              (std::vector<std::string>{"STATUS=1 pool: 0 ready", "RELOADING=1",
                                        "READY=1\nSTATUS=1 pool: 0 ready", "STOPPING=1",
                                        "STATUS=stopping: waiting for in-flight "
                                        "writes"}));
}

TEST(ServiceNotifierTest, WatchdogPingsOnlyWhileTheLoopIsIdleOrMoving) {
    Socket sock;
    boost::asio::io_context io;
    bool busy = false;
    ServiceNotifier n(
        io.get_executor(), [] { return true; }, [&] { return busy; },
        std::chrono::microseconds(20000));
    n.start();
    io.run_for(110ms);
    int idle = Count(sock.drain(), "WATCHDOG=1");
    EXPECT_GE(idle, 4) << "idle between passes: pinged every 20 ms";
    busy = true;
    n.progress();
    io.run_for(150ms);  // the window is 40 ms after the last progress
    int stuck = Count(sock.drain(), "WATCHDOG=1");
    EXPECT_LE(stuck, 3) << "a busy loop without progress stops the pings";
    io.run_for(100ms);
    EXPECT_EQ(Count(sock.drain(), "WATCHDOG=1"), 0);
    n.progress();
    io.run_for(30ms);
    EXPECT_GE(Count(sock.drain(), "WATCHDOG=1"), 1) << "progress resumes the pings";
    n.cancel();
}

}  // namespace
}  // namespace pw::app
