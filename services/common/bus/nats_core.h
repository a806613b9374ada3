// The handles every part of the NATS adapter shares: the connection and its
// JetStream context, kept alive by the NatsConnection, its subscriptions and its
// buckets until the last of them goes. Internal to the NATS adapter.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>

#include "absl/time/time.h"
#include <nats/nats.h>

#include "services/common/base/logger.h"
#include "services/common/bus/bus_observer.h"

namespace carecast::common {

// A delivery loop the connection can stop when it is destroyed first.
class NatsDeliveryLoop {
 public:
  virtual ~NatsDeliveryLoop() = default;
  // Idempotent; returns once the handler can no longer be called.
  virtual void StopDelivery() = 0;
  // Reads the consumer's lag from the server and tells the core's observer.
  virtual void ReportLag() = 0;
};

class NatsCore {
 public:
  NatsCore(natsConnection* connection, jsCtx* jetstream, absl::Duration timeout, Logger& log,
           BusObserver* bus_observer = nullptr)
      : nc(connection),
        js(jetstream),
        request_timeout(timeout),
        logger(log),
        observer(bus_observer) {}
  ~NatsCore() {
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }
  NatsCore(const NatsCore&) = delete;
  NatsCore& operator=(const NatsCore&) = delete;

  bool Connected() const { return natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED; }
  int64_t TimeoutMillis() const { return absl::ToInt64Milliseconds(request_timeout); }
  // JetStream call options with the configured request timeout.
  jsOptions CallOptions() const {
    jsOptions o;
    jsOptions_Init(&o);
    o.Wait = TimeoutMillis();
    return o;
  }

  // Subscriptions register so the connection can stop them if it goes first.
  // Returns false when the connection is already closed.
  bool Register(NatsDeliveryLoop* loop) {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    loops_.insert(loop);
    return true;
  }
  void Unregister(NatsDeliveryLoop* loop) {
    std::lock_guard lock(mu_);
    loops_.erase(loop);
  }
  // Stops every registered loop; later Register calls fail.
  void StopAll() {
    std::lock_guard lock(mu_);
    closed_ = true;
    for (NatsDeliveryLoop* loop : loops_) loop->StopDelivery();
    loops_.clear();
  }
  // Every registered loop reports its lag. Holds the registry lock throughout, so
  // a loop cannot be destroyed mid-report (its destructor unregisters first).
  void ReportLagOfAll() {
    std::lock_guard lock(mu_);
    for (NatsDeliveryLoop* loop : loops_) loop->ReportLag();
  }

  natsConnection* const nc;
  jsCtx* const js;
  const absl::Duration request_timeout;
  Logger& logger;
  BusObserver* const observer;  // may be null

 private:
  std::mutex mu_;
  std::set<NatsDeliveryLoop*> loops_;  // guarded by mu_
  bool closed_ = false;                // guarded by mu_
};

}  // namespace carecast::common
