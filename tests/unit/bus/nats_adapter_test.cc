// Pieces of the NATS adapter that need no server: error classification, the
// CloudEvents header mapping, retry delays and key validation.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/nats_event_headers.h"
#include "services/common/bus/nats_key_value_store.h"
#include "services/common/bus/nats_status.h"
#include "services/common/bus/nats_subscription.h"

namespace carecast::common {
namespace {

using absl::StatusCode;

StatusCode Code(natsStatus s, int js = 0, std::string_view text = "",
                NatsOperation op = NatsOperation::kGeneric) {
  return NatsToStatus(s, js, text, "op", op).code();
}

TEST(NatsToStatusTest, ConnectionTroubleIsUnavailable) {
  for (natsStatus s :
       {NATS_TIMEOUT, NATS_NO_SERVER, NATS_CONNECTION_CLOSED, NATS_CONNECTION_DISCONNECTED,
        NATS_IO_ERROR, NATS_STALE_CONNECTION, NATS_NOT_YET_CONNECTED, NATS_NO_RESPONDERS}) {
    EXPECT_EQ(Code(s), StatusCode::kUnavailable) << natsStatus_GetText(s);
  }
  // nats.c reports no responders with "JetStream not enabled": still UNAVAILABLE.
  EXPECT_EQ(Code(NATS_NO_RESPONDERS, JSNotEnabledErr), StatusCode::kUnavailable);
}

TEST(NatsToStatusTest, LostCompareAndSetIsAborted) {
  EXPECT_EQ(Code(NATS_ERR, JSStreamWrongLastSequenceErr), StatusCode::kAborted);
  EXPECT_EQ(Code(NATS_ERR, 0, "wrong last sequence: 7"), StatusCode::kAborted);
  // Except for a KV create, where it means the key is live.
  EXPECT_EQ(Code(NATS_ERR, 0, "wrong last sequence: 7", NatsOperation::kKvCreate),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(Code(NATS_ERR, JSStreamWrongLastSequenceErr, "", NatsOperation::kKvCreate),
            StatusCode::kAlreadyExists);
}

TEST(NatsToStatusTest, MissingThingsAreNotFound) {
  EXPECT_EQ(Code(NATS_NOT_FOUND), StatusCode::kNotFound);
  for (int js : {JSStreamNotFoundErr, JSConsumerNotFoundErr, JSNoMessageFoundErr}) {
    EXPECT_EQ(Code(NATS_ERR, js), StatusCode::kNotFound) << js;
  }
}

TEST(NatsToStatusTest, OtherClasses) {
  EXPECT_EQ(Code(NATS_OK), StatusCode::kOk);
  EXPECT_EQ(Code(NATS_INVALID_ARG), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(NATS_INVALID_SUBJECT), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(NATS_ERR, JSStreamInvalidConfig), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(NATS_ERR, JSStreamNameExistErr), StatusCode::kAlreadyExists);
  EXPECT_EQ(Code(NATS_CONNECTION_AUTH_FAILED), StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(NATS_ERR), StatusCode::kInternal);
  EXPECT_EQ(Code(NATS_PROTOCOL_ERROR), StatusCode::kInternal);
  // An unclassified JetStream code falls back to the nats.c status.
  EXPECT_EQ(Code(NATS_TIMEOUT, JSStreamSnapshotErr), StatusCode::kUnavailable);
}

TEST(NatsToStatusTest, MessageNamesTheOperationAndDetail) {
  absl::Status s = NatsToStatus(NATS_ERR, JSStreamWrongLastSequenceErr, "wrong last sequence: 3",
                                "publishing to t.x");
  EXPECT_NE(s.message().find("publishing to t.x"), absl::string_view::npos);
  EXPECT_NE(s.message().find("10071"), absl::string_view::npos);
  EXPECT_NE(s.message().find("wrong last sequence: 3"), absl::string_view::npos);
}

Event FullEvent() {
  Event e;
  e.id = "evt-1";
  e.subject = std::string(events::kPostPublished.subject);
  e.type = events::kPostPublished.CloudEventsType();
  e.source = "/carecast/publisher";
  e.time = absl::FromUnixMillis(1700000000123);
  e.dataschema = events::kPostPublished.DataSchema();
  e.data = std::string("\x08\x00\x12", 3);
  return e;
}

// natsMsg_* need the library initialised, which Connect() does in production.
class NatsEventHeadersTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(nats_Open(-1), NATS_OK); }
};

std::string Header(natsMsg* msg, const char* key) {
  const char* v = nullptr;
  return natsMsgHeader_Get(msg, key, &v) == NATS_OK ? v : "<missing>";
}

TEST_F(NatsEventHeadersTest, WritesCloudEventsBinaryMode) {
  auto msg = NewEventMsg(FullEvent(), 0);
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_EQ(natsMsg_GetSubject(*msg), events::kPostPublished.subject);
  EXPECT_EQ(Header(*msg, "ce-id"), "evt-1");
  EXPECT_EQ(Header(*msg, "Nats-Msg-Id"), "evt-1");
  EXPECT_EQ(Header(*msg, "ce-specversion"), "1.0");
  EXPECT_EQ(Header(*msg, "ce-datacontenttype"), "application/protobuf");
  EXPECT_EQ(Header(*msg, "ce-time"), "2023-11-14T22:13:20.123+00:00");
  EXPECT_EQ(Header(*msg, "Nats-Expected-Last-Subject-Sequence"), "0");
  auto back = EventFromMsg(*msg);
  ASSERT_TRUE(back.ok()) << back.status();
  const Event want = FullEvent();
  EXPECT_EQ(back->id, want.id);
  EXPECT_EQ(back->subject, want.subject);
  EXPECT_EQ(back->type, want.type);
  EXPECT_EQ(back->source, want.source);
  EXPECT_EQ(back->time, want.time);
  EXPECT_EQ(back->dataschema, want.dataschema);
  EXPECT_EQ(back->data, want.data);
  natsMsg_Destroy(*msg);
}

TEST_F(NatsEventHeadersTest, NoExpectationNoHeaderAndBadInput) {
  auto msg = NewEventMsg(FullEvent(), std::nullopt);
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(Header(*msg, "Nats-Expected-Last-Subject-Sequence"), "<missing>");
  natsMsg_Destroy(*msg);
  Event no_id = FullEvent();
  no_id.id.clear();
  EXPECT_EQ(NewEventMsg(no_id, std::nullopt).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(NatsEventHeadersTest, ReadingNeedsCeIdAndAValidTime) {
  natsMsg* bare = nullptr;
  ASSERT_EQ(natsMsg_Create(&bare, "t.x", nullptr, "x", 1), NATS_OK);
  EXPECT_EQ(EventFromMsg(bare).status().code(), StatusCode::kInvalidArgument);
  ASSERT_EQ(natsMsgHeader_Set(bare, "ce-id", "abc"), NATS_OK);
  auto ok = EventFromMsg(bare);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->time, absl::UnixEpoch());  // absent attributes stay default
  ASSERT_EQ(natsMsgHeader_Set(bare, "ce-time", "yesterday"), NATS_OK);
  EXPECT_EQ(EventFromMsg(bare).status().code(), StatusCode::kInvalidArgument);
  natsMsg_Destroy(bare);
}

TEST(RetryDelayTest, DoublesUpToCapsAndAckWait) {
  EXPECT_EQ(RetryDelay(1, absl::Seconds(30)), absl::Milliseconds(100));
  EXPECT_EQ(RetryDelay(2, absl::Seconds(30)), absl::Milliseconds(200));
  EXPECT_EQ(RetryDelay(4, absl::Seconds(30)), absl::Milliseconds(800));
  EXPECT_EQ(RetryDelay(50, absl::Seconds(30)), absl::Seconds(10));
  EXPECT_EQ(RetryDelay(50, absl::Seconds(3)), absl::Seconds(3));
}

TEST(ValidateKvKeyTest, MatchesJetStreamRules) {
  for (const char* ok : {"a", "posts/p1", "A-z_0=9/x.y", "a.b.c"}) {
    EXPECT_TRUE(ValidateKvKey(ok).ok()) << ok;
  }
  for (const char* bad : {"", ".a", "a.", "a..b", "a b", "a*", "a>", "a\nb"}) {
    EXPECT_EQ(ValidateKvKey(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace carecast::common
