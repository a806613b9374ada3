// The planner refuses early (issue 8, items 7 and 8): media on content is
// checked when written and against every target network when approved; a post
// on a network without a configured adapter, or whose variant breaks that
// network's rules, is refused at SchedulePost with nothing written.
#include <string>
#include <vector>

#include "services/planner/calendar_index.h"
#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

using ::testing::HasSubstr;

v1::MediaItem Image(std::string mime = "image/jpeg", int64_t size = 300000) {
  v1::MediaItem item;
  item.set_url("https://cdn.stmarys.example/flu-clinic.jpg");
  item.set_alt_text("The flu clinic entrance with its opening hours on a sign");
  item.set_mime_type(std::move(mime));
  item.set_size_bytes(size);
  return item;
}

class PlannerChannelsTest : public PlannerFixture {
 protected:
  absl::StatusOr<v1::Content> Create(
      const std::string& master, const std::vector<std::pair<v1::Network, std::string>>& variants,
      const std::vector<v1::MediaItem>& media) {
    v1::CreateContentRequest req;
    req.mutable_content()->set_title("Flu shots");
    req.mutable_content()->set_text(master);
    for (const auto& [network, text] : variants) {
      auto* v = req.mutable_content()->add_variants();
      v->set_network(network);
      v->set_text(text);
    }
    for (const v1::MediaItem& item : media) *req.mutable_content()->add_media() = item;
    auto resp = planner_->CreateContent(writer_, req);
    if (!resp.ok()) return resp.status();
    return resp->content();
  }

  int64_t CalendarEntries() {
    auto count = index_.Count(kCalendarIndex, -1e18, 1e18);
    EXPECT_TRUE(count.ok()) << count.status();
    return count.ok() ? *count : -1;
  }

  // Replaces the planner with one whose deployment has adapters for `networks`
  // only (the sandbox always), over the same buckets.
  void ConfigureOnly(const std::vector<v1::Network>& networks) {
    options_.channels = {};
    for (v1::Network n : networks)
      options_.channels.endpoints[n] = {.base_url = "https://a.example"};
    planner_ = NewPlanner();
  }
};

