#pragma once

#include <string>

/// TLS material for the simulator: a throw-away CA and a server certificate it signs.
namespace pw::sim {

/// PEM strings of a generated CA and of a server certificate/key for 127.0.0.1 and localhost.
struct TlsMaterial {
    std::string ca_cert_pem;
    std::string server_cert_pem;
    std::string server_key_pem;
};

/// Generates a fresh CA and a server certificate (P-256, valid 30 days) for the given DNS names
/// and IP addresses. Throws std::runtime_error if OpenSSL fails.
///
/// Thread safety: safe to call concurrently.
TlsMaterial GenerateTls();

}  // namespace pw::sim
