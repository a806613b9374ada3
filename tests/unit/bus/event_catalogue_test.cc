// The event catalogue against the three other places that describe events: the
// generated descriptors (every payload name exists and matches the constant's C++
// type), events.proto's comments (each message names the subjects that carry it),
// and docs/events.md (its subject and stream tables list exactly the catalogue).
//
// docs/events.md is checked, not generated: its tables carry prose the catalogue
// should not hold ("when" each fact happens, retention, notes), and a hand-written
// table that a test holds to the catalogue keeps the docs readable in review while
// still failing the build the moment a subject, payload or producer drifts. The
// paths come from CMake as CARECAST_EVENTS_DOC and CARECAST_EVENTS_PROTO.
#include "services/common/bus/event_catalogue.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"

#include "services/common/base/strings.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"

namespace carecast::common {
namespace {

using ::testing::ElementsAreArray;

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The cells of a Markdown table row ("| a | b |" -> {"a", "b"}), trimmed.
std::vector<std::string> Cells(absl::string_view line) {
  absl::ConsumePrefix(&line, "|");
  absl::ConsumeSuffix(&line, "|");
  std::vector<std::string> cells;
  for (absl::string_view cell : absl::StrSplit(line, '|'))
    cells.emplace_back(absl::StripAsciiWhitespace(cell));
  return cells;
}

// The text inside each pair of backticks in `cell`.
std::vector<std::string> CodeSpans(absl::string_view cell) {
  std::vector<std::string> spans;
  std::vector<absl::string_view> parts = absl::StrSplit(cell, '`');
  for (size_t i = 1; i < parts.size(); i += 2) spans.emplace_back(parts[i]);
  return spans;
}

// The body rows of the table that follows the heading `heading` in `markdown`.
std::vector<std::vector<std::string>> TableAfter(const std::string& markdown,
                                                 absl::string_view heading) {
  std::vector<std::vector<std::string>> rows;
  bool in_section = false;
  int row = 0;
  for (absl::string_view line : absl::StrSplit(markdown, '\n')) {
    if (absl::StartsWith(line, "#")) {
      if (in_section) break;
      in_section = absl::StripAsciiWhitespace(line) == heading;
      continue;
    }
    if (!in_section || !absl::StartsWith(line, "|")) {
      if (in_section && row > 0) break;  // the table ended
      continue;
    }
    if (row++ < 2) continue;  // header and separator
    rows.push_back(Cells(line));
  }
  return rows;
}

template <class Payload>
std::string TypedPayloadName(const EventDef<Payload>&) {
  return Payload::descriptor()->full_name();
}
template <class Payload>
std::string TypedPayloadName(const ResourceEventDef<Payload>&) {
  return Payload::descriptor()->full_name();
}

TEST(EventCatalogueTest, EveryPayloadIsAGeneratedMessageOfEventsProto) {
  const google::protobuf::FileDescriptor* file = v1::SpokeCreated::descriptor()->file();
  for (const EventKind* kind : AllEventKinds()) {
    if (kind->reserved()) continue;
    const google::protobuf::Descriptor* message =
        google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
            std::string(kind->payload));
    ASSERT_NE(message, nullptr) << kind->subject << ": " << kind->payload;
    EXPECT_EQ(message->file(), file) << kind->payload << " is not in events.proto";
  }
  // And every message of events.proto is some kind's payload.
  for (int i = 0; i < file->message_type_count(); ++i) {
    const std::string& name = file->message_type(i)->full_name();
    bool used = false;
    for (const EventKind* kind : AllEventKinds()) used |= kind->payload == name;
    EXPECT_TRUE(used) << name << " is in events.proto but no kind carries it";
  }
}

TEST(EventCatalogueTest, TypedConstantsCarryTheirCataloguePayload) {
  using namespace events;  // NOLINT: the table reads better unqualified
  for (auto [kind, typed] : std::vector<std::pair<const EventKind*, std::string>>{
           {&kSpokeCreated, TypedPayloadName(kSpokeCreated)},
           {&kSpokeFeedRevoked, TypedPayloadName(kSpokeFeedRevoked)},
           {&kAccountCreated, TypedPayloadName(kAccountCreated)},
           {&kObjectiveCreated, TypedPayloadName(kObjectiveCreated)},
           {&kContentCreated, TypedPayloadName(kContentCreated)},
           {&kContentUpdated, TypedPayloadName(kContentUpdated)},
           {&kContentSubmitted, TypedPayloadName(kContentSubmitted)},
           {&kContentStageApproved, TypedPayloadName(kContentStageApproved)},
           {&kContentApproved, TypedPayloadName(kContentApproved)},
           {&kContentRejected, TypedPayloadName(kContentRejected)},
           {&kPostScheduled, TypedPayloadName(kPostScheduled)},
           {&kPostCancelled, TypedPayloadName(kPostCancelled)},
           {&kPostAwaitingApproval, TypedPayloadName(kPostAwaitingApproval)},
           {&kPostNeedsReschedule, TypedPayloadName(kPostNeedsReschedule)},
           {&kPostPublished, TypedPayloadName(kPostPublished)},
           {&kPostFailed, TypedPayloadName(kPostFailed)},
           {&kPublishingHeld, TypedPayloadName(kPublishingHeld)},
           {&kPublishingResumed, TypedPayloadName(kPublishingResumed)},
           {&kMentionClassified, TypedPayloadName(kMentionClassified)},
           {&kInboxCreated, TypedPayloadName(kInboxCreated)},
           {&kInboxAssigned, TypedPayloadName(kInboxAssigned)},
           {&kInboxWaiting, TypedPayloadName(kInboxWaiting)},
           {&kInboxNoteAdded, TypedPayloadName(kInboxNoteAdded)},
           {&kInboxSlaBreached, TypedPayloadName(kInboxSlaBreached)},
           {&kInboxClosed, TypedPayloadName(kInboxClosed)},
           {&kAlertRaised, TypedPayloadName(kAlertRaised)},
           {&kAlertResolved, TypedPayloadName(kAlertResolved)},
           {&kAuditRecorded, TypedPayloadName(kAuditRecorded)},
           {&kCadenceChanged, TypedPayloadName(kCadenceChanged)},
           {&kReviewPolicySet, TypedPayloadName(kReviewPolicySet)},
           {&kBlackoutCreated, TypedPayloadName(kBlackoutCreated)},
           {&kBlackoutDeleted, TypedPayloadName(kBlackoutDeleted)},
           {&kEvergreenCreated, TypedPayloadName(kEvergreenCreated)},
           {&kEvergreenRetired, TypedPayloadName(kEvergreenRetired)},
           {&kEvergreenRenewed, TypedPayloadName(kEvergreenRenewed)},
           {&kEvergreenReviewDue, TypedPayloadName(kEvergreenReviewDue)},
           {&kAudienceCreated, TypedPayloadName(kAudienceCreated)},
           {&kAudienceUpdated, TypedPayloadName(kAudienceUpdated)},
           {&kAudienceDeleted, TypedPayloadName(kAudienceDeleted)},
           {&kCampaignCreated, TypedPayloadName(kCampaignCreated)},
           {&kCampaignUpdated, TypedPayloadName(kCampaignUpdated)},
           {&kCampaignFeedRevoked, TypedPayloadName(kCampaignFeedRevoked)},
           {&kPatientAuthorizationCreated, TypedPayloadName(kPatientAuthorizationCreated)},
           {&kPatientAuthorizationRevoked, TypedPayloadName(kPatientAuthorizationRevoked)},
           {&kPatientAuthorizationExpiring, TypedPayloadName(kPatientAuthorizationExpiring)},
           {&kTakedownRaised, TypedPayloadName(kTakedownRaised)},
           {&kTakedownCompleted, TypedPayloadName(kTakedownCompleted)},
           {&kEngagementObserved, TypedPayloadName(kEngagementObserved)},
           {&kFollowersObserved, TypedPayloadName(kFollowersObserved)},
           {&kReportPublished, TypedPayloadName(kReportPublished)},
           {&kReplyDrafted, TypedPayloadName(kReplyDrafted)},
           {&kReplyApproved, TypedPayloadName(kReplyApproved)},
           {&kReplySent, TypedPayloadName(kReplySent)},
           {&kReplyFailed, TypedPayloadName(kReplyFailed)},
           {&kReplyPolicySet, TypedPayloadName(kReplyPolicySet)},
           {&kTrackedKeywordsSet, TypedPayloadName(kTrackedKeywordsSet)},
           {&kTopicTaxonomySet, TypedPayloadName(kTopicTaxonomySet)},
       }) {
    EXPECT_EQ(kind->payload, typed) << kind->subject;
  }
  // Only the reserved kinds lack a typed constant above.
  int reserved = 0;
  for (const EventKind* kind : AllEventKinds()) reserved += kind->reserved();
  EXPECT_EQ(reserved + 57, static_cast<int>(AllEventKinds().size()));
}

TEST(EventCatalogueTest, SubjectsAreUniqueAndFollowTheNamingRule) {
  std::set<std::string_view> seen;
  for (const EventKind* kind : AllEventKinds()) {
    EXPECT_TRUE(seen.insert(kind->subject).second) << "duplicate " << kind->subject;
    std::vector<std::string> tokens = absl::StrSplit(AsAbsl(kind->subject), '.');
    ASSERT_EQ(tokens.size(), 3u) << kind->subject << " is not carecast.<domain>.<fact>";
    EXPECT_EQ(tokens[0], kSubjectRoot);
    EXPECT_TRUE(SubjectMatches(kAllSubjects, kind->subject)) << kind->subject;
    EXPECT_TRUE(SubjectMatches(DomainFilter(*kind), kind->subject)) << kind->subject;
    EXPECT_EQ(kind->Domain(), tokens[1]);
    for (const std::string& token : {tokens[1], tokens[2]}) {
      if (kind->per_resource && token == tokens[2]) {
        EXPECT_EQ(token, ">") << kind->subject << ": a per-resource kind names its filter";
        continue;
      }
      EXPECT_TRUE(IsValidSubjectToken(token)) << kind->subject;
      EXPECT_EQ(absl::AsciiStrToLower(token), token) << kind->subject;
    }
    EXPECT_EQ(FindEventKind(kind->subject), kind);
    EXPECT_EQ(kind->CloudEventsType(), std::string(kind->subject) + ".v1");
    EXPECT_THAT(kind->producer, ::testing::AnyOf("planner", "publisher", "listener", "metrics"));
    if (!kind->also_producer.empty()) {
      EXPECT_THAT(kind->also_producer, ::testing::AnyOf("planner", "publisher", "listener"));
      EXPECT_NE(kind->also_producer, kind->producer) << kind->subject;
    }
    if (!kind->audit_action.empty()) {
      // "<domain>.<verb>": the action audits a fact of the kind's own domain.
      EXPECT_TRUE(
          absl::StartsWith(AsAbsl(kind->audit_action), absl::StrCat(AsAbsl(kind->Domain()), ".")))
          << kind->subject << " audits " << kind->audit_action;
    }
  }
  EXPECT_EQ(DomainFilter(events::kPostScheduled), "carecast.post.>");
  EXPECT_EQ(DomainFilter(events::kAuditRecorded), "carecast.audit.>");
  EXPECT_EQ(StreamDomains(streams::kAudit), std::vector<std::string_view>{"audit"});
  EXPECT_EQ(FindEventKind("carecast.audit.contents.c1"), &events::kAuditRecorded);
  EXPECT_EQ(FindEventKind("carecast.post"), nullptr);
  EXPECT_EQ(FindEventKind("carecast.post.published.v1"), nullptr);
}

TEST(EventCatalogueTest, AuditActionsAreDistinct) {
  std::set<std::string_view> actions;
  for (const EventKind* kind : AllEventKinds()) {
    if (kind->audit_action.empty()) continue;
    EXPECT_TRUE(actions.insert(kind->audit_action).second) << kind->audit_action;
  }
  EXPECT_EQ(events::kContentApproved.audit_action, "content.approve");
}

TEST(EventCatalogueTest, TopologyStoresEveryKindInItsStream) {
  TopologyOptions options;
  EXPECT_THAT(StreamSubjectFilters(streams::kEvents),
              ElementsAreArray(EventsStreamSpec(options).subjects));
  EXPECT_THAT(StreamSubjectFilters(streams::kAudit),
              ElementsAreArray(AuditStreamSpec(options).subjects));
  EXPECT_TRUE(StreamSubjectFilters("NO_SUCH_STREAM").empty());
  for (const EventKind* kind : AllEventKinds()) {
    std::string example = kind->per_resource ? ResourceSubject(events::kAuditRecorded, "contents.x")
                                             : std::string(kind->subject);
    int owners = 0;
    for (const StreamSpec& spec : {EventsStreamSpec(options), AuditStreamSpec(options)}) {
      for (const std::string& filter : spec.subjects) {
        if (SubjectMatches(filter, example)) {
          ++owners;
          EXPECT_EQ(spec.name, kind->stream) << example;
        }
      }
    }
    EXPECT_EQ(owners, 1) << example;
  }
}

TEST(EventCatalogueTest, SubjectsHeaderAliasesTheCatalogue) {
  EXPECT_EQ(subjects::kPostScheduled, events::kPostScheduled.subject);
  EXPECT_EQ(subjects::kAuditPrefix, "carecast.audit.");
  EXPECT_EQ(ResourceSubject(events::kAuditRecorded, "control.publishing"),
            "carecast.audit.control.publishing");
}

TEST(EventCatalogueCodecTest, CatalogueEventCarriesTheKindsTypeAndSchema) {
  v1::PostChanged payload;
  payload.mutable_post()->set_name("posts/p1");
  Event event = MakeCatalogueEvent(events::kPostScheduled, payload, "/carecast/planner",
                                   absl::FromUnixSeconds(1), "id-1");
  EXPECT_EQ(event.subject, "carecast.post.scheduled");
  EXPECT_EQ(event.type, "carecast.post.scheduled.v1");
  EXPECT_EQ(event.dataschema, "urn:carecast:proto:carecast.v1.PostChanged");
  EXPECT_EQ(event.dataschema, events::kPostScheduled.DataSchema());
  EXPECT_EQ(event.id, "id-1");
  // The same envelope as the untyped codec, which the rest of the tree still uses.
  Event plain = MakeEvent(events::kPostScheduled.subject, payload, "/carecast/planner",
                          absl::FromUnixSeconds(1), "id-1");
  EXPECT_EQ(plain.type, event.type);
  EXPECT_EQ(plain.data, event.data);

  absl::StatusOr<v1::PostChanged> back = DecodeCatalogueEvent(events::kPostScheduled, event);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->post().name(), "posts/p1");
  EXPECT_EQ(DecodeCatalogueEvent(events::kPostCancelled, event).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsEventOf(event, events::kPostScheduled));
  EXPECT_FALSE(IsEventOf(event, events::kPostCancelled));
}

