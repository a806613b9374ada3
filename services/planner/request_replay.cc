#include "services/planner/request_replay.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

#include "services/common/base/ids.h"
#include "services/common/base/strings.h"

namespace carecast::planner {
namespace {

using common::AsAbsl;
using nlohmann::json;

std::string B64(const std::string& s) { return absl::Base64Escape(s); }

bool UnB64(const json& j, const char* field, std::string* out) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_string()) return false;
  return absl::Base64Unescape(it->get<std::string>(), out);
}

bool Str(const json& j, const char* field, std::string* out) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

}  // namespace

std::string RequestReplay::Key(std::string_view method, std::string_view subject,
                               std::string_view request_id) {
  return absl::StrCat(
      "planner.",
      common::IdFromRequest(absl::StrCat(AsAbsl(method), "\n", AsAbsl(subject)), request_id));
}

std::string RequestReplay::Encode(const ReplayRecord& record) {
  json changes = json::array();
  for (const Change& c : record.changes) {
    changes.push_back({{"event_id", c.event.id},
                       {"subject", c.event.subject},
                       {"type", c.event.type},
                       {"source", c.event.source},
                       {"time_ns", absl::ToUnixNanos(c.event.time)},
                       {"dataschema", c.event.dataschema},
                       {"data", B64(c.event.data)},
                       {"audit_subject", c.audit_subject},
                       {"audit_event_id", c.audit_event_id},
                       {"entry", B64(c.entry.SerializeAsString())}});
  }
  json j = {{"v", 1}, {"response", B64(record.response)}, {"changes", changes}};
  return j.dump();
}

absl::StatusOr<ReplayRecord> RequestReplay::Decode(std::string_view bytes) {
  const absl::Status corrupt = absl::DataLossError("request replay record does not parse");
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return corrupt;
  ReplayRecord record;
  if (!UnB64(j, "response", &record.response)) return corrupt;
  auto changes = j.find("changes");
  if (changes == j.end() || !changes->is_array()) return corrupt;
  for (const json& c : *changes) {
    if (!c.is_object()) return corrupt;
    Change change;
    std::string entry;
    auto time_ns = c.find("time_ns");
    if (!Str(c, "event_id", &change.event.id) || !Str(c, "subject", &change.event.subject) ||
        !Str(c, "type", &change.event.type) || !Str(c, "source", &change.event.source) ||
        !Str(c, "dataschema", &change.event.dataschema) || !UnB64(c, "data", &change.event.data) ||
        !Str(c, "audit_subject", &change.audit_subject) ||
        !Str(c, "audit_event_id", &change.audit_event_id) || !UnB64(c, "entry", &entry) ||
        time_ns == c.end() || !time_ns->is_number_integer() ||
        !change.entry.ParseFromString(entry)) {
      return corrupt;
    }
    change.event.time = absl::FromUnixNanos(time_ns->get<int64_t>());
    record.changes.push_back(std::move(change));
  }
  return record;
}

absl::StatusOr<std::optional<ReplayRecord>> RequestReplay::Find(const std::string& key) {
  absl::StatusOr<common::KvEntry> entry = requests_.Get(key);
  if (!entry.ok()) {
    if (entry.status().code() == absl::StatusCode::kNotFound) return std::nullopt;
    return entry.status();
  }
  absl::StatusOr<ReplayRecord> record = Decode(entry->value);
  if (!record.ok()) return record.status();
  return std::optional<ReplayRecord>(std::move(*record));
}

absl::Status RequestReplay::Save(const std::string& key, const ReplayRecord& record) {
  absl::StatusOr<uint64_t> rev = requests_.Put(key, Encode(record));
  return rev.ok() ? absl::OkStatus() : rev.status();
}

}  // namespace carecast::planner
