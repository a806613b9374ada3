#include "services/listener/webhook_json.h"

#include <simdjson.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "services/common/base/logger.h"
#include "services/common/base/utf8.h"
#include "services/listener/listener_names.h"

namespace carecast::listener {
namespace {

// Every accepted value is a string at depth 1; the cap only bounds the work
// spent on hostile nesting before it is refused.
constexpr size_t kMaxDepth = 4;

absl::Status Reject(std::string* reason, std::string_view label, const std::string& message) {
  *reason = std::string(label);
  return absl::InvalidArgumentError(message);
}

absl::Status Malformed(std::string* reason, simdjson::error_code error) {
  if (error == simdjson::UTF8_ERROR) {
    return Reject(reason, "malformed_json", "body is not valid UTF-8");
  }
  return Reject(reason, "malformed_json",
                absl::StrCat("body is not valid JSON (", simdjson::error_message(error), ")"));
}

}  // namespace

absl::StatusOr<v1::Mention> ParseWebhookMention(std::string_view body, std::string* reason) {
  simdjson::ondemand::parser parser;
  if (simdjson::error_code e = parser.allocate(body.size() + simdjson::SIMDJSON_PADDING, kMaxDepth);
      e != simdjson::SUCCESS) {
    return absl::ResourceExhaustedError("cannot allocate the JSON parser");
  }
  simdjson::padded_string padded(body.data(), body.size());
  simdjson::ondemand::document doc;
  if (simdjson::error_code e = parser.iterate(padded).get(doc); e != simdjson::SUCCESS) {
    return Malformed(reason, e);
  }
  simdjson::ondemand::object object;
  if (simdjson::error_code e = doc.get_object().get(object); e != simdjson::SUCCESS) {
    if (e == simdjson::INCORRECT_TYPE) {
      return Reject(reason, "malformed_json", "body must be a JSON object");
    }
    return Malformed(reason, e);
  }

  v1::Mention mention;
  std::set<std::string, std::less<>> seen;
  std::string network;
  std::string create_time;
  for (auto field_result : object) {
    simdjson::ondemand::field field;
    if (simdjson::error_code e = std::move(field_result).get(field); e != simdjson::SUCCESS) {
      return Malformed(reason, e);
    }
    std::string_view key;
    if (simdjson::error_code e = field.unescaped_key().get(key); e != simdjson::SUCCESS) {
      return Malformed(reason, e);
    }
    std::string* target = nullptr;
    if (key == "network") {
      target = &network;
    } else if (key == "external_id") {
      target = mention.mutable_external_id();
    } else if (key == "author_handle") {
      target = mention.mutable_author_handle();
    } else if (key == "text") {
      target = mention.mutable_text();
    } else if (key == "account") {
      target = mention.mutable_account();
    } else if (key == "create_time") {
      target = &create_time;
    } else {
      // Keys are echoed only when short and printable: the reason goes back to
      // the caller and into no log.
      std::string shown = key.size() <= 40 && common::IsValidUtf8(key) ? std::string(key) : "...";
      return Reject(reason, "unknown_field",
                    absl::StrCat("unknown field \"", shown,
                                 "\" (expected network, external_id, author_handle, text, "
                                 "create_time, account)"));
    }
    if (!seen.insert(std::string(key)).second) {
      return Reject(reason, "malformed_json",
                    absl::StrCat("field \"", std::string(key), "\" appears more than once"));
    }
    simdjson::ondemand::value value = field.value();
    bool is_null = false;
    if (simdjson::error_code e = value.is_null().get(is_null); e != simdjson::SUCCESS) {
      return Malformed(reason, e);
    }
    if (is_null) continue;
    std::string_view text;
    if (simdjson::error_code e = value.get_string().get(text); e != simdjson::SUCCESS) {
      if (e == simdjson::INCORRECT_TYPE) {
        return Reject(reason, "field_type",
                      absl::StrCat("field \"", std::string(key), "\" must be a string"));
      }
      return Malformed(reason, e);
    }
    target->assign(text.data(), text.size());
  }
  // Anything after the object ("{...} {...}", "{...} x") is not one JSON value.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return Reject(reason, "malformed_json", "body has content after the JSON object");
  }

  for (std::string_view required : {"network", "external_id", "text"}) {
    if (!seen.contains(required) || (required == "network" && network.empty()) ||
        (required == "external_id" && mention.external_id().empty()) ||
        (required == "text" && mention.text().empty())) {
      return Reject(reason, "missing_field",
                    absl::StrCat("missing field \"", std::string(required), "\""));
    }
  }
  std::optional<v1::Network> parsed = ParseNetworkName(network);
  if (!parsed) {
    return Reject(reason, "unknown_network",
                  "network must be one of x, facebook, linkedin, instagram, mastodon, sandbox");
  }
  mention.set_network(*parsed);
  if (!create_time.empty()) {
    absl::Time t;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, create_time, &t, &error)) {
      return Reject(reason, "create_time",
                    "create_time must be an RFC 3339 time, e.g. 2025-01-02T03:04:05Z");
    }
    *mention.mutable_create_time() = ToTimestamp(t);
  }
  return mention;
}

std::string JsonObject(
    std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  std::string out = "{";
  for (const auto& [key, value] : fields) {
    if (out.size() > 1) out += ",";
    common::AppendJsonString(out, key);
    out += ":";
    common::AppendJsonString(out, value);
  }
  out += "}";
  return out;
}

}  // namespace carecast::listener
