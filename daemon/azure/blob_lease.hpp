#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <string>

#include "azure/api.hpp"
#include "azure/transport.hpp"

namespace pw::azure {

/// The Entra ID resource of Blob Storage tokens (azure-contract.md section 4; Azurite accepts
/// `https://storage.azure.com` with or without the slash, ../shared/azurite-facts.md).
inline constexpr const char* kStorageResource = "https://storage.azure.com/";

/// `x-ms-version` sent on every Blob call: the version of the spec the calls are built from
/// (azure-specs/storage-blob/.../stable/2027-03-07/blob.json; contract section 11).
inline constexpr const char* kBlobApiVersion = "2027-03-07";

/// Lease error codes (`x-ms-error-code`, [BLOB `#/definitions/ErrorCode`]).
inline constexpr std::string_view kLeaseAlreadyPresent = "LeaseAlreadyPresent";
inline constexpr std::string_view kBlobAlreadyExists = "BlobAlreadyExists";

/// What a blob's properties say about its lease and its holder (HEAD).
struct BlobLeaseInfo {
    std::string state;   ///< `x-ms-lease-state`: available|leased|expired|breaking|broken.
    std::string holder;  ///< Metadata `holder` (the leader's identity), "" when unset.
    std::string since;   ///< Metadata `since` (RFC 3339, when it took the lease).
};

/// True for the error codes that mean "this lease id no longer holds the blob": the lease was
/// lost to another holder, released, broken or expired and retaken (contract section 11:
/// LeaseIdMismatchWithLeaseOperation, LeaseNotPresentWithLeaseOperation,
/// LeaseIsBrokenAndCannotBeRenewed, LeaseAlreadyBroken, LeaseLost, and the write-precondition
/// codes LeaseIdMismatchWithBlobOperation, LeaseNotPresentWithBlobOperation, LeaseIdMissing).
/// Pure.
bool IsLeaseLost(std::string_view code);

/// The lease operations on one blob (azure-contract.md section 11, `PUT ?comp=lease` with
/// `x-ms-lease-action`), with a bearer token for kStorageResource through the daemon's
/// Transport (retry policy, timeouts, token cache). Errors keep the `x-ms-error-code` in
/// Error::code; callers key their logic on it, not on the status.
///
/// Thread safety: use from one strand (the Transport's).
class BlobLeaseClient {
  public:
    struct Options {
        std::string blob_url;  ///< `https://acct.blob.core.windows.net/container/blob`.
        std::string resource = kStorageResource;
        std::chrono::milliseconds deadline{10000};        ///< All attempts of one call.
        std::chrono::milliseconds attempt_timeout{5000};  ///< One exchange.
    };

    BlobLeaseClient(Transport& transport, Options options);

    /// `PUT` an empty BlockBlob with `If-None-Match: *`: 201 when created; 409
    /// `BlobAlreadyExists` is success too (azurite-facts.md; [BLOB `BlockBlob_Upload`]).
    boost::asio::awaitable<Result<Unit>> create_if_missing();
    /// acquire (201) with `x-ms-lease-duration` 15-60 and `x-ms-proposed-lease-id`; returns
    /// the `x-ms-lease-id` granted. `LeaseAlreadyPresent` when another id holds it.
    boost::asio::awaitable<Result<std::string>> acquire(const std::string& proposed_id,
                                                        std::chrono::seconds duration);
    /// renew (200) with `x-ms-lease-id`.
    boost::asio::awaitable<Result<Unit>> renew(const std::string& lease_id);
    /// release (200) with `x-ms-lease-id`.
    boost::asio::awaitable<Result<Unit>> release(const std::string& lease_id);
    /// `PUT ?comp=metadata` with `x-ms-meta-*` and the holder's `x-ms-lease-id` (a leased blob
    /// refuses writes without it: 412 LeaseIdMissing).
    boost::asio::awaitable<Result<Unit>> set_metadata(
        const std::string& lease_id, const std::map<std::string, std::string>& metadata);
    /// `HEAD`: lease state and the holder written in the metadata.
    boost::asio::awaitable<Result<BlobLeaseInfo>> read();

    const std::string& blob_url() const { return options_.blob_url; }

  private:
    /// A lease action on the lease this client holds (renew, release: 200 with
    /// `x-ms-lease-id`); the arguments are copied into the coroutine frame.
    boost::asio::awaitable<Result<Unit>> held_lease_action(std::string action,
                                                           std::string lease_id);
    http::ClientRequest request(boost::beast::http::verb method, const std::string& query) const;
    CallOptions call(std::string operation) const;

    Transport& transport_;
    Options options_;
    std::string rate_key_;
};

}  // namespace pw::azure