TEST(EventCatalogueCodecTest, ResourceEventGoesToTheResourcesSubject) {
  v1::AuditRecorded recorded;
  Event event = MakeResourceEvent(events::kAuditRecorded, "contents.c1", recorded,
                                  "/carecast/planner", absl::FromUnixSeconds(1), "audit.e1");
  EXPECT_EQ(event.subject, "carecast.audit.contents.c1");
  EXPECT_EQ(event.type, "carecast.audit.contents.c1.v1");  // as MakeEvent has always done
  EXPECT_TRUE(IsEventOf(event, events::kAuditRecorded));
}

TEST(EventCatalogueCodecTest, CheckedEventRefusesAPayloadOfAnotherKind) {
  v1::PostPublished published;
  v1::PostChanged changed;
  const EventKind& kind = events::kPostScheduled;
  EXPECT_EQ(
      MakeCheckedEvent(kind, kind.subject, published, "/s", absl::UnixEpoch()).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeCheckedEvent(kind, "carecast.post.cancelled", changed, "/s", absl::UnixEpoch())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeCheckedEvent(events::kEngagementObserved, events::kEngagementObserved.subject,
                             changed, "/s", absl::UnixEpoch())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<Event> ok = MakeCheckedEvent(kind, kind.subject, changed, "/s", absl::UnixEpoch());
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->type, "carecast.post.scheduled.v1");
  v1::AuditRecorded recorded;
  EXPECT_TRUE(MakeCheckedEvent(events::kAuditRecorded, "carecast.audit.posts.p1", recorded, "/s",
                               absl::UnixEpoch())
                  .ok());
}

