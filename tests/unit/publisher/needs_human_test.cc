// The way out of NEEDS_HUMAN on the publisher core: a person confirms a post was
// published or was not (and it goes out again, once), every refusal changes
// nothing, and ListPublished lists what went out on every network.
#include "services/publisher/needs_human.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"

#include "services/common/lifecycle/post_lifecycle.h"
#include "services/publisher/publisher.h"
#include "tests/unit/publisher/publisher_harness.h"

namespace carecast::publisher::testing {
namespace {

using carecast::v1::POST_STATE_CANCELLED;
using carecast::v1::POST_STATE_FAILED;
using carecast::v1::POST_STATE_NEEDS_HUMAN;
using carecast::v1::POST_STATE_PUBLISHED;
using carecast::v1::POST_STATE_PUBLISHING;
using carecast::v1::POST_STATE_SCHEDULED;

class NeedsHumanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.channels_.Register(carecast::v1::NETWORK_MASTODON, mastodon_).ok());
    p_ = &h_.AddStarted();
  }

  // A post as the publisher leaves it when it cannot tell whether the network
  // took it: claimed once, a create call sent, an Instagram-style container id
  // saved on the way.
  carecast::v1::Post PutNeedsHuman(const std::string& id,
                                   carecast::v1::Network network = carecast::v1::NETWORK_SANDBOX) {
    carecast::v1::Post post =
        h_.SchedulePost(id, h_.clock_.Now() - absl::Minutes(5), network, /*emit_event=*/false);
    post.set_state(POST_STATE_NEEDS_HUMAN);
    post.set_claimed_by("pub-dead");
    post.set_attempt(2);
    SetTime(h_.clock_.Now() - absl::Minutes(4), post.mutable_send_time());
    post.set_failure_reason("outcome unknown after the channel call");
    (*post.mutable_channel_progress())["container_id"] = "container-17";
    SetTime(h_.clock_.Now() - absl::Minutes(4), post.mutable_update_time());
    EXPECT_TRUE(h_.posts_->Put(id, post.SerializeAsString()).ok());
    return post;
  }

  // What a refused call must leave untouched: the post's bytes and revision,
  // and everything on the bus.
  struct Snapshot {
    std::string value;
    uint64_t revision = 0;
    size_t events = 0;
  };
  Snapshot Take(const std::string& id) {
    Snapshot s;
    auto entry = h_.posts_->Get(id);
    if (entry.ok()) {
      s.value = entry->value;
      s.revision = entry->revision;
    }
    s.events = h_.Events(">").size();
    return s;
  }
  void ExpectUnchanged(const std::string& id, const Snapshot& before, const std::string& what) {
    Snapshot after = Take(id);
    EXPECT_EQ(after.revision, before.revision) << what;
    EXPECT_TRUE(after.value == before.value) << what << ": the post changed";
    EXPECT_EQ(after.events, before.events) << what << ": something was published";
  }

  // The audit entries recorded for `id`, in order.
  std::vector<carecast::v1::AuditEntry> AuditOf(const std::string& id) {
    std::vector<carecast::v1::AuditEntry> out;
    for (const common::Event& e : h_.Events("carecast.audit.posts." + id)) {
      carecast::v1::AuditRecorded recorded;
      EXPECT_TRUE(common::DecodeEvent(e, &recorded).ok());
      out.push_back(recorded.entry());
    }
    return out;
  }

  double Resolved(const std::string& network, const std::string& resolution) {
    return MetricValue(p_->registry, "carecast_publisher_needs_human_resolved_total",
                       {{"network", network}, {"resolution", resolution}});
  }

  carecast::v1::ConfirmPostPublishedRequest Published(const std::string& post,
                                                      const std::string& external_id,
                                                      const std::string& url,
                                                      const std::string& note = "") {
    carecast::v1::ConfirmPostPublishedRequest r;
    r.set_post(post);
    r.set_external_id(external_id);
    r.set_url(url);
    r.set_note(note);
    return r;
  }
  carecast::v1::ConfirmPostNotPublishedRequest NotPublished(const std::string& post,
                                                            const std::string& note = "") {
    carecast::v1::ConfirmPostNotPublishedRequest r;
    r.set_post(post);
    r.set_note(note);
    return r;
  }

  PublisherHarness h_;
  FakeChannel mastodon_;
  PublisherUnderTest* p_ = nullptr;
  const Resolver paula_{"paula", "publisher", common::SpokeScope::Hub()};
};

