// The systemd notify protocol of `poolwarden run`, end to end: the real binary against
// poolwarden-sim, with a NOTIFY_SOCKET (a real AF_UNIX datagram socket) that this test owns and
// WATCHDOG_USEC=2s, as systemd would set them for Type=notify and WatchdogSec=2s.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <regex>

#include "../e2e/e2e_fixture.hpp"

namespace pw::e2e {
namespace {

using Clock = std::chrono::steady_clock;

/// One datagram and when it arrived.
struct Message {
    Clock::time_point at;
    std::string text;
};

/// A NOTIFY_SOCKET: binds a datagram socket and records every message on a thread.
class NotifySocket {
  public:
    explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
            throw std::runtime_error("cannot bind " + path_.string());
        timeval tv{0, 100000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        thread_ = std::thread([this] {
            char buf[4096];
            while (!done_) {
                auto n = ::recv(fd_, buf, sizeof(buf), 0);
                if (n <= 0) continue;
                std::lock_guard lock(mutex_);
                messages_.push_back({Clock::now(), std::string(buf, static_cast<std::size_t>(n))});
            }
        });
    }
    ~NotifySocket() {
        done_ = true;
        thread_.join();
        ::close(fd_);
        std::filesystem::remove(path_);
    }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    std::vector<Message> messages() {
        std::lock_guard lock(mutex_);
        return messages_;
    }
    /// Index of the first message from `from` on that contains `text`, waiting up to `timeout`.
    std::optional<std::size_t> WaitFor(const std::string& text, std::size_t from,
                                       std::chrono::milliseconds timeout) {
        auto end = Clock::now() + timeout;
        do {
            auto all = messages();
            for (std::size_t i = from; i < all.size(); ++i)
                if (all[i].text.find(text) != std::string::npos) return i;
            std::this_thread::sleep_for(20ms);
        } while (Clock::now() < end);
        return std::nullopt;
    }
    /// Arrival times of WATCHDOG=1 within [from, to].
    std::vector<Clock::time_point> Pings(Clock::time_point from, Clock::time_point to) {
        std::vector<Clock::time_point> out;
        for (const auto& m : messages())
            if (m.text == "WATCHDOG=1" && m.at >= from && m.at <= to) out.push_back(m.at);
        return out;
    }

  private:
    std::filesystem::path path_;
    int fd_ = -1;
    std::atomic<bool> done_{false};
    std::mutex mutex_;
    std::vector<Message> messages_;
    std::thread thread_;
};

/// `poolwarden run` started as systemd would: NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID (the
/// daemon's own pid, via a shell that execs it) and CREDENTIALS_DIRECTORY (LoadCredential=).
class NotifiedDaemon {
  public:
    NotifiedDaemon(const std::filesystem::path& config, const std::filesystem::path& socket,
                   const std::filesystem::path& log, const std::filesystem::path& credentials)
        : log_(log) {
        std::vector<std::string> args = {
            "/bin/sh",        "-c",  "WATCHDOG_PID=$$; export WATCHDOG_PID; exec \"$0\" \"$@\"",
            PW_DAEMON_BINARY, "run", "--config",
            config.string()};
        std::vector<std::string> env = {"NOTIFY_SOCKET=" + socket.string(), "WATCHDOG_USEC=2000000",
                                        "CREDENTIALS_DIRECTORY=" + credentials.string()};
        for (char** e = environ; *e != nullptr; ++e) {
            std::string v(*e);
            if (v.rfind("NOTIFY_SOCKET=", 0) != 0 && v.rfind("WATCHDOG_", 0) != 0 &&
                v.rfind("CREDENTIALS_DIRECTORY=", 0) != 0)
                env.push_back(v);
        }
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        std::vector<char*> argv, envp;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        for (auto& e : env) envp.push_back(e.data());
        envp.push_back(nullptr);
        if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), envp.data()) != 0)
            throw std::runtime_error("cannot start poolwarden");
        posix_spawn_file_actions_destroy(&fa);
    }
    ~NotifiedDaemon() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    NotifiedDaemon(const NotifiedDaemon&) = delete;
    NotifiedDaemon& operator=(const NotifiedDaemon&) = delete;

    void Signal(int sig) { kill(pid_, sig); }
    /// Waits for the exit; its status, or -1 after `timeout`.
    int Wait(std::chrono::milliseconds timeout) {
        auto end = Clock::now() + timeout;
        while (Clock::now() < end) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(20ms);
        }
        return -1;
    }
    std::string Log() const {
        std::ifstream in(log_);
        return {std::istreambuf_iterator<char>(in), {}};
    }
    /// The port of /metrics, /readyz... from the daemon's log line.
    std::optional<std::uint16_t> Port() const {
        std::smatch m;
        const std::string log = Log();
        static const std::regex re(
            R"(observability endpoints listening.*address=127\.0\.0\.1:(\d+))");
        if (!std::regex_search(log, m, re)) return std::nullopt;
        return static_cast<std::uint16_t>(std::stoi(m[1]));
    }

  private:
    pid_t pid_ = -1;
    std::filesystem::path log_;
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double LongestGap(const std::vector<Clock::time_point>& pings) {
    double longest = 0;
    for (std::size_t i = 1; i < pings.size(); ++i)
        longest = std::max(longest, Seconds(pings[i] - pings[i - 1]));
    return longest;
}