// docs/events.md, "## Subjects and messages":
// | `subject` | `Message` | producer[, also_producer] | `audit.action` | when |.
TEST(EventCatalogueDocsTest, SubjectTableListsExactlyTheCatalogue) {
  std::string doc = ReadFile(CARECAST_EVENTS_DOC);
  std::vector<std::vector<std::string>> rows = TableAfter(doc, "## Subjects and messages");
  ASSERT_FALSE(rows.empty()) << "no subject table in " << CARECAST_EVENTS_DOC;
  std::map<const EventKind*, int> documented;
  for (const std::vector<std::string>& row : rows) {
    ASSERT_GE(row.size(), 3u);
    std::vector<std::string> subject = CodeSpans(row[0]);
    ASSERT_EQ(subject.size(), 1u) << row[0];
    const EventKind* kind = FindEventKind(subject[0]);
    if (kind == nullptr) {
      ADD_FAILURE() << subject[0] << " is documented but not in the catalogue";
      continue;
    }
    ++documented[kind];
    std::vector<std::string> message = CodeSpans(row[1]);
    if (kind->reserved()) {
      EXPECT_EQ(row[1], "(reserved)") << subject[0];
    } else {
      EXPECT_THAT(message, ElementsAreArray({std::string(kind->PayloadShortName())}))
          << subject[0] << " is documented with " << row[1] << ", carries " << kind->payload;
    }
    // "planner" or, when a second service states the fact too, "planner, publisher".
    std::string producers(kind->producer);
    if (!kind->also_producer.empty())
      absl::StrAppend(&producers, ", ", AsAbsl(kind->also_producer));
    EXPECT_EQ(row[2], producers) << subject[0];
    ASSERT_GE(row.size(), 4u);
    std::vector<std::string> action = CodeSpans(row[3]);
    if (kind->audit_action.empty()) {
      EXPECT_EQ(row[3], "") << subject[0] << " is not audited";
    } else {
      EXPECT_THAT(action, ElementsAreArray({std::string(kind->audit_action)})) << subject[0];
    }
  }
  for (const EventKind* kind : AllEventKinds())
    EXPECT_EQ(documented[kind], 1) << kind->subject << " should be documented once";
}

