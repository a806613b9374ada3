// The shared machinery of the local fake networks: an HTTP server on
// 127.0.0.1, port 0, that a network's fake (mastodon_fake.h, x_fake.h, ...)
// fills with that network's routes. It keeps the posts the fake accepted and
// COUNTS every create it committed, duplicates included (the fakes never hide a
// double send), and plays the failures the networks document, scripted per
// create: 429 with the network's reset headers, 5xx before or after the post was
// committed, a stall after commit (the client times out), the duplicate-content
// refusal, the expired token. It also enforces a rate limit and counts every
// request that arrived while the budget was spent. Deletes are counted too (each
// that removed a live post), and the next HTTP DELETE requests can be made to
// fail (QueueDeleteFault). Thread-safe.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace carecast::testing {

// What the next create does (queued in order with QueueFault).
enum class FakeFault {
  kRateLimited,         // the network's 429 (with its reset headers); nothing committed
  kServerErrorBefore,   // 503, nothing committed
  kServerErrorAfter,    // the post IS committed, then 500
  kTimeoutAfterCommit,  // the post IS committed, then the answer stalls (stall())
  kTokenExpired,        // the network's expired-token answer; nothing committed
  kDuplicateRefusal,    // the network's duplicate refusal; nothing committed
};

// A post's counts as the fake serves them. A negative count is one the network
// does not report: the fake leaves its field out of the answer.
struct FakeEngagement {
  int64_t likes = 0;
  int64_t shares = 0;
  int64_t replies = 0;
  int64_t impressions = 0;
  int64_t clicks = 0;
};

// One post the fake holds.
struct FakePost {
  std::string id;      // assigned by Commit: "1", "2", ... unless set
  std::string author;  // the account the token belongs to (fake-specific)
  std::string text;
  std::string in_reply_to;  // id of the parent
  absl::Time create_time = absl::UnixEpoch();
  // Network-specific keys: "idempotency_key", "rkey", "slug", "status", "media_url", ...
  std::map<std::string, std::string> attributes;
  FakeEngagement engagement;
  bool deleted = false;
};

class FakeNetworkServer {
 public:
  virtual ~FakeNetworkServer();
  FakeNetworkServer(const FakeNetworkServer&) = delete;
  FakeNetworkServer& operator=(const FakeNetworkServer&) = delete;

  // Listens on 127.0.0.1 on a free port (or `port` when not 0).
  absl::Status Start(int port = 0);
  void Stop();  // also releases a held create
  int port() const { return port_; }
  std::string base_url() const;  // "http://127.0.0.1:<port>"

  // --- answering like a real network (set before Start) --------------------
  // Every answer is held back this long after its handler ran (0: none), on the
  // request's own server thread, so concurrent requests wait concurrently.
  void set_latency(absl::Duration latency);
  // Serve with this many threads (0: httplib's default, max(8, cores - 1)). A
  // kept-alive connection holds its thread, so a load with many clients needs
  // at least as many threads as they keep connections open.
  void set_threads(int threads);
  // Appends one JSON line per committed create to `path` (flushed per line):
  // {"arrival_us":<unix us when the create's request was received>,"id":..,
  //  "key":<idempotency_key attribute>,"author":..,"text":..}.
  absl::Status set_commit_log(const std::string& path);

  // --- scripting -----------------------------------------------------------
  void QueueFault(FakeFault fault);
  // How long kTimeoutAfterCommit holds its answer back (30s). Stop() cuts it short.
  void set_stall(absl::Duration stall);
  // The next create blocks once its request has fully arrived, before it
  // commits, until ReleaseHeld() (it then commits and answers). For fault tests
  // that stop a publisher inside its HTTP call.
  void HoldNextCreate();
  // True once a held create is waiting (false after `timeout`).
  bool WaitUntilHeld(absl::Duration timeout);
  void ReleaseHeld();
  // What the next HTTP DELETE request (a delete route of any fake; Bluesky's
  // deleteRecord is a POST and is not affected) answers instead of being
  // served: kRateLimited (the network's 429), kTokenExpired, or
  // kServerErrorBefore (503). Other faults are ignored. Queued in order.
  void QueueDeleteFault(FakeFault fault);
  // Only requests bearing one of these tokens are served; no tokens: any token.
  void AcceptToken(const std::string& token);
  void RevokeToken(const std::string& token);  // it then gets the expired answer
  // At most `limit` requests (creates and reads alike) per `window`, counted
  // from the first request of the window; beyond that the network's 429.
  // limit 0: no limit (the default).
  void SetRateLimit(int64_t limit, absl::Duration window);
  void SetEngagement(const std::string& id, FakeEngagement engagement);
  // The follower count served for `account` (the fake's own account key: the
  // token's user, page or organization id, as each fake documents). Unset: 0.
  void SetFollowers(const std::string& account, int64_t followers);
  // What the next read of engagement or followers answers instead of being
  // served: kRateLimited (the network's 429 with its reset headers, reset in 2s),
  // kTokenExpired, or kServerErrorBefore (503). Other faults are ignored.
  void QueueReadFault(FakeFault fault);
  // Serves `bytes` at GET /files/<name> with `mime_type`: the image host the
  // tests' media references point at (no token, not counted as a request).
  void AddFile(const std::string& name, std::string bytes, std::string mime_type);
  // Adds a post as if it had been made elsewhere (not counted as a create).
  std::string AddExistingPost(FakePost post);

