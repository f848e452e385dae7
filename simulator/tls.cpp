#include "tls.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace pw::sim {

namespace {

template <class T, void (*F)(T*)>
struct Deleter {
    void operator()(T* p) const { F(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

void Check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("TLS material generation failed: ") + what);
}

KeyPtr NewKey() {
    KeyPtr key(EVP_EC_gen("P-256"));
    Check(key != nullptr, "EC key");
    return key;
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    Check(ext != nullptr, "extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

CertPtr NewCert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key) {
    CertPtr cert(X509_new());
    Check(cert != nullptr, "X509_new");
    X509_set_version(cert.get(), 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7F;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("poolwarden-sim"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                               -1, -1, 0);
    X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
    X509* iss = issuer != nullptr ? issuer : cert.get();
    if (issuer == nullptr) {
        AddExt(cert.get(), iss, NID_basic_constraints, "critical,CA:TRUE");
        AddExt(cert.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign");
        AddExt(cert.get(), iss, NID_subject_key_identifier, "hash");
    } else {
        AddExt(cert.get(), iss, NID_basic_constraints, "critical,CA:FALSE");
        AddExt(cert.get(), iss, NID_key_usage, "critical,digitalSignature,keyEncipherment");
        AddExt(cert.get(), iss, NID_ext_key_usage, "serverAuth");
        AddExt(cert.get(), iss, NID_subject_key_identifier, "hash");
        AddExt(cert.get(), iss, NID_authority_key_identifier, "keyid");
        AddExt(
            cert.get(), iss, NID_subject_alt_name,
            "DNS:localhost,IP:127.0.0.1,IP:::1,DNS:*.batch.azure.com,DNS:*.eastus.batch.azure.com");
    }
    Check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0,
          "sign");
    return cert;
}

std::string Pem(X509* cert) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), cert);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string Pem(EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

TlsMaterial GenerateTls() {
    KeyPtr ca_key = NewKey();
    CertPtr ca = NewCert(ca_key.get(), "poolwarden-sim test CA", nullptr, nullptr);
    KeyPtr key = NewKey();
    CertPtr cert = NewCert(key.get(), "localhost", ca.get(), ca_key.get());
    return TlsMaterial{Pem(ca.get()), Pem(cert.get()), Pem(key.get())};
}

}  // namespace pw::sim