TEST_F(NeedsHumanTest, ConfirmPublishedRecordsThePostWithItsReceiptAndAuditsThePerson) {
  PutNeedsHuman("p1", carecast::v1::NETWORK_MASTODON);
  h_.clock_.Advance(absl::Minutes(30));

  absl::StatusOr<carecast::v1::Post> post = p_->publisher->ConfirmPostPublished(
      paula_, Published("posts/p1", "1093", "https://mastodon.example/@stmarys/1093",
                        "seen on the timeline at 10:02"));
  ASSERT_TRUE(post.ok()) << post.status();
  EXPECT_EQ(post->state(), POST_STATE_PUBLISHED);
  EXPECT_EQ(post->external_id(), "1093");
  EXPECT_EQ(post->url(), "https://mastodon.example/@stmarys/1093");
  EXPECT_EQ(post->confirmed_by(), "paula");
  EXPECT_EQ(ToTime(post->published_time()), h_.clock_.Now());
  EXPECT_TRUE(post->failure_reason().empty());

  // The record says so too, not only the answer.
  PostRecord stored = h_.GetPost("p1");
  EXPECT_EQ(stored.post.SerializeAsString(), post->SerializeAsString());

  std::vector<common::Event> events = h_.Events("carecast.post.published");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "post.p1.v1.published");
  EXPECT_EQ(events[0].source, "/carecast/publisher");
  carecast::v1::PostPublished payload;
  ASSERT_TRUE(common::DecodeEvent(events[0], &payload).ok());
  EXPECT_EQ(payload.post().state(), POST_STATE_PUBLISHED);
  EXPECT_EQ(payload.post().url(), "https://mastodon.example/@stmarys/1093");
  EXPECT_EQ(payload.publisher_id(), "paula");

  std::vector<carecast::v1::AuditEntry> audit = AuditOf("p1");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].actor(), "paula");
  EXPECT_EQ(audit[0].role(), "publisher");
  EXPECT_EQ(audit[0].action(), "post.publish");
  EXPECT_EQ(audit[0].resource(), "posts/p1");
  EXPECT_EQ(audit[0].version(), 1);
  EXPECT_EQ(audit[0].content_hash(), "hash-c-p1-1");
  EXPECT_EQ(audit[0].detail(),
            "confirmed published by a person after NEEDS_HUMAN; external id 1093; "
            "url https://mastodon.example/@stmarys/1093; note: seen on the timeline at 10:02");
  EXPECT_FALSE(audit[0].entry_hash().empty());

  EXPECT_EQ(Resolved("mastodon", "confirmed_published"), 1);
  EXPECT_EQ(Resolved("mastodon", "confirmed_not_published"), 0);
  EXPECT_EQ(Resolved("sandbox", "confirmed_published"), 0);

  // Nothing goes out again, however long the dispatcher runs.
  h_.clock_.Advance(absl::Hours(2));
  p_->publisher->RunCycle();
  EXPECT_EQ(mastodon_.publish_calls(), 0);
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_PUBLISHED);
}

TEST_F(NeedsHumanTest, ConfirmPublishedTakesAUrlAloneOrAnExternalIdAlone) {
  PutNeedsHuman("by-url");
  PutNeedsHuman("by-id");
  auto by_url = p_->publisher->ConfirmPostPublished(
      paula_, Published("posts/by-url", "", "HTTPS://example.org/news/flu"));
  ASSERT_TRUE(by_url.ok()) << by_url.status();
  EXPECT_TRUE(by_url->external_id().empty());
  EXPECT_EQ(by_url->url(), "HTTPS://example.org/news/flu");
  auto by_id = p_->publisher->ConfirmPostPublished(paula_, Published("posts/by-id", "x-991", ""));
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_TRUE(by_id->url().empty());
  ASSERT_EQ(AuditOf("by-id").size(), 1u);
  EXPECT_EQ(AuditOf("by-id")[0].detail(),
            "confirmed published by a person after NEEDS_HUMAN; external id x-991");
}

