#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "azure/api.hpp"
#include "http/client.hpp"

namespace pw::azure {

/// Which error body format a service speaks.
enum class ErrorFormat {
    Batch,  ///< `{code, message:{value}, values}`
    Arm,    ///< `{error:{code, message, details}}`
    Aad,    ///< `{error, error_description}` (Entra ID and IMDS)
    /// Blob Storage: the code in header `x-ms-error-code`, the body an XML `StorageError`
    /// with `<Message>` (azure-contract.md section 11, [BLOB `#/definitions/StorageError`]).
    Storage,
};

/// The typed error of an HTTP error response (status >= 400): kind from the status (429 and
/// Batch `ServerBusy` are Throttled, 408 Timeout, 401/403 Auth, other 4xx Client, 5xx
/// Server), Azure's code and message decoded from either body format, Retry-After (seconds
/// or HTTP-date, relative to `now`). A body that is not a known error shape (HTML, garbage)
/// gives a message naming the status, never the body itself. Pure.
Error ErrorFromResponse(const http::ClientResponse& response, ErrorFormat format,
                        std::chrono::system_clock::time_point now);

/// Builds an Error (designated initializers would have to name every member).
Error MakeError(ErrorKind kind, std::string message, int http_status = 0, std::string code = {},
                bool request_sent = true);

/// An Error of kind Decode: a response that is not what the API defines.
inline Error DecodeError(std::string message, int http_status) {
    return MakeError(ErrorKind::Decode, std::move(message), http_status);
}

/// The error of a transport failure (no response). Pure.
Error ErrorFromFailure(const http::Failure& failure);

}  // namespace pw::azure
