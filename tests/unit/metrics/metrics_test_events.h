// Builders of the events the metrics service consumes, for its unit tests.
#pragma once

#include <string>

#include "absl/time/time.h"

#include "carecast/v1/events.pb.h"

#include "services/common/bus/event.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/metrics/figure_labels.h"

namespace carecast::metrics::test_events {

inline absl::Time T0() { return absl::FromUnixSeconds(1'800'000'000); }

inline v1::PostPublished Published(const std::string& post, const std::string& account,
                                   v1::Network network, absl::Time when) {
  v1::PostPublished m;
  m.mutable_post()->set_name(post);
  m.mutable_post()->set_account(account);
  m.mutable_post()->set_network(network);
  m.mutable_post()->set_state(v1::POST_STATE_PUBLISHED);
  *m.mutable_post()->mutable_published_time() = ToProto(when);
  m.set_publisher_id("publisher-1");
  return m;
}

inline v1::PostFailed Failed(const std::string& post, v1::Network network, v1::PostState state) {
  v1::PostFailed m;
  m.mutable_post()->set_name(post);
  m.mutable_post()->set_network(network);
  m.mutable_post()->set_state(state);
  m.set_reason("channel refused");
  return m;
}

inline v1::MentionClassified Mention(const std::string& name, v1::Network network,
                                     v1::Sentiment sentiment, absl::Time received) {
  v1::MentionClassified m;
  m.mutable_mention()->set_name(name);
  m.mutable_mention()->set_network(network);
  m.mutable_mention()->set_text("Patient text that must never reach a label");
  m.mutable_mention()->set_author_handle("@someone");
  m.mutable_mention()->mutable_classification()->set_sentiment(sentiment);
  *m.mutable_mention()->mutable_receive_time() = ToProto(received);
  return m;
}

inline v1::InboxItemChanged Inbox(const std::string& name, v1::InboxItemState state,
                                  absl::Time created, absl::Time closed = absl::UnixEpoch()) {
  v1::InboxItemChanged m;
  m.mutable_inbox_item()->set_name(name);
  m.mutable_inbox_item()->set_state(state);
  m.mutable_inbox_item()->set_network(v1::NETWORK_X);
  *m.mutable_inbox_item()->mutable_create_time() = ToProto(created);
  if (closed != absl::UnixEpoch()) *m.mutable_inbox_item()->mutable_close_time() = ToProto(closed);
  return m;
}

inline v1::ObjectiveCreated Objective(const std::string& name, v1::Kpi kpi, double target,
                                      absl::Time start, absl::Time end,
                                      const std::string& spoke = "",
                                      v1::Network network = v1::NETWORK_UNSPECIFIED) {
  v1::ObjectiveCreated m;
  m.mutable_objective()->set_name(name);
  m.mutable_objective()->set_kpi(kpi);
  m.mutable_objective()->set_target(target);
  *m.mutable_objective()->mutable_start_time() = ToProto(start);
  *m.mutable_objective()->mutable_end_time() = ToProto(end);
  m.mutable_objective()->set_spoke(spoke);
  m.mutable_objective()->set_network(network);
  return m;
}

// An envelope as the bus would carry it.
inline common::Event Envelope(std::string_view subject, const google::protobuf::Message& payload,
                              const std::string& id, absl::Time time = T0()) {
  return common::MakeEvent(subject, payload, "/carecast/test", time, id);
}

}  // namespace carecast::metrics::test_events
