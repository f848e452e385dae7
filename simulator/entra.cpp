// The simulator's token endpoints: Entra ID (client credentials, federated assertions) and
// IMDS, and the tokens it issues.
#include <algorithm>
#include <chrono>

#include "internal.hpp"
#include "simulator.hpp"

namespace pw::sim {

std::string Simulator::NewToken(const std::string& tenant, const std::string& oid,
                                const std::string& appid, const std::string& aud) {
    const auto now = static_cast<std::int64_t>(
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
    const Json payload = {{"aud", aud},
                          {"iss", "https://sts.windows.net/" + tenant + "/"},
                          {"iat", now},
                          {"nbf", now},
                          {"exp", now + static_cast<std::int64_t>(options_.token_lifetime)},
                          {"tid", tenant},
                          {"oid", oid},
                          {"sub", oid},
                          {"appid", appid},
                          {"idtyp", "app"},
                          {"ver", "1.0"},
                          {"uti", Uuid(rng_)}};
    std::string token = MakeJwt(payload);
    issued_tokens_.push_back(token);
    if (issued_tokens_.size() > options_.token_log_limit) issued_tokens_.pop_front();
    return token;
}

Reply Simulator::Aad(Ctx& c, const std::string& tenant_id) {
    c.auth_kind = "none";
    auto aad_error = [&](unsigned status, const std::string& error, int code,
                         const std::string& desc) {
        const std::string trace = Uuid(rng_);
        const std::string corr = Uuid(rng_);
        return MakeJson(
            status, {{"error", error},
                     {"error_description", "AADSTS" + std::to_string(code) + ": " + desc +
                                               " Trace ID: " + trace + " Correlation ID: " + corr +
                                               " Timestamp: " + FormatIso(c.now)},
                     {"error_codes", {code}},
                     {"timestamp", FormatIso(c.now)},
                     {"trace_id", trace},
                     {"correlation_id", corr},
                     {"error_uri", c.Base() + "/error?code=" + std::to_string(code)}});
    };
    if (c.method != "POST")
        return aad_error(405, "invalid_request", 900561,
                         "The endpoint only accepts POST requests.");
    auto form = ParseForm(c.req.body());
    std::string client_id = ToLower(form["client_id"]);
    std::string secret = form["client_secret"];
    const std::string auth = c.Header("Authorization");
    if (auth.rfind("Basic ", 0) == 0) {
        if (auto dec = Base64Decode(auth.substr(6))) {
            const auto colon = dec->find(':');
            if (colon != std::string::npos) {
                client_id = ToLower(PercentDecode(dec->substr(0, colon), true));
                secret = PercentDecode(dec->substr(colon + 1), true);
            }
        }
    }
    const Tenant* tenant = nullptr;
    for (const auto& t : world_.tenants) {
        const bool any = tenant_id == "adfs" || tenant_id == "organizations";
        const bool has_client =
            std::any_of(t.clients.begin(), t.clients.end(),
                        [&](const Client& cl) { return cl.client_id == client_id; });
        if (t.id == tenant_id || (any && has_client)) tenant = &t;
    }
    if (tenant == nullptr) {
        return aad_error(400, "invalid_request", 90002,
                         "Tenant '" + tenant_id +
                             "' not found. Check to make sure you have the correct tenant ID and "
                             "are signing into the correct cloud.");
    }
    if (form["grant_type"] != "client_credentials") {
        return aad_error(
            400, "unsupported_grant_type", 70003,
            "The app requested an unsupported grant type '" + form["grant_type"] + "'.");
    }
    const Client* client = nullptr;
    for (const auto& cl : tenant->clients) {
        if (cl.client_id == client_id) client = &cl;
    }
    if (client == nullptr) {
        return aad_error(400, "unauthorized_client", 700016,
                         "Application with identifier '" + client_id +
                             "' was not found in the directory '" + tenant_id + "'.");
    }
    const std::string scope = form["scope"];
    const std::string suffix = "/.default";
    if (scope.size() <= suffix.size() ||
        scope.compare(scope.size() - suffix.size(), suffix.size(), suffix) != 0) {
        return aad_error(400, "invalid_scope", 1002012,
                         "The provided value for scope " + scope +
                             " is not valid. Client credential flows must have a scope value with "
                             "/.default suffixed to the resource identifier (application ID URI).");
    }
    std::string resource = scope.substr(0, scope.size() - suffix.size());
    if (resource.empty() || resource.back() != '/') resource += "/";
    if (form.count("client_assertion") != 0U) {
        if (form["client_assertion_type"] !=
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
            return aad_error(400, "invalid_request", 7000216,
                             "'client_assertion_type' must be "
                             "'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.");
        }
        if (!client->federated || !JwtPayload(form["client_assertion"])) {
            return aad_error(401, "invalid_client", 700027,
                             "Client assertion failed signature validation.");
        }
    } else if (secret.empty()) {
        return aad_error(401, "invalid_client", 7000218,
                         "The request body must contain the following parameter: "
                         "'client_assertion' or 'client_secret'.");
    } else if (secret != client->secret) {
        return aad_error(
            401, "invalid_client", 7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            "client secret value, not the client secret ID, for a secret added to app '" +
                client_id + "'.");
    }
    c.auth_kind = "client-credentials";
    const auto life = static_cast<std::int64_t>(options_.token_lifetime);
    return MakeJson(
        200, {{"token_type", "Bearer"},
              {"expires_in", life},
              {"ext_expires_in", life},
              {"access_token", NewToken(tenant->id, client->object_id, client_id, resource)}});
}

Reply Simulator::Imds(Ctx& c) {
    auto err = [&](unsigned status, const std::string& e, const std::string& d) {
        return MakeJson(status, {{"error", e}, {"error_description", d}});
    };
    if (c.method != "GET") return err(405, "method_not_allowed", "Not allowed");
    if (c.Header("Metadata") != "true") {
        return err(400, "invalid_request", "Required metadata header not specified");
    }
    if (c.Q("api-version").empty())
        return err(400, "invalid_request", "Required query variable 'api-version' is missing");
    std::string resource = c.Q("resource");
    if (resource.empty())
        return err(400, "invalid_request", "Required query variable 'resource' is missing");
    if (!world_.managed_identity) return err(400, "invalid_request", "Identity not found");
    const auto& mi = *world_.managed_identity;
    const std::string cid = ToLower(c.Q("client_id"));
    if (!cid.empty() && cid != mi.client_id)
        return err(400, "invalid_request", "Identity not found");
    const auto now = static_cast<std::int64_t>(
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
    const auto life = static_cast<std::int64_t>(options_.token_lifetime);
    std::string aud = resource;
    if (aud.back() != '/') aud += "/";
    c.auth_kind = "imds";
    return MakeJson(200, {{"access_token", NewToken(mi.tenant_id, mi.object_id, mi.client_id, aud)},
                          {"client_id", mi.client_id},
                          {"expires_in", std::to_string(life)},
                          {"expires_on", std::to_string(now + life)},
                          {"ext_expires_in", std::to_string(life)},
                          {"not_before", std::to_string(now)},
                          {"resource", resource},
                          {"token_type", "Bearer"}});
}

}  // namespace pw::sim