// docs/events.md, "## Streams": | `STREAM` | `filter`, ... | retention | notes |.
TEST(EventCatalogueDocsTest, StreamTableListsEachStreamsFilters) {
  std::string doc = ReadFile(CARECAST_EVENTS_DOC);
  std::vector<std::vector<std::string>> rows = TableAfter(doc, "## Streams");
  std::set<std::string> streams;
  for (const std::vector<std::string>& row : rows) {
    ASSERT_GE(row.size(), 2u);
    std::vector<std::string> name = CodeSpans(row[0]);
    ASSERT_EQ(name.size(), 1u) << row[0];
    streams.insert(name[0]);
    EXPECT_THAT(CodeSpans(row[1]), ElementsAreArray(StreamSubjectFilters(name[0]))) << name[0];
  }
  EXPECT_EQ(streams,
            (std::set<std::string>{std::string(streams::kEvents), std::string(streams::kAudit)}));
}

// events.proto: each message's leading comment lists the subjects that carry it.
TEST(EventCatalogueDocsTest, ProtoCommentsNameTheSubjectsOfEachMessage) {
  std::string proto = ReadFile(CARECAST_EVENTS_PROTO);
  std::map<std::string, std::set<std::string>> commented;  // message -> subjects
  std::set<std::string> pending;
  for (absl::string_view line : absl::StrSplit(proto, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "//")) {
      for (absl::string_view word : absl::StrSplit(line, absl::ByAnyChar(" ,()"))) {
        if (absl::StartsWith(word, "carecast.")) pending.insert(std::string(word));
      }
    } else if (absl::ConsumePrefix(&line, "message ")) {
      std::string name(line.substr(0, line.find(' ')));
      commented[std::string("carecast.v1.") + name] = pending;
      pending.clear();
    } else {
      pending.clear();
    }
  }
  for (const EventKind* kind : AllEventKinds()) {
    if (kind->reserved()) continue;
    std::set<std::string>& subjects = commented[std::string(kind->payload)];
    bool found = false;
    for (const std::string& s : subjects) found |= FindEventKind(s) == kind;
    EXPECT_TRUE(found) << "events.proto's comment on " << kind->payload << " omits "
                       << kind->subject;
    for (const std::string& s : subjects) {
      const EventKind* named = FindEventKind(s);
      EXPECT_TRUE(named != nullptr && named->payload == kind->payload)
          << "events.proto says " << s << " carries " << kind->payload;
    }
  }
}

TEST(DecodeEventTest, TakesOnlyTheExactDataschemaOfThePayload) {
  v1::PostChanged changed;
  changed.mutable_post()->set_name("posts/p1");
  Event event = MakeCatalogueEvent(events::kPostScheduled, changed, "/test", absl::UnixEpoch());
  v1::PostChanged out;
  ASSERT_TRUE(DecodeEvent(event, &out).ok());
  EXPECT_EQ(out.post().name(), "posts/p1");
  for (const std::string schema :
       {"urn:carecast:proto:carecast.v1.PostChangedX", "urn:carecast:proto:carecast.v1.PostChange",
        "urn:carecast:proto:carecast.v1.PostChangeD", "urn:carecast:protX:carecast.v1.PostChanged",
        "carecast.v1.PostChanged", "", "urn:carecast:proto:"}) {
    event.dataschema = schema;
    absl::Status s = DecodeEvent(event, &out);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << schema;
    EXPECT_THAT(std::string(s.message()),
                ::testing::HasSubstr("not urn:carecast:proto:carecast.v1.PostChanged"));
  }
}

}  // namespace
}  // namespace carecast::common