TEST_F(PlannerChannelsTest, MediaIsStoredHashedAndCopiedOntoThePost) {
  MakeSpoke();
  v1::Account mastodon = MakeAccount(v1::NETWORK_MASTODON, "mastodon-main");
  auto draft =
      Create("Walk-in flu shots weekdays 8-6.",
             {{v1::NETWORK_MASTODON, "Walk-in flu shots at St Mary's, weekdays 8-6."}}, {Image()});
  ASSERT_TRUE(draft.ok()) << draft.status();
  ASSERT_EQ(draft->media_size(), 1);
  EXPECT_EQ(draft->media(0).alt_text(), Image().alt_text());
  v1::Content approved = Approve(Submit(*draft));
  ASSERT_EQ(approved.state(), v1::CONTENT_STATE_APPROVED);

  auto post = Schedule(approved, mastodon.name(), absl::Hours(2));
  ASSERT_TRUE(post.ok()) << post.status();
  ASSERT_EQ(post->media_size(), 1);
  EXPECT_EQ(post->media(0).SerializeAsString(), Image().SerializeAsString());

  // Changing only the media is a new version: the approval is voided and the
  // scheduled post cancelled, as for any other edit.
  v1::UpdateContentRequest update;
  *update.mutable_content() = approved;
  update.mutable_content()->mutable_media(0)->set_alt_text("A nurse and a child, smiling");
  update.set_expected_version(approved.version());
  auto updated = planner_->UpdateContent(writer_, update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_NE(updated->content().content_hash(), approved.content_hash());
  EXPECT_EQ(updated->content().state(), v1::CONTENT_STATE_DRAFT);
  EXPECT_FALSE(updated->content().has_approval());
  v1::GetPostRequest get;
  get.set_name(post->name());
  EXPECT_EQ(planner_->GetPost(publisher_, get)->post().state(), v1::POST_STATE_CANCELLED);
}

TEST_F(PlannerChannelsTest, MalformedMediaIsInvalidArgumentAndChangesNothing) {
  auto before = Take();
  struct Case {
    std::string what;
    v1::MediaItem item;
    std::string reason;
  };
  std::vector<Case> cases;
  v1::MediaItem http = Image();
  http.set_url("http://cdn.stmarys.example/a.jpg");
  cases.push_back({"http URL", http, "content.media[0].url must be an https:// URL"});
  v1::MediaItem no_alt = Image();
  no_alt.set_alt_text("");
  cases.push_back({"no alt text", no_alt, "content.media[0].alt_text is required"});
  cases.push_back({"unknown type", Image("image/heic"), "content.media[0].mime_type"});
  cases.push_back({"negative size", Image("image/jpeg", -5), "size_bytes must not be negative"});
  for (const Case& c : cases) {
    auto created = Create("Flu shots.", {{v1::NETWORK_X, "Flu shots."}}, {c.item});
    EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_THAT(std::string(created.status().message()), HasSubstr(c.reason)) << c.what;
  }
  ExpectUnchanged(before, "malformed media on create");

  v1::Content draft = DraftContent("Flu shots.");
  before = Take();
  v1::UpdateContentRequest update;
  *update.mutable_content() = draft;
  *update.mutable_content()->add_media() = http;
  update.set_expected_version(draft.version());
  auto updated = planner_->UpdateContent(writer_, update);
  EXPECT_EQ(updated.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(updated.status().message()), HasSubstr("content.media[0].url"));
  ExpectUnchanged(before, "malformed media on update");
}

TEST_F(PlannerChannelsTest, ApprovalRefusesMediaATargetNetworkCannotTake) {
  // PNG is fine on X but Instagram's API takes JPEG only; the alt text is over
  // X's 1000 characters.
  v1::MediaItem png = Image("image/png");
  png.set_alt_text(std::string(1001, 'a'));
  auto draft = Create("Flu shots Saturday.",
                      {{v1::NETWORK_X, "Flu shots Saturday!"},
                       {v1::NETWORK_INSTAGRAM, "Flu shots Saturday! #fluseason"}},
                      {png});
  ASSERT_TRUE(draft.ok()) << draft.status();
  v1::Content submitted = Submit(*draft);
  auto before = Take();
  auto approved = TryApprove(submitted);
  EXPECT_EQ(approved.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string message(approved.status().message());
  EXPECT_THAT(message, HasSubstr("instagram accepts image/jpeg images; media[0] is image/png"));
  EXPECT_THAT(message, HasSubstr("x allows alt text of 1000 characters; media[0] has 1001"));
  ExpectUnchanged(before, "a refused approval");

  // A size not given when drafting must be given before approval.
  v1::UpdateContentRequest update;
  *update.mutable_content() = submitted;
  update.mutable_content()->mutable_media(0)->set_mime_type("image/jpeg");
  update.mutable_content()->mutable_media(0)->set_alt_text("A nurse gives a flu shot");
  update.mutable_content()->mutable_media(0)->set_size_bytes(0);
  update.set_expected_version(submitted.version());
  auto updated = planner_->UpdateContent(writer_, update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  approved = TryApprove(Submit(updated->content()));
  EXPECT_EQ(approved.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(approved.status().message()), HasSubstr("does not give its size_bytes"));
}

TEST_F(PlannerChannelsTest, TheGuardReadsAltTextLikeAnyOutgoingText) {
  v1::MediaItem telling = Image();
  telling.set_alt_text("A nurse gives a child a flu shot at the St Mary's walk-in clinic");
  auto draft = Create("Flu shots Saturday.", {{v1::NETWORK_X, "Flu shots Saturday!"}}, {telling});
  ASSERT_TRUE(draft.ok()) << draft.status();
  auto approved = TryApprove(Submit(*draft));
  EXPECT_EQ(approved.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(approved.status().message()),
              HasSubstr("outgoing-text guard blocks approval"));
  EXPECT_THAT(std::string(approved.status().message()), HasSubstr("in media[0].alt_text"));
}

TEST_F(PlannerChannelsTest, ApprovalRefusesAnInstagramVariantWithoutAnImage) {
  auto draft =
      Create("Flu shots Saturday.", {{v1::NETWORK_INSTAGRAM, "Flu shots! #fluseason"}}, {});
  ASSERT_TRUE(draft.ok()) << draft.status();
  auto approved = TryApprove(Submit(*draft));
  EXPECT_EQ(approved.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(approved.status().message()),
              HasSubstr("instagram needs at least 1 image; this post has 0"));
}

TEST_F(PlannerChannelsTest, SchedulingOnANetworkWithoutAnAdapterIsRefusedAndChangesNothing) {
  MakeSpoke();
  v1::Account mastodon = MakeAccount(v1::NETWORK_MASTODON, "mastodon-main");
  v1::Account x = MakeAccount(v1::NETWORK_X, "x-main");
  v1::Account sandbox = MakeAccount(v1::NETWORK_SANDBOX, "sandbox-main");
  auto draft = Create("Flu shots Saturday.",
                      {{v1::NETWORK_MASTODON, "Flu shots Saturday at St Mary's."},
                       {v1::NETWORK_X, "Flu shots Saturday!"}},
                      {});
  ASSERT_TRUE(draft.ok()) << draft.status();
  v1::Content approved = Approve(Submit(*draft));
  ConfigureOnly({v1::NETWORK_X});

  auto before = Take();
  auto refused = Schedule(approved, mastodon.name(), absl::Hours(2), "p-mastodon");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "no channel adapter is configured for network mastodon (set "
            "CARECAST_CHANNEL_MASTODON_BASE_URL)");
  ExpectUnchanged(before, "a post on an unconfigured network");
  EXPECT_EQ(CalendarEntries(), 0) << "nothing indexed in the calendar";

  // The configured network and the sandbox still take posts.
  EXPECT_TRUE(Schedule(approved, x.name(), absl::Hours(2)).ok());
  EXPECT_TRUE(Schedule(approved, sandbox.name(), absl::Hours(2)).ok());
}

TEST_F(PlannerChannelsTest, APostThatBreaksItsNetworksRulesIsRefusedAndChangesNothing) {
  MakeSpoke();
  v1::Account sandbox = MakeAccount(v1::NETWORK_SANDBOX, "sandbox-main");
  // The X variant fits, so the content is approved; without a sandbox variant
  // the sandbox posts the master text, which is over its 10000 characters.
  auto draft = Create(std::string(10001, 'm'), {{v1::NETWORK_X, "Flu shots Saturday!"}}, {});
  ASSERT_TRUE(draft.ok()) << draft.status();
  v1::Content approved = Approve(Submit(*draft));
  ASSERT_EQ(approved.state(), v1::CONTENT_STATE_APPROVED);

  auto before = Take();
  auto refused = Schedule(approved, sandbox.name(), absl::Hours(2), "p-sandbox");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr(approved.name() + " cannot be posted on " + sandbox.name() +
                        ": sandbox allows 10000 characters; this text has 10001"));
  ExpectUnchanged(before, "a post that breaks its network's rules");
  EXPECT_EQ(CalendarEntries(), 0) << "nothing indexed in the calendar";
}

}  // namespace
}  // namespace carecast::planner
