#pragma once

// `poolwarden doctor`: every check once, one line each. The pure parts (the finding -> check
// table, the Azure checks from one read-only pass, rendering, the exit code) are unit-tested
// (tests/unit/doctor_test.cpp); the local checks touch the file system, the network and the
// clock and are kept to small functions below.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "azure/api.hpp"
#include "config/config.hpp"
#include "model/desired.hpp"
#include "model/plan.hpp"
#include "reconcile/reconciler.hpp"

namespace pw::cli {

/// The outcome of one doctor check.
enum class DoctorStatus { Ok, Warn, Fail };

/// `OK`, `WARN`, `FAIL`.
std::string_view ToString(DoctorStatus status);

/// One line of `poolwarden doctor`.
///
/// Thread safety: a value type.
struct DoctorCheck {
    std::string scope;    ///< `local`, `account` or `pool`.
    std::string account;  ///< Local account name (account and pool scope), else "".
    std::string pool;     ///< Pool id (pool scope), else "".
    std::string check;    ///< Stable name: `daemon-file`, `token`, `quota`, ...
    DoctorStatus status = DoctorStatus::Ok;
    std::string message;  ///< What was found; never a secret.
    std::string fix;      ///< One sentence: what to change (empty when OK).
};

/// A per-pool check and the planner finding codes that fail or warn it. A pool with no finding
/// of a check's codes is OK for that check.
struct DoctorPoolCheck {
    std::string_view check;
    std::vector<std::string_view> codes;
};

/// The table, in output order: image, image-os, image-subscription, quota, vm-size, security,
/// account.
const std::vector<DoctorPoolCheck>& DoctorPoolChecks();

/// The pool check a finding code belongs to; "" for codes outside the table.
std::string_view DoctorCheckForCode(std::string_view code);

/// Splits a finding message at its `Fix:` sentence: {what, fix} (fix "" when there is none).
std::pair<std::string, std::string> SplitFix(std::string_view message);

/// What the doctor's read-only Azure clients saw besides the observation: the outcome of each
/// token fetch and of each Batch account GET and VM size list read.
///
/// Thread safety: a value type.
struct DoctorReads {
    /// Resource -> whether the token fetch succeeded (absent: no fetch for it).
    std::map<std::string, bool> tokens;
    /// The clients could not be built (e.g. no client secret): the message.
    std::string clients_error;
    /// Local account name -> the error of its Batch account GET (absent: it succeeded or was
    /// not made).
    std::map<std::string, azure::Error> account_errors;
    /// Local account names whose Batch account GET was made.
    std::map<std::string, azure::AccountInfo> accounts;
    /// observe::SkuKey(subscription, location) -> the error of its VM size list read.
    std::map<std::string, azure::Error> sku_errors;
    /// Write calls refused (doctor never writes; a refusal is a bug, reported as FAIL).
    std::vector<std::string> refused_writes;
};

/// The account and pool checks from one read-only observation and plan (`report`) of
/// `declared` (app::Mode::PlanLive), in output order: per account (daemon file order) token,
/// account-readable, pool-list, quota, vm-size-list, then per pool of that account (pool file
/// order) the DoctorPoolChecks() rows. Pure.
std::vector<DoctorCheck> AzureChecks(const model::DesiredState& declared,
                                     const reconcile::CycleReport& report,
                                     const DoctorReads& reads);

/// The text report: local checks, then each account and its pools, one line per check
/// (`  OK    token  message`), a `fix:` line under every WARN and FAIL, and a summary line.
/// Pure.
std::string RenderDoctorText(const std::vector<DoctorCheck>& checks);

/// `{"checks": [{"scope", "account", "pool", "check", "status", "message", "fix"}],
/// "summary": {"ok", "warn", "fail"}}`; every member always present ("" when it does not
/// apply). Pure.
std::string RenderDoctorJson(const std::vector<DoctorCheck>& checks);

/// 0 when no check FAILed, else 1. Pure.
int DoctorExitCode(const std::vector<DoctorCheck>& checks);

// ---- local checks -------------------------------------------------------------------------

/// Clock skew thresholds against the token endpoint's `Date` header.
inline constexpr std::chrono::seconds kSkewWarn{60};
inline constexpr std::chrono::seconds kSkewFail{300};

/// The clock-skew row: `date` is the Date header (nullopt: absent or malformed), `local` the
/// local clock at the middle of the exchange, `host` what was asked. Pure.
DoctorCheck ClockSkewCheck(std::string_view host, std::optional<std::string> date_header,
                           std::chrono::system_clock::time_point local);

/// `daemon-file` and `pool-file` rows of a LoadConfig result (one row per error, naming
/// file:line:column). Pure.
std::vector<DoctorCheck> ConfigChecks(const std::string& daemon_file,
                                      const config::LoadedConfig* loaded,
                                      const std::vector<config::ConfigError>& daemon_errors);

/// Environment lookup ("" when unset).
using DoctorEnv = std::function<std::string(const char*)>;

/// `secret-file` rows: the client secret file (clientSecret), the federated token file
/// (workloadIdentity) and every `...File` of every pool: present and a regular file (else
/// FAIL), mode 0600 or stricter (else WARN). Reads no contents. Stats the files.
std::vector<DoctorCheck> SecretFileChecks(const config::LoadedConfig& loaded, const DoctorEnv& env);

/// `credentials-directory`: when the config refers to `$CREDENTIALS_DIRECTORY` (clientSecret
/// without clientSecretFile, or a relative pool secret file) and it is set, a readable
/// directory; else OK, not applicable. Stats the directory.
DoctorCheck CredentialsDirectoryCheck(const config::LoadedConfig& loaded, const DoctorEnv& env);

/// `listen-address`: binds the daemon file's `listen` address and closes it. In use: WARN when
/// a poolwarden answers `/status` there, else FAIL.
DoctorCheck ListenAddressCheck(const std::string& listen);

/// `clock-skew`: one GET of the token endpoint (Entra ID's for clientSecret and
/// workloadIdentity, IMDS for managedIdentity) for its `Date` header.
DoctorCheck ClockSkewProbe(const config::DaemonConfig& daemon, const DoctorEnv& env);

}  // namespace pw::cli
