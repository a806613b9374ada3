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

}  // namespace

std::string RequestReplay::Key(std::string_view method, std::string_view subject,
                               std::string_view request_id) {
  return absl::StrCat(
      "planner.",
      common::IdFromRequest(absl::StrCat(AsAbsl(method), "\n", AsAbsl(subject)), request_id));
}

std::string RequestReplay::Encode(const ReplayRecord& record) {
  json j = {{"v", 2}, {"response", B64(record.response)}};
  return j.dump();
}

absl::StatusOr<ReplayRecord> RequestReplay::Decode(std::string_view bytes) {
  const absl::Status corrupt = absl::DataLossError("request replay record does not parse");
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return corrupt;
  ReplayRecord record;
  // Version 1 records also listed their changes; the entity store owns those now.
  if (!UnB64(j, "response", &record.response)) return corrupt;
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
