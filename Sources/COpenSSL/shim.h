#ifndef RBSH_COPENSSL_SHIM_H
#define RBSH_COPENSSL_SHIM_H
// OpenSSL 3 (Debian 12). Several calls rbsh needs are macros or typed stacks,
// which Swift cannot call; each wrapper below is one of those.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/sha.h>
#include <openssl/evp.h>
#include <string.h>

/// SHA-256 of `len` bytes into out[32] by OpenSSL's SHA-256 itself, not through EVP: EVP's first digest loads
/// the default provider, which makes 2 MB more of libcrypto resident in a process that only hashes its
/// transcript's lines (docs/benchmarks.md, "The package"). Deprecated in OpenSSL 3, not removed. 1 on success.
static inline int COpenSSL_sha256(const void *data, size_t len, unsigned char *out) {
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
    SHA256_CTX ctx;
    int ok = SHA256_Init(&ctx) == 1 && SHA256_Update(&ctx, data, len) == 1 && SHA256_Final(out, &ctx) == 1;
#pragma clang diagnostic pop
    return ok;
}

/// SNI: SSL_set_tlsext_host_name is a macro over SSL_ctrl.
static inline long COpenSSL_setServerName(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

/// SSL_OP_IGNORE_UNEXPECTED_EOF is built by macros Swift cannot import.
static inline void COpenSSL_ignoreUnexpectedEOF(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
}

/// The subject alternative names, or NULL; free with COpenSSL_freeNames.
static inline GENERAL_NAMES *COpenSSL_alternativeNames(X509 *cert) {
    return (GENERAL_NAMES *)X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
}
static inline int COpenSSL_nameCount(GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }
static inline void COpenSSL_freeNames(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }

/// The i-th alternative name as text ("DNS:host" or "IP:1.2.3.4") into buf; 0 if it is another kind.
static inline int COpenSSL_nameText(GENERAL_NAMES *names, int i, char *buf, size_t size) {
    GENERAL_NAME *n = sk_GENERAL_NAME_value(names, i);
    if (n == NULL || size < 64) return 0;
    if (n->type == GEN_DNS) {
        const unsigned char *d = ASN1_STRING_get0_data(n->d.dNSName);
        int len = ASN1_STRING_length(n->d.dNSName);
        if (len < 0 || (size_t)len + 5 >= size) return 0;
        memcpy(buf, "DNS:", 4);
        memcpy(buf + 4, d, (size_t)len);
        buf[4 + len] = 0;
        return 1;
    }
    if (n->type == GEN_IPADD) {
        const unsigned char *d = ASN1_STRING_get0_data(n->d.iPAddress);
        int len = ASN1_STRING_length(n->d.iPAddress);
        if (len == 4) {
            snprintf(buf, size, "IP:%u.%u.%u.%u", d[0], d[1], d[2], d[3]);
            return 1;
        }
        if (len == 16) {
            int off = snprintf(buf, size, "IP:");
            for (int k = 0; k < 16; k += 2) off += snprintf(buf + off, size - (size_t)off, k ? ":%x" : "%x", (d[k] << 8) | d[k + 1]);
            return 1;
        }
    }
    return 0;
}

/// A name (subject, issuer) on one line, RFC 2253 style, into buf.
static inline void COpenSSL_nameLine(X509_NAME *name, char *buf, size_t size) {
    buf[0] = 0;
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) return;
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    int n = BIO_read(bio, buf, (int)size - 1);
    buf[n > 0 ? n : 0] = 0;
    BIO_free(bio);
}

/// Whole days from now until notAfter (negative once expired); 0 on failure.
static inline int COpenSSL_daysUntilExpiry(X509 *cert, int *seconds) {
    int days = 0, secs = 0;
    if (!ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert))) return 0;
    if (seconds) *seconds = secs;
    return days;
}

/// notAfter as text ("Dec 31 23:59:59 2026 GMT") into buf.
static inline void COpenSSL_notAfter(X509 *cert, char *buf, size_t size) {
    buf[0] = 0;
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) return;
    ASN1_TIME_print(bio, X509_get0_notAfter(cert));
    int n = BIO_read(bio, buf, (int)size - 1);
    buf[n > 0 ? n : 0] = 0;
    BIO_free(bio);
}
#endif
