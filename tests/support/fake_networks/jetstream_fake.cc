#include "tests/support/fake_networks/jetstream_fake.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include <nlohmann/json.hpp>

namespace carecast::testing {
namespace {

using json = nlohmann::json;

constexpr std::string_view kPostCollection = "app.bsky.feed.post";

std::string Iso(int64_t time_us) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMicros(time_us),
                          absl::UTCTimeZone());
}

std::string Rev(int64_t time_us) { return "rev" + std::to_string(time_us); }

json PostRecord(std::string_view text, int64_t time_us) {
  return {{"$type", kPostCollection}, {"text", std::string(text)}, {"createdAt", Iso(time_us)}};
}

json Commit(std::string_view operation, std::string_view collection, std::string_view rkey,
            int64_t time_us) {
  return {{"rev", Rev(time_us)},
          {"operation", std::string(operation)},
          {"collection", std::string(collection)},
          {"rkey", std::string(rkey)}};
}

bool Wanted(const std::vector<std::string>& wanted, const std::string& value) {
  return wanted.empty() || std::find(wanted.begin(), wanted.end(), value) != wanted.end();
}

}  // namespace

JetstreamFake::JetstreamFake() : server_([this](WsServerConnection& c) { Serve(c); }) {}

JetstreamFake::~JetstreamFake() { Stop(); }

absl::Status JetstreamFake::Start() { return server_.Start(); }

void JetstreamFake::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_.store(true);
  }
  changed_.notify_all();
  server_.Stop();
}

std::string JetstreamFake::url() const { return server_.url("/subscribe"); }

std::vector<std::string> JetstreamFake::queries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queries_;
}

void JetstreamFake::SkipTime(absl::Duration gap) {
  std::lock_guard<std::mutex> lock(mu_);
  next_gap_us_ += absl::ToInt64Microseconds(gap);
}

int64_t JetstreamFake::Append(JetstreamEvent event) {
  int64_t time_us = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    time_us = std::max(last_time_us_ + 1, absl::ToUnixMicros(absl::Now())) + next_gap_us_;
    next_gap_us_ = 0;
    last_time_us_ = time_us;
    event.time_us = time_us;
    if (event.kind != "garbage") {
      json parsed = json::parse(event.json);
      parsed["time_us"] = time_us;
      if (parsed.contains("commit") && parsed["commit"].contains("record")) {
        parsed["commit"]["record"]["createdAt"] = Iso(time_us);
      }
      event.json = parsed.dump();
    }
    events_.push_back(std::move(event));
  }
  changed_.notify_all();
  return time_us;
}

int64_t JetstreamFake::PublishMention(std::string_view author, std::string_view rkey,
                                      std::string_view text, std::string_view mentioned_did) {
  json record = PostRecord(text, 0);
  record["facets"] =
      json::array({{{"index", {{"byteStart", 0}, {"byteEnd", 1}}},
                    {"features", json::array({{{"$type", "app.bsky.richtext.facet#mention"},
                                               {"did", std::string(mentioned_did)}}})}}});
  json commit = Commit("create", kPostCollection, rkey, 0);
  commit["record"] = std::move(record);
  commit["cid"] = "bafy" + std::string(rkey);
  json event = {{"did", std::string(author)}, {"kind", "commit"}, {"commit", std::move(commit)}};
  return Append({0, std::string(author), "commit", std::string(kPostCollection), event.dump()});
}

int64_t JetstreamFake::PublishReply(std::string_view author, std::string_view rkey,
                                    std::string_view text, std::string_view parent_uri) {
  json record = PostRecord(text, 0);
  json ref = {{"uri", std::string(parent_uri)}, {"cid", "bafyparent"}};
  record["reply"] = {{"parent", ref}, {"root", ref}};
  json commit = Commit("create", kPostCollection, rkey, 0);
  commit["record"] = std::move(record);
  commit["cid"] = "bafy" + std::string(rkey);
  json event = {{"did", std::string(author)}, {"kind", "commit"}, {"commit", std::move(commit)}};
  return Append({0, std::string(author), "commit", std::string(kPostCollection), event.dump()});
}

