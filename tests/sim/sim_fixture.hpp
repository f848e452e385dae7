#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

/// Test helpers: run poolwarden-sim as a child process on port 0, talk to it over HTTP.
namespace pw::simtest {

using Json = nlohmann::json;

/// One HTTP exchange's outcome.
struct HttpResult {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  ///< lower-case names
    Json json() const { return Json::parse(body); }
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

/// A blocking one-request-per-connection HTTP/1.1 client (tests only).
inline HttpResult Send(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = {},
                       const std::map<std::string, std::string>& headers = {}) {
    namespace beast = boost::beast;
    namespace http = beast::http;
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(20));
    stream.connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty()) {
        if (headers.count("Content-Type") == 0)
            req.set(http::field::content_type, "application/json");
        req.body() = body;
    }
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.skip(method == "HEAD");
    parser.body_limit(64U * 1024U * 1024U);
    http::read(stream, buf, parser);
    auto res = parser.release();
    HttpResult out;
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    for (const auto& f : res) {
        std::string name(f.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.headers[name] = std::string(f.value());
    }
    beast::error_code ec;
    stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    return out;
}

/// poolwarden-sim running as a child process; stopped (SIGTERM) on destruction.
class SimProcess {
  public:
    explicit SimProcess(std::vector<std::string> args) {
        args.insert(args.begin(), PW_SIM_BINARY);
        int fds[2];
        if (pipe(fds) != 0) throw std::runtime_error("pipe");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) {
            throw std::runtime_error("cannot start " + args[0]);
        }
        posix_spawn_file_actions_destroy(&fa);
        close(fds[1]);
        std::string line;
        char c = 0;
        while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
        close(fds[0]);
        const auto colon = line.rfind(':');
        if (line.rfind("listening on ", 0) != 0 || colon == std::string::npos) {
            throw std::runtime_error("simulator did not start: '" + line + "'");
        }
        port_ = static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)));
        url_ = line.substr(13);
    }
    ~SimProcess() { Stop(); }
    SimProcess(const SimProcess&) = delete;
    SimProcess& operator=(const SimProcess&) = delete;

    /// Sends SIGTERM and waits; returns the exit status (or -1 if already stopped).
    int Stop() {
        if (pid_ <= 0) return -1;
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::uint16_t port() const { return port_; }
    const std::string& url() const { return url_; }

  private:
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::string url_;
};

inline std::string ExampleWorld() {
    return std::string(PW_SOURCE_DIR) + "/config/examples/sim-world.json";
}

/// The example world's Batch account path on the simulator, and the data-plane api-version.
inline const std::string kBatch = "/batch/renderbatch";
inline const std::string kApi = "api-version=2024-07-01.20.0";
inline constexpr const char* kTenant = "22222222-2222-2222-2222-222222222222";
inline constexpr const char* kClient = "33333333-3333-3333-3333-333333333333";
inline constexpr const char* kSecret = "demo-client-secret-not-for-production";
inline constexpr const char* kSub = "11111111-1111-1111-1111-111111111111";
inline constexpr const char* kKey = "cG9vbHdhcmRlbi1zaW0tZGVtby1wcmltYXJ5LWtleS1ub3QtYS1zZWNyZXQ=";

/// A token for `scope` from the simulator's Entra ID endpoint (example world's client).
inline std::string Token(std::uint16_t port, const std::string& scope) {
    std::string enc;
    for (char c : scope) {
        if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-') {
            enc += c;
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
            enc += buf;
        }
    }
    auto r = Send(port, "POST", std::string("/") + kTenant + "/oauth2/v2.0/token",
                  std::string("grant_type=client_credentials&client_id=") + kClient +
                      "&client_secret=" + kSecret + "&scope=" + enc,
                  {{"Content-Type", "application/x-www-form-urlencoded"}});
    if (r.status != 200) throw std::runtime_error("token: " + r.body);
    return r.json()["access_token"].get<std::string>();
}

}  // namespace pw::simtest
