#include "services/common/store/outbox_relay.h"

#include "absl/strings/str_cat.h"

namespace carecast::common {
namespace {

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace

OutboxRelay::OutboxRelay(Outbox& outbox, const std::vector<EntityStore*>& stores,
                         OutboxRelayOptions options)
    : outbox_(outbox), options_(options) {
  for (EntityStore* store : stores) stores_[store->bucket()] = store;
}

OutboxRelay::~OutboxRelay() { Stop(); }

absl::StatusOr<int> OutboxRelay::SweepOnce() {
  const absl::Time now = outbox_.clock().Now();
  int settled = 0;
  absl::Status first_error;
  for (const auto& [bucket, store] : stores_) {
    absl::StatusOr<std::vector<std::string>> markers =
        outbox_.markers().Keys(absl::StrCat(bucket, "."));
    if (!markers.ok()) return markers.status();
    int64_t backlog = 0;
    for (const std::string& marker_key : *markers) {
      // From the stream's leader: a lagging replica may not have the marker yet.
      absl::StatusOr<KvEntry> entry = outbox_.markers().GetLatest(marker_key);
      if (absl::IsNotFound(entry.status())) continue;  // settled meanwhile
      if (!entry.ok()) {
        if (first_error.ok()) first_error = entry.status();
        continue;
      }
      carecast::v1::OutboxMarker marker;
      if (!marker.ParseFromString(entry->value) || marker.bucket() != bucket) {
        outbox_.logger().Error("outbox marker does not parse; deleted", {{"marker", marker_key}});
        outbox_.DeleteMarker(marker_key);
        continue;
      }
      if (now - FromProto(marker.time()) < options_.grace) continue;
      ++backlog;
      if (absl::Status s = store->Settle(marker.key()); !s.ok()) {
        if (first_error.ok()) first_error = s;
        continue;
      }
      outbox_.DeleteMarker(marker_key);
      outbox_.observer().Relayed(bucket);
      outbox_.logger().Info(
          "outbox relay settled a write left owing",
          {{"bucket", bucket}, {"key", marker.key()}, {"writer", marker.writer()}});
      ++settled;
      --backlog;
    }
    outbox_.observer().Backlog(bucket, backlog);
  }
  if (!first_error.ok()) {
    outbox_.logger().Warn("outbox relay sweep incomplete; next sweep retries",
                          {{"error", std::string(first_error.message())}});
  }
  return settled;
}

void OutboxRelay::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void OutboxRelay::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutboxRelay::Loop() {
  while (true) {
    (void)SweepOnce();
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.period),
                     [this] { return stopping_; })) {
      return;
    }
  }
}

}  // namespace carecast::common
