// What the bus integration tests share: a bus under test that is either the
// in-memory fake or a NatsConnection on a fresh nats-server, so one contract
// test proves both behave alike.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "services/common/base/logger.h"
#include "services/common/bus/event.h"
#include "services/common/bus/nats_connection.h"
#include "tests/support/fake_event_bus.h"
#include "tests/support/in_memory_key_value_store.h"
#include "tests/support/local_servers.h"

namespace carecast::testing {

enum class BusImpl { kFake, kNats };

inline std::string BusImplName(const ::testing::TestParamInfo<BusImpl>& info) {
  return info.param == BusImpl::kFake ? "Fake" : "Nats";
}

// An event with every attribute set, including a binary body.
inline common::Event TestEvent(const std::string& subject, const std::string& id) {
  common::Event e;
  e.id = id;
  e.subject = subject;
  e.type = subject + ".v1";
  e.source = "/carecast/test";
  e.time = absl::FromUnixNanos(1700000000123456789);
  e.dataschema = "urn:carecast:proto:carecast.v1.Test";
  e.data = std::string("\0\x01\xff", 3) + "payload-" + id;
  return e;
}

inline common::StreamSpec TestStreamSpec() {
  common::StreamSpec spec;
  spec.name = "TEST";
  spec.subjects = {"t.>"};
  return spec;
}

// Starts a NatsConnection on a fresh server; skips the test when nats-server is
// not installed.
class NatsEnv {
 public:
  // Returns false (after a failure, or when skipped()) when the test cannot go on.
  bool Start(common::Logger& logger) {
    auto server = LocalNatsServer::Start();
    if (server.status().code() == absl::StatusCode::kNotFound) {
      skipped_ = true;
      return false;
    }
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return false;
    server_ = std::move(*server);
    auto conn = common::NatsConnection::Connect({.url = server_->url(),
                                                 .name = "carecast-test",
                                                 .request_timeout = absl::Seconds(3),
                                                 .reconnect_wait = absl::Milliseconds(50)},
                                                logger);
    EXPECT_TRUE(conn.ok()) << conn.status();
    if (!conn.ok()) return false;
    connection_ = std::move(*conn);
    return true;
  }
  bool skipped() const { return skipped_; }
  LocalNatsServer& server() { return *server_; }
  common::NatsConnection& connection() { return *connection_; }
  void Disconnect() { connection_.reset(); }

 private:
  bool skipped_ = false;
  std::unique_ptr<LocalNatsServer> server_;
  std::unique_ptr<common::NatsConnection> connection_;
};

}  // namespace carecast::testing
