// SHA256_Init, _Update and _Final are deprecated in OpenSSL 3 in favour of EVP, whose first use
// costs 2.5 ms of setup (LakeCore/SHA256.swift); they are still there, and this keeps Swift
// from warning about them.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
