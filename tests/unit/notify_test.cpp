#include "notify/notify.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace pw::notify {
namespace {

/// A NOTIFY_SOCKET owned by the test: a real AF_UNIX datagram socket.
class NotifySocket {
  public:
    NotifySocket() {
        path_ = std::filesystem::temp_directory_path() /
                ("pw-notify-" + std::to_string(::getpid()) + ".sock");
        std::filesystem::remove(path_);
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) std::abort();
        timeval tv{2, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    }
    ~NotifySocket() {
        ::unsetenv("NOTIFY_SOCKET");
        ::close(fd_);
        std::filesystem::remove(path_);
    }
    std::string receive() {
        char buf[4096];
        auto n = ::recv(fd_, buf, sizeof(buf), 0);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    }

  private:
    std::filesystem::path path_;
    int fd_ = -1;
};

TEST(NotifyTest, SendsEachMessageToTheSocket) {
    NotifySocket sock;
    Notifier n;
    n.ready("1 pools: 1 ready");
    EXPECT_EQ(sock.receive(), "READY=1\nSTATUS=1 pools: 1 ready");
    n.status("line one\nline two");
    EXPECT_EQ(sock.receive(), "STATUS=line one line two");
    n.watchdog();
    EXPECT_EQ(sock.receive(), "WATCHDOG=1");
    n.reloading();
    EXPECT_EQ(sock.receive(), "RELOADING=1");
    n.stopping();
    EXPECT_EQ(sock.receive(), "STOPPING=1");
}

TEST(NotifyTest, WatchdogIntervalIsHalfOfWatchdogUsec) {
    ::setenv("WATCHDOG_USEC", "4000000", 1);
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    auto interval = Notifier::watchdog_interval();
    ASSERT_TRUE(interval);
    EXPECT_EQ(interval->count(), 2000000);
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    EXPECT_FALSE(Notifier::watchdog_interval());
}

}  // namespace
}  // namespace pw::notify
