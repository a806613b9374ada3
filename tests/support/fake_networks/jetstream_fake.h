// A local Bluesky Jetstream: GET /subscribe over WebSocket, JSON events.
// Query: wantedCollections (commit events of other collections are not sent),
// wantedDids (repeatable; only events of those repos), cursor (time_us: every
// stored event with time_us >= cursor is replayed, then live ones follow; no
// cursor: live ones only). Identity and account events pass wantedCollections,
// as on the real service. Tests publish events with strictly increasing
// time_us; DropConnections() plays a Jetstream restart mid-stream and
// CloseConnections() a graceful one (close 1001). Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

#include "tests/support/websocket_test_server.h"

namespace carecast::testing {

// One stored event: the JSON line the fake sends, and what it filters on.
struct JetstreamEvent {
  int64_t time_us = 0;
  std::string did;
  std::string kind;        // commit, identity, account
  std::string collection;  // commit events only
  std::string json;
};

class JetstreamFake {
 public:
  JetstreamFake();
  ~JetstreamFake();
  JetstreamFake(const JetstreamFake&) = delete;
  JetstreamFake& operator=(const JetstreamFake&) = delete;

  absl::Status Start();
  void Stop();
  // "ws://127.0.0.1:<port>/subscribe"
  std::string url() const;

  // --- events; each returns its time_us ------------------------------------
  // A post by `author` whose facets mention `mentioned_did`.
  int64_t PublishMention(std::string_view author, std::string_view rkey, std::string_view text,
                         std::string_view mentioned_did);
  // A post by `author` replying to `parent_uri` (at://did/app.bsky.feed.post/rkey).
  int64_t PublishReply(std::string_view author, std::string_view rkey, std::string_view text,
                       std::string_view parent_uri);
  // A post with no facets and no reply.
  int64_t PublishPost(std::string_view author, std::string_view rkey, std::string_view text);
  // A commit of another collection (a like of `subject_uri`).
  int64_t PublishLike(std::string_view author, std::string_view rkey, std::string_view subject_uri);
  // Deletes post `rkey` of `author` (commit, operation delete, no record).
  int64_t PublishDelete(std::string_view author, std::string_view rkey);
  int64_t PublishIdentity(std::string_view did, std::string_view handle);
  int64_t PublishAccount(std::string_view did, bool active);
  // A message that is not JSON (the source must skip it, not stall).
  void PublishGarbage(std::string_view text);
  // The next event's time_us jumps forward by `gap` (older events stay older).
  void SkipTime(absl::Duration gap);

  // --- the service's side ----------------------------------------------------
  void DropConnections();   // sockets shut down, no close frame
  void CloseConnections();  // close 1001 on every open connection
  int connections() const { return server_.connections(); }
  int64_t events_sent() const { return events_sent_.load(); }
  // The query string of every subscribe, in order of arrival.
  std::vector<std::string> queries() const;

 private:
  int64_t Append(JetstreamEvent event);
  void Serve(WsServerConnection& connection);

  WebSocketTestServer server_;
  std::atomic<int64_t> events_sent_{0};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<JetstreamEvent> events_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> queries_ ABSL_GUARDED_BY(mu_);
  int64_t last_time_us_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t next_gap_us_ ABSL_GUARDED_BY(mu_) = 0;
  int close_generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace carecast::testing
