// Identifiers and hashes used across services.
#pragma once

#include <string>
#include <string_view>

namespace carecast::common {

// A random 128-bit id as 32 lower-case hex characters (usable in KV keys,
// NATS subjects and resource names). Thread-safe.
std::string NewId();

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// A stable id derived from a caller's request id, so a retried mutation maps to
// the same resource: the first 32 hex characters of SHA-256(scope '\n' request_id).
std::string IdFromRequest(std::string_view scope, std::string_view request_id);

// True when `id` is 1..63 characters of [a-z0-9-], starting with a letter or digit
// (safe as a resource-name segment, KV key part and subject token).
bool IsValidId(std::string_view id);

}  // namespace carecast::common
