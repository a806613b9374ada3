#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/listener/sources/bluesky_jetstream_source.h"
#include "tests/support/fake_networks/jetstream_fake.h"

namespace carecast::listener {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kOurs[] = "did:plc:carecastmain";
constexpr char kOursToo[] = "did:plc:carecastclinic";
constexpr char kAlice[] = "did:plc:alice";
constexpr char kBob[] = "did:plc:bob";
constexpr char kCarol[] = "did:plc:carol";
constexpr char kStranger[] = "did:plc:stranger";
constexpr char kAccount[] = "spokes/north/accounts/bsky-main";

std::string PostUri(std::string_view did, std::string_view rkey) {
  return "at://" + std::string(did) + "/app.bsky.feed.post/" + std::string(rkey);
}

class JetstreamSourceTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fake_.Start().ok()); }

  BlueskyJetstreamSourceOptions Options() const {
    BlueskyJetstreamSourceOptions options;
    options.url = fake_.url();
    options.watched_dids = {kOurs, kOursToo};
    options.handle = "carecast.bsky.social";
    options.account = kAccount;
    options.read_window = absl::Milliseconds(300);
    options.connect_timeout = absl::Seconds(5);
    return options;
  }

  std::unique_ptr<BlueskyJetstreamSource> Source(int max_batch = 500) const {
    BlueskyJetstreamSourceOptions options = Options();
    options.max_batch = max_batch;
    absl::StatusOr<std::unique_ptr<BlueskyJetstreamSource>> source =
        BlueskyJetstreamSource::Create(options);
    EXPECT_TRUE(source.ok()) << source.status();
    return source.ok() ? *std::move(source) : nullptr;
  }

  struct Drained {
    std::vector<v1::Mention> mentions;
    std::string checkpoint;
    int unavailable = 0;
  };

  // Fetches as the poller does (storing each page's checkpoint) until the
  // checkpoint reaches `until`, for at most 40 calls.
  static Drained DrainUntil(BlueskyJetstreamSource& source, std::string checkpoint, int64_t until) {
    Drained drained;
    drained.checkpoint = std::move(checkpoint);
    for (int i = 0; i < 40 && drained.checkpoint != absl::StrCat(until); ++i) {
      absl::StatusOr<SourcePage> page = source.Fetch(drained.checkpoint);
      if (!page.ok()) {
        EXPECT_EQ(page.status().code(), absl::StatusCode::kUnavailable) << page.status();
        ++drained.unavailable;
        continue;
      }
      for (v1::Mention& mention : page->mentions) drained.mentions.push_back(std::move(mention));
      drained.checkpoint = page->next_checkpoint;
    }
    EXPECT_EQ(drained.checkpoint, absl::StrCat(until));
    return drained;
  }

  static std::vector<std::string> Ids(const std::vector<v1::Mention>& mentions) {
    std::vector<std::string> ids;
    ids.reserve(mentions.size());
    for (const v1::Mention& mention : mentions) ids.push_back(mention.external_id());
    return ids;
  }

  // Starts the live tail: the first Fetch of an empty checkpoint connects.
  static void Subscribe(BlueskyJetstreamSource& source) {
    absl::StatusOr<SourcePage> page = source.Fetch("");
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_TRUE(page->mentions.empty());
    EXPECT_EQ(page->next_checkpoint, "");
  }

  testing::JetstreamFake fake_;
};

