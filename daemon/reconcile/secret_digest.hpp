#pragma once

#include <map>
#include <string>

#include "model/desired.hpp"

namespace pw::reconcile {

/// Fingerprints of the secret files the pools' start tasks name (the patchable secrets:
/// startTask.containerSettings.registry.passwordFile), so that rotating a file is a change.
///
/// Each pass stats every such file (device, inode, size, modification and change times, to the
/// nanosecond); a file's contents are read and digested only when that stat changed since the
/// last pass (or on first sight), so a steady pass reads no secret. The digest of a pool is
/// written into its metadata (model::kSecretDigestKey) on create and patch, and the planner
/// patches a pool whose metadata holds another digest.
///
/// The digest is visible to anyone who can read the pool, so it must not let them test guesses
/// of a weak secret cheaply: it is PBKDF2-HMAC-SHA256 (20 000 iterations) of the contents,
/// salted with a domain tag and the file as written in the pool file, truncated to 64 bits. A
/// plain hash would let a reader check a dictionary at hash speed; the iterations make every
/// guess cost as much as 20 000 HMACs, the salt defeats tables precomputed across files or
/// deployments, and 64 bits say "changed or not" without being a full-strength verifier. A
/// strong secret (a generated password or key) stays out of reach; a guessable one was exposed
/// by its strength, not by this digest.
///
/// Thread safety: not thread-safe; use from the reconcile strand.
class SecretDigests {
  public:
    /// The digest of `spec`'s start-task secret files (empty when it names none). A file that
    /// cannot be read gives "unreadable" in place of its digest (the write reports the error).
    std::string digest(const model::PoolSpec& spec);
    /// The digests of the secret files `spec`'s table-declared properties name (empty-only:
    /// mounts, registries, user accounts, extensions), one per file in document order (as
    /// model::SecretFilePaths lists them), joined by '.'; empty when they name none.
    std::string property_digest(const model::PoolSpec& spec);
    /// Files read (contents digested) so far: tests assert steady passes read none.
    int reads() const { return reads_; }

  private:
    struct Entry {
        std::string stat;
        std::string digest;
    };
    std::string file_digest(const model::PropValue& file);
    std::map<std::string, Entry> files_;  ///< By path as written.
    int reads_ = 0;
};

/// True when `spec`'s start task names a secret file.
bool HasStartTaskSecrets(const model::PoolSpec& spec);
/// True when `spec`'s table-declared properties name a secret file.
bool HasPropertySecrets(const model::PoolSpec& spec);

}  // namespace pw::reconcile