TEST(SystemdNotify, ReadyStatusWatchdogReloadStop) {
    E2E e(ExampleWorld(), 600);
    e.WritePoolFile("render.yaml", "pools:\n" + PoolYaml("render", "renderbatch", 4));
    NotifySocket sock(e.dir() / "notify.sock");
    // No clientSecretFile: the secret is systemd's credential `client-secret`.
    {
        std::ifstream in(e.dir() / "poolwarden.yaml");
        std::string text{std::istreambuf_iterator<char>(in), {}};
        const std::string line = "  clientSecretFile: client-secret\n";
        ASSERT_NE(text.find(line), std::string::npos);
        text.erase(text.find(line), line.size());
        std::ofstream(e.dir() / "poolwarden.yaml") << text;
        std::filesystem::create_directories(e.dir() / "credentials");
        std::filesystem::rename(e.dir() / "client-secret", e.dir() / "credentials/client-secret");
    }

    // Entra ID does not answer at first: READY=1 must wait for the first token.
    ASSERT_EQ(Send(e.port(), "PUT", "/_sim/faults",
                   R"({"rules":[{"path":"/oauth2/","action":"stall","stallMs":2000}]})")
                  .status,
              200);
    NotifiedDaemon d(e.dir() / "poolwarden.yaml", e.dir() / "notify.sock",
                     e.dir() / "poolwarden.log", e.dir() / "credentials");
    auto waiting = sock.WaitFor("STATUS=starting: waiting for the first Entra ID token", 0, 10s);
    ASSERT_TRUE(waiting) << d.Log();
    auto port = d.Port();
    ASSERT_TRUE(port) << d.Log();
    std::this_thread::sleep_for(1500ms);
    EXPECT_FALSE(sock.WaitFor("READY=1", 0, 0ms)) << "READY=1 before any token";
    EXPECT_EQ(Send(*port, "GET", "/readyz?exclude=observation").status, 503);
    ASSERT_EQ(Send(e.port(), "DELETE", "/_sim/faults").status, 204);

    auto ready = sock.WaitFor("READY=1", 0, 20s);
    ASSERT_TRUE(ready) << d.Log();
    // By the time READY=1 arrives the listener answers and /readyz's config and token checks
    // pass (the observation check needs a finished pass, which may still be running).
    auto readyz = Send(*port, "GET", "/readyz?exclude=observation");
    EXPECT_EQ(readyz.status, 200) << readyz.body;
    EXPECT_NE(readyz.body.find("[+]token ok"), std::string::npos) << readyz.body;

    // STATUS= after the passes: a one-line summary of the pools.
    auto status = sock.WaitFor("STATUS=1 pool: ", *ready, 15s);
    ASSERT_TRUE(status) << d.Log();
    EXPECT_TRUE(std::regex_search(
        sock.messages()[*status].text,
        std::regex(
            R"(^STATUS=1 pool: \d ready, \d progressing, \d degraded; last cycle \d+\.\d\ds)")))
        << sock.messages()[*status].text;

    // WATCHDOG=1 every WATCHDOG_USEC/2 (1 s) while the loop runs normally.
    auto healthy_from = Clock::now();
    std::this_thread::sleep_for(5s);
    auto pings = sock.Pings(healthy_from, Clock::now());
    EXPECT_GE(pings.size(), 4U);
    EXPECT_LE(pings.size(), 6U);
    EXPECT_LT(LongestGap(pings), 1.8) << "pings should come about every second";

    // The Batch pool list stalls (no answer for 6 s, then the connection drops): the pass
    // hangs in list_pools and the pings stop, then resume once Azure answers again.
    ASSERT_EQ(Send(e.port(), "PUT", "/_sim/faults",
                   R"({"rules":[{"method":"GET","path":"^/batch/renderbatch/pools",)"
                   R"("action":"stall","stallMs":6000}]})")
                  .status,
              200);
    auto stalled_from = Clock::now();
    std::this_thread::sleep_for(8s);
    auto stalled_to = Clock::now();
    ASSERT_EQ(Send(e.port(), "DELETE", "/_sim/faults").status, 204);
    // The gaps between pings, and from the fault to the first and from the last to the end.
    auto stalled_pings = sock.Pings(stalled_from, stalled_to);
    stalled_pings.insert(stalled_pings.begin(), stalled_from);
    stalled_pings.push_back(stalled_to);
    EXPECT_GE(LongestGap(stalled_pings), 3.5) << "WATCHDOG=1 kept coming while the loop hung";
    auto resumed_from = Clock::now();
    ASSERT_TRUE(
        E2E::WaitFor([&] { return sock.Pings(resumed_from + 6s, Clock::now()).size() >= 2; }, 15s))
        << "WATCHDOG=1 did not resume after the stall ended\n"
        << d.Log();

    // SIGHUP (systemctl reload): RELOADING=1, then READY=1 once the reload finished.
    auto before_reload = sock.messages().size();
    d.Signal(SIGHUP);
    auto reloading = sock.WaitFor("RELOADING=1", before_reload, 5s);
    ASSERT_TRUE(reloading) << d.Log();
    auto reloaded = sock.WaitFor("READY=1", *reloading, 5s);
    EXPECT_TRUE(reloaded) << d.Log();
    EXPECT_NE(d.Log().find("configuration reloaded"), std::string::npos);

    // SIGTERM (systemctl stop): STOPPING=1 and exit 0.
    auto before_stop = sock.messages().size();
    d.Signal(SIGTERM);
    EXPECT_TRUE(sock.WaitFor("STOPPING=1", before_stop, 5s)) << d.Log();
    EXPECT_EQ(d.Wait(30s), 0) << d.Log();
    const std::string log = d.Log();
    EXPECT_NE(log.find("client secret: systemd credential"), std::string::npos) << log;
    EXPECT_EQ(log.find(simtest::kSecret), std::string::npos) << "the secret reached the log";
    for (const auto& m : sock.messages())
        EXPECT_EQ(m.text.find(simtest::kSecret), std::string::npos) << m.text;
}

}  // namespace
}  // namespace pw::e2e