TEST_F(JetstreamSourceTest, KeepsOnlyPostsAddressedToWatchedDids) {
  auto source = Source();
  ASSERT_NE(source, nullptr);
  Subscribe(*source);

  const int64_t mention = fake_.PublishMention(kAlice, "m1", "hello @carecast", kOurs);
  fake_.PublishPost(kAlice, "u1", "nice weather");
  fake_.PublishMention(kAlice, "m2", "hello stranger", kStranger);
  fake_.PublishReply(kBob, "r2", "not to us", PostUri(kStranger, "p9"));
  fake_.PublishReply(kBob, "r1", "thanks for the reminder", PostUri(kOursToo, "p0"));
  fake_.PublishMention(kOurs, "self", "we mention ourselves", kOurs);
  fake_.PublishReply(kOursToo, "thread", "our own thread", PostUri(kOurs, "p1"));
  fake_.PublishLike(kAlice, "l1", PostUri(kOurs, "p1"));
  fake_.PublishDelete(kAlice, "m1");
  fake_.PublishGarbage("this is not json");
  fake_.PublishPost(kCarol, "h1", "Thanks @CareCast.bsky.social.");
  fake_.PublishPost(kCarol, "h2", "write to me@carecast.bsky.social.org");
  fake_.PublishIdentity(kAlice, "alice.example");
  const int64_t last = fake_.PublishAccount(kAlice, false);

  Drained drained = DrainUntil(*source, "", last);
  EXPECT_EQ(drained.unavailable, 0);
  EXPECT_THAT(Ids(drained.mentions),
              ElementsAre(PostUri(kAlice, "m1"), PostUri(kBob, "r1"), PostUri(kCarol, "h1")));
  ASSERT_FALSE(drained.mentions.empty());
  const v1::Mention& first = drained.mentions.front();
  EXPECT_EQ(first.network(), v1::NETWORK_BLUESKY);
  EXPECT_EQ(first.author_handle(), kAlice);
  EXPECT_EQ(first.text(), "hello @carecast");
  EXPECT_EQ(first.account(), kAccount);
  // createdAt has millisecond precision.
  EXPECT_EQ(first.create_time().seconds(), mention / 1'000'000);
  EXPECT_EQ(first.create_time().nanos(), (mention % 1'000'000) / 1000 * 1'000'000);
  EXPECT_EQ(source->unreadable_messages(), 1);
  // The like never left the fake: the subscription asks for posts only.
  ASSERT_EQ(fake_.queries().size(), 1u);
  EXPECT_EQ(fake_.queries()[0], "wantedCollections=app.bsky.feed.post");
  EXPECT_EQ(fake_.events_sent(), 13);
  EXPECT_EQ(fake_.connections(), 1);
}

TEST_F(JetstreamSourceTest, EmptyCheckpointIsTheLiveTailNotTheHistory) {
  fake_.PublishMention(kAlice, "old", "before we listened", kOurs);
  auto source = Source();
  ASSERT_NE(source, nullptr);
  Subscribe(*source);
  const int64_t fresh = fake_.PublishMention(kBob, "new", "after", kOurs);
  Drained drained = DrainUntil(*source, "", fresh);
  EXPECT_THAT(Ids(drained.mentions), ElementsAre(PostUri(kBob, "new")));
}

TEST_F(JetstreamSourceTest, CheckpointReplaysFromARewoundCursor) {
  fake_.PublishMention(kAlice, "long-ago", "seen long ago", kOurs);
  fake_.SkipTime(absl::Seconds(10));
  const int64_t just_before = fake_.PublishMention(kBob, "boundary", "at the boundary", kOurs);
  const int64_t stored = fake_.PublishPost(kCarol, "p", "unrelated");
  const int64_t after = fake_.PublishMention(kCarol, "after", "after the checkpoint", kOurs);

  // A listener that restarts with the stored checkpoint.
  auto source = Source();
  ASSERT_NE(source, nullptr);
  Drained drained = DrainUntil(*source, absl::StrCat(stored), after);
  // The 2 s rewind brings the boundary post again (the intake drops the
  // duplicate); the post 10 s older is not replayed.
  EXPECT_THAT(Ids(drained.mentions),
              ElementsAre(PostUri(kBob, "boundary"), PostUri(kCarol, "after")));
  ASSERT_EQ(fake_.queries().size(), 1u);
  EXPECT_EQ(fake_.queries()[0],
            absl::StrCat("wantedCollections=app.bsky.feed.post&cursor=", stored - 2'000'000));
  EXPECT_LT(stored - 2'000'000, just_before);
}

