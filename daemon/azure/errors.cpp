#include "azure/errors.hpp"

#include <fmt/format.h>

#include "codec/decode.hpp"
#include "http/http_date.hpp"

namespace pw::azure {

std::string_view ToString(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Network:
            return "network";
        case ErrorKind::Timeout:
            return "timeout";
        case ErrorKind::Throttled:
            return "throttled";
        case ErrorKind::Auth:
            return "auth";
        case ErrorKind::Client:
            return "client";
        case ErrorKind::Server:
            return "server";
        case ErrorKind::Decode:
            return "decode";
        case ErrorKind::Cancelled:
            return "cancelled";
    }
    return "unknown";
}

std::string Error::str() const {
    std::string out(ToString(kind));
    if (http_status != 0) out += fmt::format(" (HTTP {})", http_status);
    if (!code.empty()) out += ": " + code;
    if (!message.empty()) out += (code.empty() ? ": " : " - ") + message;
    if (retry_after) out += fmt::format(" (retry after {} ms)", retry_after->count());
    return out;
}

namespace {

std::string_view Reason(int status) {
    switch (status) {
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 412:
            return "Precondition Failed";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "";
    }
}

bool TryBatch(std::string_view body, Error& error) {
    auto decoded = codec::DecodeBatchError(body);
    if (!decoded) return false;
    error.code = decoded->code;
    error.message = decoded->message;
    for (const auto& [key, value] : decoded->values) {
        if (key == "Reason" || key == "QueryParameterName" || key == "PropertyName" ||
            key == "HeaderName")
            error.message += fmt::format(" [{}={}]", key, value);
    }
    return true;
}

bool TryArm(std::string_view body, Error& error) {
    auto decoded = codec::DecodeArmError(body);
    if (!decoded) return false;
    error.code = decoded->code;
    error.message = decoded->message;
    if (!decoded->details.empty() && !decoded->details.front().message.empty())
        error.message +=
            " (" + decoded->details.front().code + ": " + decoded->details.front().message + ")";
    return true;
}

bool TryAad(std::string_view body, Error& error) {
    auto decoded = codec::DecodeAadError(body);
    if (!decoded) return false;
    error.code = decoded->error;
    error.message = decoded->error_description;
    return true;
}

bool TryStorage(const http::ClientResponse& response, Error& error) {
    error.code = response.header("x-ms-error-code");
    if (error.code.empty()) return false;
    const std::string& body = response.body;
    auto open = body.find("<Message>");
    auto close = body.find("</Message>");
    if (open != std::string::npos && close != std::string::npos && close > open) {
        error.message = body.substr(open + 9, close - open - 9);
        if (auto nl = error.message.find('\n'); nl != std::string::npos) error.message.resize(nl);
    }
    return true;
}

}  // namespace

Error ErrorFromResponse(const http::ClientResponse& response, ErrorFormat format,
                        std::chrono::system_clock::time_point now) {
    Error error;
    error.http_status = response.status;
    const int s = response.status;
    if (s == 429) {
        error.kind = ErrorKind::Throttled;
    } else if (s == 408) {
        error.kind = ErrorKind::Timeout;
    } else if (s == 401 || s == 403) {
        error.kind = ErrorKind::Auth;
    } else if (s >= 500) {
        error.kind = ErrorKind::Server;
    } else {
        error.kind = ErrorKind::Client;
    }
    bool decoded = false;
    switch (format) {
        case ErrorFormat::Batch:
            decoded = TryBatch(response.body, error) || TryArm(response.body, error);
            break;
        case ErrorFormat::Arm:
            decoded = TryArm(response.body, error) || TryBatch(response.body, error);
            break;
        case ErrorFormat::Aad:
            decoded = TryAad(response.body, error) || TryArm(response.body, error);
            break;
        case ErrorFormat::Storage:
            decoded = TryStorage(response, error);
            break;
    }
    if (!decoded) {
        error.code.clear();
        const std::string reason(Reason(s));
        error.message = fmt::format("HTTP {}{}{}", s, reason.empty() ? "" : " ", reason);
        if (!response.body.empty()) {
            const std::string type = response.header("Content-Type");
            error.message +=
                fmt::format(" with an unrecognised {}-byte {} body", response.body.size(),
                            type.empty() ? std::string("untyped") : type);
        }
    }
    if (error.code == "ServerBusy" && s == 503) error.kind = ErrorKind::Throttled;
    if (auto ra = response.header("Retry-After"); !ra.empty())
        error.retry_after = http::ParseRetryAfter(ra, now);
    error.request_sent = true;
    return error;
}

Error MakeError(ErrorKind kind, std::string message, int http_status, std::string code,
                bool request_sent) {
    Error error;
    error.kind = kind;
    error.message = std::move(message);
    error.http_status = http_status;
    error.code = std::move(code);
    error.request_sent = request_sent;
    return error;
}

Error ErrorFromFailure(const http::Failure& failure) {
    Error error;
    switch (failure.kind) {
        case http::FailureKind::Refused:
            error.kind = ErrorKind::Client;
            error.code = "InsecureUrl";
            break;
        case http::FailureKind::Network:
            error.kind = ErrorKind::Network;
            break;
        case http::FailureKind::Timeout:
            error.kind = ErrorKind::Timeout;
            break;
        case http::FailureKind::Cancelled:
            error.kind = ErrorKind::Cancelled;
            break;
    }
    error.message = failure.message;
    error.request_sent = failure.request_sent;
    return error;
}

}  // namespace pw::azure
