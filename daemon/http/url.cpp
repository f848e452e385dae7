#include "http/url.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>

namespace pw::http {

namespace {

std::string Lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::string Url::origin() const { return scheme + "://" + host + ":" + std::to_string(port); }

std::string OriginOf(std::string_view url) {
    auto parsed = ParseUrl(url);
    return parsed ? parsed->origin() : std::string();
}

bool IsLoopbackHost(std::string_view host) {
    std::string h = Lower(host);
    if (h == "localhost" || h == "localhost.") return true;
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(h, ec);
    return !ec && address.is_loopback();
}

bool PlainHttpAddressAllowed(const boost::asio::ip::address& address, PlainHttp plain) {
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        return PlainHttpAddressAllowed(
            boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()), plain);
    if (address.is_loopback()) return true;
    return plain == PlainHttp::kImds && address.is_v4() && address.to_string() == kImdsAddress;
}

pw::Result<Url, std::string> ParseUrl(std::string_view text, PlainHttp plain) {
    auto parsed = boost::urls::parse_absolute_uri(text);
    if (!parsed) return pw::Err{std::string("not an absolute URL: ") + std::string(text)};
    const boost::urls::url_view& u = *parsed;
    Url url;
    url.scheme = Lower(u.scheme());
    if (url.scheme != "http" && url.scheme != "https")
        return pw::Err{"unsupported URL scheme '" + url.scheme + "' (use https)"};
    url.host = std::string(u.encoded_host_address());
    if (url.host.size() > 2 && url.host.front() == '[')
        url.host = url.host.substr(1, url.host.size() - 2);
    if (url.host.empty()) return pw::Err{std::string("URL has no host: ") + std::string(text)};
    if (u.has_port()) {
        if (u.port_number() == 0) return pw::Err{"URL has an invalid port: " + std::string(text)};
        url.port = u.port_number();
    } else {
        url.port = url.tls() ? 443 : 80;
    }
    url.target = std::string(u.encoded_path());
    if (url.target.empty()) url.target = "/";
    if (u.has_query()) url.target += "?" + std::string(u.encoded_query());
    if (!url.tls() && !IsLoopbackHost(url.host) &&
        !(plain == PlainHttp::kImds && url.host == kImdsAddress)) {
        if (url.host == kImdsAddress)
            return pw::Err{
                std::string("plain http:// to the instance metadata address 169.254.169.254 is "
                            "only allowed for the managed-identity token request")};
        return pw::Err{"plain http:// is only allowed to loopback addresses; use https:// for " +
                       url.host};
    }
    return url;
}

std::string UrlEncode(std::string_view value) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(value.size() * 3);
    for (char ch : value) {
        auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += ch;
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

}  // namespace pw::http