  // --- what happened -------------------------------------------------------
  int64_t creates_accepted() const;  // every committed create, duplicates included
  int64_t requests() const;          // every request received
  // Requests that arrived while the rate budget was spent (each got a 429).
  int64_t over_limit_requests() const;
  // Deletes that removed a live post (a second delete of one post is not counted).
  int64_t deletes_accepted() const;
  // Posts held and not deleted.
  int64_t live_posts() const;
  // Follower counts served (each successful follower read).
  int64_t follower_reads() const;
  std::vector<FakePost> posts() const;  // in commit order, deleted ones included
  std::optional<FakePost> FindPost(const std::string& id) const;
  // Posts whose text equals `text` (not deleted).
  int64_t CountWithText(const std::string& text) const;

 protected:
  explicit FakeNetworkServer(std::string network);

  // Subclasses add their routes here (in their constructor).
  httplib::Server& http() { return *http_; }

  // Every handler calls this first: counts the request, checks the token
  // (TokenOf) and the rate limit. False when the response was already filled
  // (expired token, 429): the handler returns at once.
  bool Admit(const httplib::Request& req, httplib::Response& res);

  // A create handler calls this after Admit and its own validation: plays the
  // next queued fault that acts before commit (filling `res`, returning false)
  // and holds when HoldNextCreate was asked. True: the handler commits.
  bool BeginCreate(httplib::Response& res);
  // Stores `post` (assigning id and create_time when empty) and counts it.
  // Returns the stored post's id.
  std::string Commit(FakePost post);
  // A create handler calls this after it filled its success answer: plays an
  // after-commit fault (500, or a stall before answering).
  void FinishCreate(httplib::Response& res);

  // An engagement or follower handler calls this after Admit: plays the next
  // QueueReadFault (filling `res`, returning false). True: serve the read.
  bool BeginRead(httplib::Response& res);
  // The count SetFollowers gave `account` (0 when unset); counts the read.
  int64_t ServeFollowers(const std::string& account);

  // Whether AddFile put `name` here.
  bool HostsFile(const std::string& name) const;

  // Mutations of stored posts for the subclass (under the lock).
  bool MarkDeleted(const std::string& id);
  bool UpdatePost(const std::string& id, const std::function<void(FakePost&)>& update);

  // The network's own answers. Defaults: Bearer token; 429 with Retry-After;
  // 401; 409; 503/500 JSON bodies.
  virtual std::string TokenOf(const httplib::Request& req) const;
  virtual void AnswerRateLimited(httplib::Response& res, int64_t limit, absl::Time reset) const;
  virtual void AnswerTokenExpired(httplib::Response& res) const;
  virtual void AnswerDuplicate(httplib::Response& res) const;
  virtual void AnswerServerError(httplib::Response& res, int status) const;
  // Headers the network adds to every admitted answer about its rate budget
  // (e.g. X's x-rate-limit-*). Default: none.
  virtual void AddRateHeaders(httplib::Response& res, int64_t limit, int64_t remaining,
                              absl::Time reset) const;

  const std::string network_;

 private:
  std::optional<FakeFault> TakeFault();
  void ServeFile(const httplib::Request& req, httplib::Response& res) const;

  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  absl::Duration latency_ = absl::ZeroDuration();
  int threads_ = 0;
  std::FILE* commit_log_ = nullptr;  // guarded by mu_
  int port_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<FakeFault> faults_;
  std::deque<FakeFault> delete_faults_;
  std::deque<FakeFault> read_faults_;
  std::map<std::string, int64_t> followers_;
  int64_t follower_reads_ = 0;
  int64_t deletes_ = 0;
  absl::Duration stall_ = absl::Seconds(30);
  bool hold_next_ = false;
  bool holding_ = false;
  bool released_ = false;
  bool stopping_ = false;
  std::set<std::string> tokens_;
  std::set<std::string> revoked_;
  int64_t rate_limit_ = 0;
  absl::Duration rate_window_ = absl::Minutes(15);
  absl::Time window_start_ = absl::InfinitePast();
  int64_t window_used_ = 0;
  std::vector<FakePost> posts_;
  int64_t next_id_ = 1;
  int64_t creates_ = 0;
  int64_t requests_ = 0;
  int64_t over_limit_ = 0;

  mutable std::mutex files_mu_;
  std::map<std::string, std::pair<std::string, std::string>> files_;  // name → bytes, type
};

}  // namespace carecast::testing