TEST_F(NeedsHumanTest, ConfirmNotPublishedSchedulesItAgainAndItGoesOutExactlyOnce) {
  PutNeedsHuman("p1");
  h_.clock_.Advance(absl::Minutes(30));

  auto post = p_->publisher->ConfirmPostNotPublished(
      paula_, NotPublished("posts/p1", "not on the page; checked at 10:05"));
  ASSERT_TRUE(post.ok()) << post.status();
  EXPECT_EQ(post->state(), POST_STATE_SCHEDULED);
  EXPECT_EQ(ToTime(post->publish_time()), h_.clock_.Now());
  EXPECT_TRUE(post->claimed_by().empty());
  EXPECT_FALSE(post->has_send_time());
  EXPECT_EQ(post->attempt(), 0);
  EXPECT_TRUE(post->failure_reason().empty());
  EXPECT_TRUE(post->confirmed_by().empty());
  // A two-phase channel resumes from what it saved; it never starts over.
  ASSERT_EQ(post->channel_progress().count("container_id"), 1u);
  EXPECT_EQ(post->channel_progress().at("container_id"), "container-17");
  EXPECT_EQ(h_.GetPost("p1").post.SerializeAsString(), post->SerializeAsString());

  // Every publisher learns of it from the event the planner uses for a schedule.
  std::vector<common::Event> scheduled = h_.Events("carecast.post.scheduled");
  ASSERT_EQ(scheduled.size(), 1u);
  EXPECT_EQ(scheduled[0].source, "/carecast/publisher");
  EXPECT_EQ(scheduled[0].type, "carecast.post.scheduled.v1");
  carecast::v1::PostChanged changed;
  ASSERT_TRUE(common::DecodeEvent(scheduled[0], &changed).ok());
  EXPECT_EQ(changed.actor(), "paula");
  EXPECT_EQ(changed.post().state(), POST_STATE_SCHEDULED);

  std::vector<carecast::v1::AuditEntry> audit = AuditOf("p1");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].actor(), "paula");
  EXPECT_EQ(audit[0].role(), "publisher");
  EXPECT_EQ(audit[0].action(), "post.schedule");
  EXPECT_NE(audit[0].detail().find("confirmed not published by a person after NEEDS_HUMAN; "
                                   "rescheduled for "),
            std::string::npos)
      << audit[0].detail();
  EXPECT_NE(audit[0].detail().find("; note: not on the page; checked at 10:05"), std::string::npos)
      << audit[0].detail();
  EXPECT_EQ(Resolved("sandbox", "confirmed_not_published"), 1);

  // It is due now and in the due index: the next dispatch sends it, once.
  ASSERT_TRUE(h_.Drain());
  auto status = p_->publisher->Status();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->pending_posts, 1);
  CycleStats stats = p_->publisher->RunCycle();
  EXPECT_EQ(stats.published, 1);
  EXPECT_EQ(h_.channel_.publish_calls(), 1);
  ASSERT_EQ(h_.channel_.delivery_count(), 1u);
  const PublishRequest sent = h_.channel_.Delivered()[0];
  EXPECT_EQ(sent.idempotency_key, "p1.v1");
  ASSERT_EQ(sent.progress.count("container_id"), 1u);
  EXPECT_EQ(sent.progress.at("container_id"), "container-17");
  PostRecord published = h_.GetPost("p1");
  EXPECT_EQ(published.post.state(), POST_STATE_PUBLISHED);
  EXPECT_EQ(published.post.attempt(), 1);
  EXPECT_EQ(published.post.claimed_by(), "pub-a");
  EXPECT_EQ(published.post.url(), "https://fake.example/1");

  h_.clock_.Advance(absl::Hours(1));
  p_->publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 1);
  EXPECT_EQ(h_.Events("carecast.post.published").size(), 1u);
}

TEST_F(NeedsHumanTest, ConfirmNotPublishedAtALaterTimeWaitsForIt) {
  PutNeedsHuman("p1");
  auto request = NotPublished("posts/p1");
  const absl::Time at = h_.clock_.Now() + absl::Hours(3);
  SetTime(at, request.mutable_publish_time());
  auto post = p_->publisher->ConfirmPostNotPublished(paula_, request);
  ASSERT_TRUE(post.ok()) << post.status();
  EXPECT_EQ(ToTime(post->publish_time()), at);
  ASSERT_TRUE(h_.Drain());
  p_->publisher->RunCycle();
  h_.clock_.Advance(absl::Hours(3) - absl::Seconds(1));
  p_->publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  h_.clock_.Advance(absl::Seconds(1));
  p_->publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 1);
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_PUBLISHED);
}

