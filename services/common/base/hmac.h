// HMAC-SHA256 and the constant-time comparison every signature check uses: the
// publisher's webhook signer, the calendar feed tokens, and the listener's
// webhook receivers (Meta's X-Hub-Signature-256, CareCast's own signature).
#pragma once

#include <string>
#include <string_view>

namespace carecast::common {

// The 32 raw bytes of HMAC-SHA256(key, message). Empty only if OpenSSL fails.
std::string HmacSha256(std::string_view key, std::string_view message);

// Lower-case hex of `bytes`.
std::string LowerHex(std::string_view bytes);

// "sha256=" + LowerHex(HmacSha256(key, message)): the header value GitHub-style
// webhooks (Meta's X-Hub-Signature-256, CareCast's X-CareCast-Signature) carry.
std::string Sha256SignatureHeader(std::string_view key, std::string_view message);

// Whether `a` and `b` are equal, in time that depends only on their lengths
// (never on where they first differ).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Whether `header` is the Sha256SignatureHeader of `message` under `key`; the
// comparison is constant-time and the hex is compared case-insensitively.
bool VerifySha256SignatureHeader(std::string_view key, std::string_view message,
                                 std::string_view header);

}  // namespace carecast::common
