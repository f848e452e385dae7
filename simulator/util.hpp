#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>

/// Small helpers of the simulator: encodings, HMAC, JWTs, time formats, ISO-8601 durations.
namespace pw::sim {

using Json = nlohmann::json;

std::string Base64Encode(std::string_view data);
std::optional<std::string> Base64Decode(std::string_view text);
std::string Base64UrlEncode(std::string_view data);
std::optional<std::string> Base64UrlDecode(std::string_view text);
std::string HmacSha256(std::string_view key, std::string_view data);
std::string PercentDecode(std::string_view text, bool plus_as_space);

/// An unsigned three-segment JWT (`alg: none` is not used: the header claims RS256 as AAD's do).
std::string MakeJwt(const Json& payload);
/// The payload of a three-segment JWT, or nothing when it is malformed.
std::optional<Json> JwtPayload(std::string_view token);

/// A random RFC 4122 version-4 UUID from `rng`.
std::string Uuid(std::mt19937_64& rng);

/// Simulated time is seconds since the Unix epoch (fractional).
std::string FormatIso(double epoch);      ///< 2026-11-28T10:07:09.1234567Z
std::string FormatRfc1123(double epoch);  ///< Sat, 28 Nov 2026 10:07:09 GMT
std::optional<double> ParseIsoTime(std::string_view text);
/// ISO-8601 duration (PnDTnHnMnS) to seconds; nothing when malformed.
std::optional<double> ParseIsoDuration(std::string_view text);
std::string FormatIsoDuration(double seconds);  ///< PT15M, PT1H30M, P1DT2H

/// Lowercase, spaces removed: "East US" -> "eastus".
std::string NormalizeRegion(std::string_view name);
std::string ToLower(std::string_view text);

}  // namespace pw::sim