TEST_F(JetstreamSourceTest, RestartMidStreamLosesNothing) {
  auto source = Source(/*max_batch=*/3);
  ASSERT_NE(source, nullptr);
  Subscribe(*source);
  std::set<std::string> expected;
  for (int i = 0; i < 5; ++i) {
    std::string rkey = absl::StrCat("a", i);
    fake_.PublishMention(kAlice, rkey, "before the restart", kOurs);
    fake_.PublishPost(kBob, absl::StrCat("noise", i), "unrelated");
    expected.insert(PostUri(kAlice, rkey));
  }
  absl::StatusOr<SourcePage> first = source->Fetch("");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->more);
  ASSERT_FALSE(first->next_checkpoint.empty());
  const std::string stored = first->next_checkpoint;
  std::set<std::string> seen;
  for (const v1::Mention& mention : first->mentions) seen.insert(mention.external_id());

  // Jetstream restarts; posts keep arriving while nobody is connected.
  fake_.DropConnections();
  int64_t last = 0;
  for (int i = 0; i < 4; ++i) {
    std::string rkey = absl::StrCat("b", i);
    last = fake_.PublishMention(kCarol, rkey, "during the restart", kOursToo);
    expected.insert(PostUri(kCarol, rkey));
  }

  Drained drained = DrainUntil(*source, stored, last);
  for (const v1::Mention& mention : drained.mentions) seen.insert(mention.external_id());
  EXPECT_EQ(seen, expected);
  EXPECT_GE(fake_.connections(), 2);
  std::vector<std::string> queries = fake_.queries();
  ASSERT_GE(queries.size(), 2u);
  EXPECT_THAT(queries.back(), HasSubstr("&cursor="));
}

TEST_F(JetstreamSourceTest, ServerCloseIsUnavailableThenReconnectsFromTheCheckpoint) {
  auto source = Source();
  ASSERT_NE(source, nullptr);
  Subscribe(*source);
  const int64_t first = fake_.PublishMention(kAlice, "c1", "first", kOurs);
  Drained before = DrainUntil(*source, "", first);
  EXPECT_THAT(Ids(before.mentions), ElementsAre(PostUri(kAlice, "c1")));

  fake_.CloseConnections();
  absl::StatusOr<SourcePage> closed = source->Fetch(before.checkpoint);
  EXPECT_EQ(closed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(closed.status().message()), HasSubstr("1001"));

  const int64_t second = fake_.PublishMention(kBob, "c2", "second", kOurs);
  Drained after = DrainUntil(*source, before.checkpoint, second);
  // c1 may come again (rewind); c2 must come.
  std::vector<std::string> ids = Ids(after.mentions);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.back(), PostUri(kBob, "c2"));
  EXPECT_EQ(fake_.connections(), 2);
}

