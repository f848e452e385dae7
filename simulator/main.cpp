#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>

#include "http/server.hpp"
#include "simulator.hpp"
#include "tls.hpp"

namespace {

std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

pw::sim::Json ParseFile(const std::string& path) {
    auto j = pw::sim::Json::parse(ReadFile(path), nullptr, false);
    if (j.is_discarded()) throw std::runtime_error(path + ": not valid JSON");
    return j;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"poolwarden-sim: a local Azure (Entra ID, IMDS, ARM, Compute Gallery, Batch)"};
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    pw::sim::SimOptions options;
    std::string state_file;
    bool save_state = false;
    std::string faults_file;
    bool tls = false;
    std::string tls_cert;
    std::string tls_key;
    std::string tls_ca_out;
    app.add_option("--host", host, "address to listen on")->capture_default_str();
    app.add_option("--port", port, "port to listen on (0 = any free port)")->capture_default_str();
    app.add_option("--time-scale", options.time_scale, "simulated seconds per real second")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--seed", options.seed, "seed for fault injection and generated ids")
        ->capture_default_str();
    app.add_option("--state", state_file, "world JSON file to load");
    app.add_flag("--save-state", save_state, "write the world back to --state on exit");
    app.add_option("--faults", faults_file, "fault-injection rules (JSON)");
    app.add_option("--token-lifetime", options.token_lifetime, "token lifetime in seconds")
        ->capture_default_str();
    app.add_option("--lro-retry-after", options.lro_retry_after, "Retry-After seconds on ARM LROs")
        ->capture_default_str();
    app.add_option("--request-log-limit", options.request_log_limit,
                   "entries kept in the request log (GET /_sim/requests)")
        ->capture_default_str();
    app.add_flag("--tls", tls, "serve HTTPS (generated certificate unless --tls-cert/--tls-key)");
    app.add_option("--tls-cert", tls_cert, "server certificate chain (PEM)");
    app.add_option("--tls-key", tls_key, "server private key (PEM)");
    app.add_option("--tls-ca-out", tls_ca_out, "write the generated CA certificate (PEM) here");
    CLI11_PARSE(app, argc, argv);

    try {
        pw::sim::World world;
        const double now =
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        if (!state_file.empty()) world = pw::sim::World::FromJson(ParseFile(state_file), now);
        options.tls = tls || !tls_cert.empty();
        pw::sim::Simulator sim(std::move(world), options);
        if (!faults_file.empty()) sim.SetFaults(ParseFile(faults_file));

        pw::http::ServerOptions so;
        so.host = host;
        so.port = port;
        if (options.tls) {
            auto ctx =
                std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
            ctx->set_options(boost::asio::ssl::context::no_tlsv1 |
                             boost::asio::ssl::context::no_tlsv1_1);
            if (!tls_cert.empty()) {
                ctx->use_certificate_chain_file(tls_cert);
                ctx->use_private_key_file(tls_key.empty() ? tls_cert : tls_key,
                                          boost::asio::ssl::context::pem);
            } else {
                const auto material = pw::sim::GenerateTls();
                ctx->use_certificate_chain(
                    boost::asio::buffer(material.server_cert_pem + material.ca_cert_pem));
                ctx->use_private_key(boost::asio::buffer(material.server_key_pem),
                                     boost::asio::ssl::context::pem);
                if (!tls_ca_out.empty()) {
                    std::ofstream out(tls_ca_out);
                    out << material.ca_cert_pem;
                    if (!out) throw std::runtime_error("cannot write " + tls_ca_out);
                }
            }
            so.tls = ctx;
        }
        boost::asio::io_context io;
        pw::http::Server server(io.get_executor(), so,
                                [&sim](const pw::http::Request& r) { return sim.Handle(r); });
        server.Start();
        const std::string authority = host + ":" + std::to_string(server.port());
        sim.SetDefaultHost(authority);
        std::cout << "listening on " << (options.tls ? "https" : "http") << "://" << authority
                  << std::endl;

        boost::asio::signal_set signals(io, SIGINT, SIGTERM);
        boost::asio::steady_timer grace(io);
        const auto give_up = std::make_shared<std::chrono::steady_clock::time_point>();
        std::function<void()> wait_drained = [&] {
            if (server.connections() == 0 || std::chrono::steady_clock::now() > *give_up) {
                io.stop();
                return;
            }
            grace.expires_after(std::chrono::milliseconds(20));
            grace.async_wait([&](const boost::system::error_code& ec) {
                if (!ec) wait_drained();
            });
        };
        signals.async_wait([&](const boost::system::error_code& ec, int) {
            if (ec) return;
            server.Stop();
            *give_up = std::chrono::steady_clock::now() + std::chrono::seconds(3);
            wait_drained();
        });
        io.run();
        if (save_state && !state_file.empty()) {
            std::ofstream out(state_file);
            out << sim.DumpWorld().dump(2) << "\n";
        }
        std::cerr << "poolwarden-sim: stopped" << std::endl;
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "poolwarden-sim: " << e.what() << std::endl;
        return 1;
    }
}