// The whole path through the dispatcher: the publisher cannot tell whether the
// network took the post, a person checks and says it did not, and it goes out.
TEST_F(NeedsHumanTest, APostTheDispatcherHandedToAHumanIsSentOnceAfterThePersonSaysSo) {
  h_.SchedulePost("p1", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  h_.channel_.QueueFailure(ChannelErrorKind::kOutcomeUnknown);
  h_.channel_.SetFindUnavailable(true);
  p_->publisher->RunCycle();
  ASSERT_EQ(h_.StateOf("p1"), POST_STATE_NEEDS_HUMAN);
  ASSERT_EQ(h_.channel_.delivery_count(), 0u);
  h_.channel_.SetFindUnavailable(false);

  ASSERT_TRUE(p_->publisher->ConfirmPostNotPublished(paula_, NotPublished("posts/p1")).ok());
  ASSERT_TRUE(h_.Drain());
  p_->publisher->RunCycle();
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_PUBLISHED);
  EXPECT_EQ(h_.channel_.delivery_count(), 1u);
  EXPECT_EQ(h_.channel_.DeliveriesByKey()["p1.v1"], 1);
}

TEST_F(NeedsHumanTest, ASecondRoundThatNeedsAHumanAgainIsAnnouncedAgain) {
  // The bus drops an event whose id it saw recently: a second NEEDS_HUMAN after a
  // person sent the post back must not reuse the first one's id, or the alert
  // and every consumer would never hear of it.
  h_.SchedulePost("p1", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  h_.channel_.SetFindUnavailable(true);
  h_.channel_.QueueFailure(ChannelErrorKind::kOutcomeUnknown);
  p_->publisher->RunCycle();
  ASSERT_EQ(h_.StateOf("p1"), POST_STATE_NEEDS_HUMAN);
  ASSERT_TRUE(p_->publisher->ConfirmPostNotPublished(paula_, NotPublished("posts/p1")).ok());
  ASSERT_TRUE(h_.Drain());
  h_.channel_.QueueFailure(ChannelErrorKind::kOutcomeUnknown);
  p_->publisher->RunCycle();
  ASSERT_EQ(h_.StateOf("p1"), POST_STATE_NEEDS_HUMAN);

  std::vector<std::string> ids;
  for (const common::Event& e : h_.Events("carecast.post.failed")) ids.push_back(e.id);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_NE(ids[0], ids[1]);
  EXPECT_EQ(h_.channel_.delivery_count(), 0u);
}

TEST_F(NeedsHumanTest, OnlyNeedsHumanPostsCanBeConfirmedAndTheRefusalNamesTheState) {
  h_.SchedulePost("scheduled", h_.clock_.Now() + absl::Hours(1), carecast::v1::NETWORK_SANDBOX,
                  false);
  std::map<std::string, carecast::v1::PostState> others = {{"publishing", POST_STATE_PUBLISHING},
                                                           {"published", POST_STATE_PUBLISHED},
                                                           {"failed", POST_STATE_FAILED},
                                                           {"cancelled", POST_STATE_CANCELLED}};
  for (const auto& [id, state] : others) {
    carecast::v1::Post post = PutNeedsHuman(id);
    post.set_state(state);
    ASSERT_TRUE(h_.posts_->Put(id, post.SerializeAsString()).ok());
  }
  others["scheduled"] = POST_STATE_SCHEDULED;
  for (const auto& [id, state] : others) {
    SCOPED_TRACE(id);
    const std::string name = "posts/" + id;
    const std::string state_name(lifecycle::StateName(state));
    Snapshot before = Take(id);
    auto published = p_->publisher->ConfirmPostPublished(paula_, Published(name, "1", ""));
    EXPECT_EQ(published.status(), absl::FailedPreconditionError(absl::StrCat(
                                      name, " is ", state_name,
                                      "; only NEEDS_HUMAN posts can be confirmed published")));
    auto not_published = p_->publisher->ConfirmPostNotPublished(paula_, NotPublished(name));
    EXPECT_EQ(
        not_published.status(),
        absl::FailedPreconditionError(absl::StrCat(
            name, " is ", state_name, "; only NEEDS_HUMAN posts can be confirmed not published")));
    ExpectUnchanged(id, before, "confirm of a " + state_name + " post");
  }
  EXPECT_EQ(Resolved("sandbox", "confirmed_published"), 0);
  EXPECT_EQ(Resolved("sandbox", "confirmed_not_published"), 0);
}

TEST_F(NeedsHumanTest, ASecondConfirmationFindsThePostAlreadyResolved) {
  PutNeedsHuman("p1");
  ASSERT_TRUE(p_->publisher->ConfirmPostPublished(paula_, Published("posts/p1", "a", "")).ok());
  Snapshot before = Take("p1");
  EXPECT_EQ(
      p_->publisher->ConfirmPostPublished(paula_, Published("posts/p1", "b", "")).status().code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      p_->publisher->ConfirmPostNotPublished(paula_, NotPublished("posts/p1")).status().code(),
      absl::StatusCode::kFailedPrecondition);
  ExpectUnchanged("p1", before, "second confirmation");
  EXPECT_EQ(h_.GetPost("p1").post.external_id(), "a");
}

TEST_F(NeedsHumanTest, UnknownPostsAreNotFound) {
  EXPECT_EQ(p_->publisher->ConfirmPostPublished(paula_, Published("posts/nope", "1", "")).status(),
            absl::NotFoundError("posts/nope not found"));
  EXPECT_EQ(p_->publisher->ConfirmPostNotPublished(paula_, NotPublished("posts/nope")).status(),
            absl::NotFoundError("posts/nope not found"));
  EXPECT_TRUE(h_.Events("carecast.post.>").empty());
  EXPECT_TRUE(h_.Events("carecast.audit.>").empty());
}

TEST_F(NeedsHumanTest, BadInputIsInvalidArgumentAndChangesNothing) {
  PutNeedsHuman("p1");
  const std::string long_note(kMaxResolutionNoteChars + 1, 'n');
  struct Case {
    std::string what;
    carecast::v1::ConfirmPostPublishedRequest request;
    std::string message_part;
  };
  std::vector<Case> cases = {
      {"empty post", Published("", "1", ""), "post must look like posts/{post}"},
      {"not a post name", Published("contents/p1", "1", ""), "post must look like"},
      {"post id with a slash", Published("posts/p1/x", "1", ""), "post must look like"},
      {"neither id nor url", Published("posts/p1", "", ""), "external_id or url is required"},
      {"http url", Published("posts/p1", "", "http://example.org/1"), "https://"},
      {"no scheme", Published("posts/p1", "", "example.org/1"), "https://"},
      {"javascript url", Published("posts/p1", "1", "javascript:alert(1)"), "https://"},
      {"credentials in url", Published("posts/p1", "", "https://u:p@example.org/1"), "credentials"},
      {"no host", Published("posts/p1", "", "https:///1"), "no host"},
      {"space in url", Published("posts/p1", "", "https://example.org/a b"), "space"},
      {"control in external id", Published("posts/p1", "1\n2", ""), "external_id"},
      {"long external id", Published("posts/p1", std::string(kMaxExternalIdBytes + 1, '7'), ""),
       "external_id is longer"},
      {"long note", Published("posts/p1", "1", "", long_note), "note is longer"},
      {"note not utf-8", Published("posts/p1", "1", "", "\xff\xfe"), "UTF-8"},
  };
  Snapshot before = Take("p1");
  for (const Case& c : cases) {
    auto result = p_->publisher->ConfirmPostPublished(paula_, c.request);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_NE(result.status().message().find(c.message_part), std::string::npos)
        << c.what << ": " << result.status();
  }

  auto far = NotPublished("posts/p1");
  SetTime(h_.clock_.Now() + kMaxRescheduleAhead + absl::Seconds(1), far.mutable_publish_time());
  EXPECT_EQ(p_->publisher->ConfirmPostNotPublished(paula_, far).status(),
            absl::InvalidArgumentError("publish_time is more than a year ahead"));
  auto broken = NotPublished("posts/p1");
  broken.mutable_publish_time()->set_nanos(-1);
  EXPECT_EQ(p_->publisher->ConfirmPostNotPublished(paula_, broken).status(),
            absl::InvalidArgumentError("publish_time is not a valid timestamp"));
  EXPECT_EQ(p_->publisher->ConfirmPostNotPublished(paula_, NotPublished("")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p_->publisher->ConfirmPostNotPublished(paula_, NotPublished("posts/p1", long_note))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // Bad input about an unknown post is still bad input: nothing is looked up.
  EXPECT_EQ(
      p_->publisher->ConfirmPostPublished(paula_, Published("posts/nope", "", "")).status().code(),
      absl::StatusCode::kInvalidArgument);
  ExpectUnchanged("p1", before, "bad input");

  // Exactly a year ahead is allowed.
  auto year = NotPublished("posts/p1");
  SetTime(h_.clock_.Now() + kMaxRescheduleAhead, year.mutable_publish_time());
  EXPECT_TRUE(p_->publisher->ConfirmPostNotPublished(paula_, year).ok());
}

// Published posts on two networks, newest first, paged with tokens that stay
// valid while more posts are published.
TEST_F(NeedsHumanTest, ListPublishedCoversEveryNetworkNewestFirstWithStablePages) {
  // Published by the dispatcher, one minute apart, alternating networks.
  for (int i = 0; i < 5; ++i) {
    h_.SchedulePost(absl::StrCat("p", i), h_.clock_.Now(),
                    i % 2 == 0 ? carecast::v1::NETWORK_SANDBOX : carecast::v1::NETWORK_MASTODON);
    ASSERT_TRUE(h_.Drain());
    p_->publisher->RunCycle();
    ASSERT_EQ(h_.StateOf(absl::StrCat("p", i)), POST_STATE_PUBLISHED) << i;
    h_.clock_.Advance(absl::Minutes(1));
  }
  // Not deliveries: still waiting, and handed to a human.
  h_.SchedulePost("later", h_.clock_.Now() + absl::Hours(1));
  PutNeedsHuman("unknown", carecast::v1::NETWORK_MASTODON);

  auto first = p_->publisher->ListPublished(2, "");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->posts.size(), 2u);
  EXPECT_EQ(first->posts[0].name(), "posts/p4");
  EXPECT_EQ(first->posts[0].network(), carecast::v1::NETWORK_SANDBOX);
  EXPECT_EQ(first->posts[1].name(), "posts/p3");
  EXPECT_EQ(first->posts[1].network(), carecast::v1::NETWORK_MASTODON);
  EXPECT_EQ(first->posts[1].url(), "https://fake.example/2");  // mastodon_'s second receipt
  ASSERT_FALSE(first->next_page_token.empty());

  // A person confirms one meanwhile: it is newer than everything, so it does not
  // shift the pages already handed out.
  ASSERT_TRUE(p_->publisher
                  ->ConfirmPostPublished(
                      paula_, Published("posts/unknown", "99", "https://mastodon.example/@a/99"))
                  .ok());

  std::vector<std::string> rest;
  std::string token = first->next_page_token;
  int pages = 1;
  while (!token.empty()) {
    auto page = p_->publisher->ListPublished(2, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& post : page->posts) rest.push_back(post.name());
    token = page->next_page_token;
    ASSERT_LT(++pages, 10);
  }
  EXPECT_EQ(rest, (std::vector<std::string>{"posts/p2", "posts/p1", "posts/p0"}));

  auto fresh = p_->publisher->ListPublished(0, "");
  ASSERT_TRUE(fresh.ok());
  ASSERT_EQ(fresh->posts.size(), 6u);
  EXPECT_EQ(fresh->posts[0].name(), "posts/unknown");
  EXPECT_EQ(fresh->posts[0].confirmed_by(), "paula");
  EXPECT_TRUE(fresh->next_page_token.empty());
}

TEST_F(NeedsHumanTest, ListPublishedRefusesTokensItDidNotIssue) {
  EXPECT_EQ(p_->publisher->ListPublished(-1, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  // Not base64; a published token without an id; the sandbox pager's token.
  for (const std::string& token :
       {std::string("garbage"), absl::WebSafeBase64Escape("published:1:"),
        absl::WebSafeBase64Escape("published:x:p1"), absl::WebSafeBase64Escape("deliveries:2")}) {
    EXPECT_EQ(p_->publisher->ListPublished(10, token).status().code(),
              absl::StatusCode::kInvalidArgument)
        << token;
  }
}

TEST(NeedsHumanMetricsTest, ResolutionSeriesExistAtZeroForEveryNetwork) {
  prometheus::Registry registry;
  PublisherMetrics metrics(registry);
  for (const char* network : {"sandbox", "x", "facebook", "linkedin", "instagram", "mastodon"}) {
    for (std::string_view resolution : {kResolvedPublished, kResolvedNotPublished}) {
      bool found = false;
      for (const auto& family : registry.Collect()) {
        if (family.name != "carecast_publisher_needs_human_resolved_total") continue;
        for (const auto& m : family.metric) {
          std::map<std::string, std::string> labels;
          for (const auto& l : m.label) labels[l.name] = l.value;
          if (labels["network"] == network && labels["resolution"] == resolution) {
            found = true;
            EXPECT_EQ(m.counter.value, 0);
            EXPECT_EQ(labels.size(), 2u) << "no other labels, never an id";
          }
        }
      }
      EXPECT_TRUE(found) << network << " " << resolution;
    }
  }
}

}  // namespace
}  // namespace carecast::publisher::testing