int64_t JetstreamFake::PublishPost(std::string_view author, std::string_view rkey,
                                   std::string_view text) {
  json commit = Commit("create", kPostCollection, rkey, 0);
  commit["record"] = PostRecord(text, 0);
  commit["cid"] = "bafy" + std::string(rkey);
  json event = {{"did", std::string(author)}, {"kind", "commit"}, {"commit", std::move(commit)}};
  return Append({0, std::string(author), "commit", std::string(kPostCollection), event.dump()});
}

int64_t JetstreamFake::PublishLike(std::string_view author, std::string_view rkey,
                                   std::string_view subject_uri) {
  json commit = Commit("create", "app.bsky.feed.like", rkey, 0);
  commit["record"] = {{"$type", "app.bsky.feed.like"},
                      {"subject", {{"uri", std::string(subject_uri)}, {"cid", "bafysubject"}}},
                      {"createdAt", ""}};
  commit["cid"] = "bafy" + std::string(rkey);
  json event = {{"did", std::string(author)}, {"kind", "commit"}, {"commit", std::move(commit)}};
  return Append({0, std::string(author), "commit", "app.bsky.feed.like", event.dump()});
}

int64_t JetstreamFake::PublishDelete(std::string_view author, std::string_view rkey) {
  json event = {{"did", std::string(author)},
                {"kind", "commit"},
                {"commit", Commit("delete", kPostCollection, rkey, 0)}};
  return Append({0, std::string(author), "commit", std::string(kPostCollection), event.dump()});
}

int64_t JetstreamFake::PublishIdentity(std::string_view did, std::string_view handle) {
  json event = {
      {"did", std::string(did)},
      {"kind", "identity"},
      {"identity", {{"did", std::string(did)}, {"handle", std::string(handle)}, {"seq", 1}}}};
  return Append({0, std::string(did), "identity", "", event.dump()});
}

int64_t JetstreamFake::PublishAccount(std::string_view did, bool active) {
  json event = {{"did", std::string(did)},
                {"kind", "account"},
                {"account", {{"did", std::string(did)}, {"active", active}, {"seq", 1}}}};
  return Append({0, std::string(did), "account", "", event.dump()});
}

void JetstreamFake::PublishGarbage(std::string_view text) {
  Append({0, "", "garbage", "", std::string(text)});
}

void JetstreamFake::DropConnections() { server_.DropConnections(); }

void JetstreamFake::CloseConnections() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++close_generation_;
  }
  changed_.notify_all();
}

void JetstreamFake::Serve(WsServerConnection& connection) {
  const WsUpgradeRequest& request = connection.request();
  if (request.path != "/subscribe") {
    connection.Close(1008);
    return;
  }
  const std::vector<std::string> collections = request.QueryValues("wantedCollections");
  const std::vector<std::string> dids = request.QueryValues("wantedDids");
  std::optional<int64_t> cursor;
  if (std::vector<std::string> values = request.QueryValues("cursor"); !values.empty()) {
    int64_t value = 0;
    if (absl::SimpleAtoi(values.back(), &value)) cursor = value;
  }
  size_t next = 0;
  int generation = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queries_.push_back(request.query);
    generation = close_generation_;
    if (cursor) {
      next = static_cast<size_t>(
          std::lower_bound(events_.begin(), events_.end(), *cursor,
                           [](const JetstreamEvent& e, int64_t t) { return e.time_us < t; }) -
          events_.begin());
    } else {
      next = events_.size();
    }
  }
  while (true) {
    std::vector<JetstreamEvent> batch;
    bool closing = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait_for(lock, std::chrono::milliseconds(20), [&] {
        return stopping_.load() || close_generation_ != generation || events_.size() > next;
      });
      if (stopping_.load()) return;
      closing = close_generation_ != generation;
      batch.assign(events_.begin() + static_cast<std::ptrdiff_t>(next), events_.end());
      next = events_.size();
    }
    if (closing) {
      connection.Close(1001);
      // Wait briefly for the client's answering close.
      (void)connection.Receive(absl::Milliseconds(200));
      return;
    }
    for (const JetstreamEvent& event : batch) {
      if (event.kind == "commit" && !Wanted(collections, event.collection)) continue;
      if (event.kind != "garbage" && !Wanted(dids, event.did)) continue;
      if (!connection.SendText(event.json).ok()) return;
      events_sent_.fetch_add(1);
    }
    // Answers the client's pings and notices its close.
    if (!connection.Receive(absl::ZeroDuration()).ok()) return;
  }
}

}  // namespace carecast::testing