TEST_F(JetstreamSourceTest, BatchCapSetsMoreAndKeepsOneConnection) {
  auto source = Source(/*max_batch=*/3);
  ASSERT_NE(source, nullptr);
  Subscribe(*source);
  std::vector<int64_t> times;
  times.reserve(7);
  for (int i = 0; i < 7; ++i) {
    times.push_back(i % 2 == 0 ? fake_.PublishMention(kAlice, absl::StrCat("k", i), "hi", kOurs)
                               : fake_.PublishPost(kBob, absl::StrCat("n", i), "noise"));
  }
  absl::StatusOr<SourcePage> page1 = source->Fetch("");
  ASSERT_TRUE(page1.ok()) << page1.status();
  EXPECT_TRUE(page1->more);
  EXPECT_EQ(page1->next_checkpoint, absl::StrCat(times[2]));
  EXPECT_THAT(Ids(page1->mentions), ElementsAre(PostUri(kAlice, "k0"), PostUri(kAlice, "k2")));

  absl::StatusOr<SourcePage> page2 = source->Fetch(page1->next_checkpoint);
  ASSERT_TRUE(page2.ok()) << page2.status();
  EXPECT_TRUE(page2->more);
  EXPECT_EQ(page2->next_checkpoint, absl::StrCat(times[5]));
  EXPECT_THAT(Ids(page2->mentions), ElementsAre(PostUri(kAlice, "k4")));

  absl::StatusOr<SourcePage> page3 = source->Fetch(page2->next_checkpoint);
  ASSERT_TRUE(page3.ok()) << page3.status();
  EXPECT_FALSE(page3->more);
  EXPECT_EQ(page3->next_checkpoint, absl::StrCat(times[6]));
  EXPECT_THAT(Ids(page3->mentions), ElementsAre(PostUri(kAlice, "k6")));
  EXPECT_EQ(fake_.connections(), 1);

  // A page the poller did not store: the source reconnects from it, rewound,
  // and the checkpoint does not move back with the replay.
  absl::StatusOr<SourcePage> again = source->Fetch(page2->next_checkpoint);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(fake_.connections(), 2);
  EXPECT_EQ(fake_.queries().back(),
            absl::StrCat("wantedCollections=app.bsky.feed.post&cursor=", times[5] - 2'000'000));
  EXPECT_THAT(Ids(again->mentions), ElementsAre(PostUri(kAlice, "k0"), PostUri(kAlice, "k2")));
  EXPECT_EQ(again->next_checkpoint, absl::StrCat(times[5]));
}

TEST_F(JetstreamSourceTest, QuietConnectionIsReopenedFromTheCheckpoint) {
  BlueskyJetstreamSourceOptions options = Options();
  options.stall_timeout = absl::Milliseconds(200);
  auto source = BlueskyJetstreamSource::Create(options);
  ASSERT_TRUE(source.ok()) << source.status();
  Subscribe(**source);
  // Quiet past the stall timeout, but with no checkpoint yet: kept (a live
  // tail has nowhere to resume from).
  Subscribe(**source);
  EXPECT_EQ(fake_.connections(), 1);
  const int64_t posted = fake_.PublishMention(kAlice, "q1", "hello", kOurs);
  Drained drained = DrainUntil(**source, "", posted);
  EXPECT_THAT(Ids(drained.mentions), ElementsAre(PostUri(kAlice, "q1")));

  // Quiet past the stall timeout (one read window is 300 ms): a call reopens
  // the connection, rewound, so q1 comes again.
  absl::StatusOr<SourcePage> page;
  for (int i = 0; i < 10 && fake_.connections() < 2; ++i) {
    page = (*source)->Fetch(drained.checkpoint);
    ASSERT_TRUE(page.ok()) << page.status();
  }
  ASSERT_EQ(fake_.connections(), 2);
  EXPECT_EQ(fake_.queries().back(),
            absl::StrCat("wantedCollections=app.bsky.feed.post&cursor=", posted - 2'000'000));
  EXPECT_THAT(Ids(page->mentions), ElementsAre(PostUri(kAlice, "q1")));
  EXPECT_EQ(page->next_checkpoint, drained.checkpoint);
}

TEST_F(JetstreamSourceTest, FailuresAreClassified) {
  auto source = Source();
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->Fetch("not-a-number").status().code(), absl::StatusCode::kInvalidArgument);
  fake_.Stop();
  EXPECT_EQ(source->Fetch("").status().code(), absl::StatusCode::kUnavailable);

  BlueskyJetstreamSourceOptions options = Options();
  options.url = "https://jetstream.example/subscribe";
  EXPECT_EQ(BlueskyJetstreamSource::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = Options();
  options.watched_dids.clear();
  EXPECT_EQ(BlueskyJetstreamSource::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace carecast::listener
