#include "services/common/bus/nats_connection.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "services/common/bus/nats_core.h"
#include "services/common/bus/nats_event_headers.h"
#include "services/common/bus/nats_key_value_store.h"
#include "services/common/bus/nats_status.h"
#include "services/common/bus/nats_subscription.h"

namespace carecast::common {
namespace {

// Read() pulls at most this many events per round trip.
constexpr int kReadBatch = 256;
constexpr absl::Duration kEphemeralReadThreshold = absl::Seconds(30);
constexpr absl::Duration kCloseWait = absl::Seconds(2);

// State the nats.c callbacks see. It outlives the connection's last callback:
// the closed callback is the last one, and the destructor waits for it.
struct ConnectionEvents {
  Logger* logger = nullptr;
  BusObserver* observer = nullptr;  // may be null
  std::string name;
  std::mutex mu;
  std::condition_variable cv;
  bool closed = false;  // guarded by mu
};

void OnDisconnected(natsConnection*, void* closure) {
  auto* events = static_cast<ConnectionEvents*>(closure);
  events->logger->Warn("nats: disconnected, reconnecting", {{"connection", events->name}});
  if (events->observer != nullptr) events->observer->ConnectionChanged(false);
}

void OnReconnected(natsConnection* nc, void* closure) {
  auto* events = static_cast<ConnectionEvents*>(closure);
  char url[256] = {0};
  natsConnection_GetConnectedUrl(nc, url, sizeof(url));
  events->logger->Info("nats: reconnected",
                       {{"connection", events->name}, {"url", std::string(url)}});
  if (events->observer != nullptr) {
    events->observer->Reconnected();
    events->observer->ConnectionChanged(true);
  }
}

void OnClosed(natsConnection*, void* closure) {
  auto* events = static_cast<ConnectionEvents*>(closure);
  events->logger->Info("nats: connection closed", {{"connection", events->name}});
  if (events->observer != nullptr) events->observer->ConnectionChanged(false);
  std::lock_guard lock(events->mu);
  events->closed = true;
  events->cv.notify_all();
}

void OnAsyncError(natsConnection*, natsSubscription*, natsStatus err, void* closure) {
  auto* events = static_cast<ConnectionEvents*>(closure);
  events->logger->Warn(
      "nats: asynchronous error",
      {{"connection", events->name}, {"error", std::string(natsStatus_GetText(err))}});
}

class NatsConnectionImpl final : public NatsConnection {
 public:
  NatsConnectionImpl(std::shared_ptr<NatsCore> core, std::unique_ptr<ConnectionEvents> events)
      : core_(std::move(core)), events_(std::move(events)) {}

  ~NatsConnectionImpl() override {
    StopLagPoller();
    core_->StopAll();
    natsConnection_Close(core_->nc);
    std::unique_lock lock(events_->mu);
    events_->cv.wait_for(lock, absl::ToChronoNanoseconds(kCloseWait),
                         [this] { return events_->closed; });
  }

  bool Connected() const { return core_->Connected(); }

  // With an observer, reads every consumer's lag each `interval` on a thread of
  // its own, so a slow server delays the figures, never a delivery.
  void StartLagPoller(absl::Duration interval) {
    if (core_->observer == nullptr || interval <= absl::ZeroDuration()) return;
    lag_thread_ = std::thread([this, interval] {
      std::unique_lock lock(lag_mu_);
      while (!lag_stop_) {
        lock.unlock();
        if (core_->Connected()) core_->ReportLagOfAll();
        lock.lock();
        lag_cv_.wait_for(lock, absl::ToChronoNanoseconds(interval), [this] { return lag_stop_; });
      }
    });
  }

  absl::StatusOr<absl::Time> StreamCreated(const std::string& stream) override {
    if (!core_->Connected()) return absl::UnavailableError("not connected to NATS");
    jsOptions jo = core_->CallOptions();
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&si, core_->js, stream.c_str(), &jo, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
      jsStreamInfo_Destroy(si);
      return absl::NotFoundError(absl::StrCat("no stream ", stream));
    }
    if (s != NATS_OK) return LastNatsError(s, jerr, absl::StrCat("reading stream ", stream));
    const absl::Time created = absl::FromUnixNanos(si->Created);
    jsStreamInfo_Destroy(si);
    return created;
  }

  absl::Status EnsureStream(const StreamSpec& spec) override {
    if (spec.name.empty() || spec.subjects.empty()) {
      return absl::InvalidArgumentError("stream needs a name and subjects");
    }
    if (!core_->Connected()) return absl::UnavailableError("not connected to NATS");
    std::vector<const char*> subjects;
    for (const auto& s : spec.subjects) subjects.push_back(s.c_str());
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = spec.name.c_str();
    cfg.Subjects = subjects.data();
    cfg.SubjectsLen = static_cast<int>(subjects.size());
    cfg.MaxAge = absl::ToInt64Nanoseconds(spec.max_age);
    cfg.Duplicates = absl::ToInt64Nanoseconds(spec.duplicate_window);
    cfg.DenyDelete = spec.deny_delete;
    cfg.DenyPurge = spec.deny_purge;
    cfg.Replicas = std::max(1, spec.replicas);
    cfg.Storage = spec.memory_storage ? js_MemoryStorage : js_FileStorage;
    jsOptions jo = core_->CallOptions();
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_AddStream(&si, core_->js, &cfg, &jo, &jerr);
    jsStreamInfo_Destroy(si);
    if (s == NATS_OK) return absl::OkStatus();
    if (jerr != JSStreamNameExistErr) {
      return LastNatsError(s, jerr, absl::StrCat("creating stream ", spec.name));
    }
    // It exists with another configuration: bring it to this one.
    si = nullptr;
    jerr = static_cast<jsErrCode>(0);
    s = js_UpdateStream(&si, core_->js, &cfg, &jo, &jerr);
    jsStreamInfo_Destroy(si);
    if (s != NATS_OK) return LastNatsError(s, jerr, absl::StrCat("updating stream ", spec.name));
    core_->logger.Info("bus: stream configuration updated", {{"stream", spec.name}});
    return absl::OkStatus();
  }

  absl::StatusOr<PublishAck> Publish(const Event& event, const PublishOptions& options) override {
    // Fail now rather than queue the publish for a reconnect that may not come
    // within the caller's deadline; callers retry with the same id.
    if (!core_->Connected()) return absl::UnavailableError("not connected to NATS");
    absl::StatusOr<natsMsg*> msg = NewEventMsg(event, options.expected_last_subject_sequence);
    if (!msg.ok()) return msg.status();
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = core_->TimeoutMillis();
    jsPubAck* pa = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_PublishMsg(&pa, core_->js, *msg, &po, &jerr);
    natsMsg_Destroy(*msg);
    if (s != NATS_OK) return LastNatsError(s, jerr, absl::StrCat("publishing to ", event.subject));
    PublishAck ack{pa->Sequence, pa->Duplicate};
    jsPubAck_Destroy(pa);
    return ack;
  }

  absl::StatusOr<Event> GetLastForSubject(const std::string& stream,
                                          const std::string& subject) override {
    if (!core_->Connected()) return absl::UnavailableError("not connected to NATS");
    jsOptions jo = core_->CallOptions();
    natsMsg* msg = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetLastMsg(&msg, core_->js, stream.c_str(), subject.c_str(), &jo, &jerr);
    if (s != NATS_OK) {
      return LastNatsError(s, jerr, absl::StrCat("reading last of ", subject, " in ", stream));
    }
    absl::StatusOr<Event> event = EventFromMsg(msg);
    if (event.ok()) event->stream_sequence = natsMsg_GetSequence(msg);
    natsMsg_Destroy(msg);
    if (!event.ok()) {
      return absl::InternalError(
          absl::StrCat("malformed event on ", subject, ": ", event.status().message()));
    }
    return event;
  }

  absl::StatusOr<std::vector<Event>> Read(const std::string& stream,
                                          const std::string& subject_filter,
                                          uint64_t start_sequence, size_t limit) override;

  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const ConsumerSpec& spec,
                                                          EventHandler handler) override {
    return StartNatsSubscription(core_, spec, std::move(handler));
  }

  absl::StatusOr<std::unique_ptr<KeyValueStore>> OpenBucket(const BucketSpec& spec) override {
    return OpenNatsBucket(core_, spec);
  }

 private:
  void StopLagPoller() {
    {
      std::lock_guard lock(lag_mu_);
      lag_stop_ = true;
    }
    lag_cv_.notify_all();
    if (lag_thread_.joinable()) lag_thread_.join();
  }

  const std::shared_ptr<NatsCore> core_;
  const std::unique_ptr<ConnectionEvents> events_;
  std::mutex lag_mu_;
  std::condition_variable lag_cv_;
  bool lag_stop_ = false;  // guarded by lag_mu_
  std::thread lag_thread_;
};

// A short-lived ephemeral consumer starting at `start_sequence`: the server does
// the filtering and hands back many events per round trip.
absl::StatusOr<std::vector<Event>> NatsConnectionImpl::Read(const std::string& stream,
                                                            const std::string& subject_filter,
                                                            uint64_t start_sequence, size_t limit) {
  std::vector<Event> out;
  if (limit == 0) return out;
  if (subject_filter.empty()) return absl::InvalidArgumentError("subject filter is empty");
  if (!core_->Connected()) return absl::UnavailableError("not connected to NATS");
  jsOptions jo = core_->CallOptions();
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Config.DeliverPolicy = js_DeliverByStartSequence;
  so.Config.OptStartSeq = std::max<uint64_t>(1, start_sequence);
  so.Config.AckPolicy = js_AckNone;
  so.Config.InactiveThreshold = absl::ToInt64Nanoseconds(kEphemeralReadThreshold);
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s =
      js_PullSubscribe(&sub, core_->js, subject_filter.c_str(), nullptr, &jo, &so, &jerr);
  if (s != NATS_OK) return LastNatsError(s, jerr, absl::StrCat("reading ", stream));

  absl::Status status = absl::OkStatus();
  jsConsumerInfo* ci = nullptr;
  jerr = static_cast<jsErrCode>(0);
  s = natsSubscription_GetConsumerInfo(&ci, sub, &jo, &jerr);
  uint64_t remaining = 0;
  if (s == NATS_OK) {
    remaining = ci->NumPending;
    jsConsumerInfo_Destroy(ci);
  } else {
    status = LastNatsError(s, jerr, absl::StrCat("reading ", stream));
  }
  while (status.ok() && remaining > 0 && out.size() < limit) {
    const int batch = static_cast<int>(
        std::min<uint64_t>({static_cast<uint64_t>(kReadBatch), remaining, limit - out.size()}));
    natsMsgList list{};
    jerr = static_cast<jsErrCode>(0);
    s = natsSubscription_Fetch(&list, sub, batch, core_->TimeoutMillis(), &jerr);
    if (s != NATS_OK) {
      status = LastNatsError(s, jerr, absl::StrCat("reading ", stream));
      break;
    }
    for (int i = 0; i < list.Count; ++i) {
      jsMsgMetaData* meta = nullptr;
      if (natsMsg_GetMetaData(&meta, list.Msgs[i]) != NATS_OK) continue;
      remaining = meta->NumPending;
      const uint64_t sequence = meta->Sequence.Stream;
      jsMsgMetaData_Destroy(meta);
      absl::StatusOr<Event> event = EventFromMsg(list.Msgs[i]);
      if (!event.ok()) {
        core_->logger.Warn("bus: malformed event skipped by read",
                           {{"stream", stream},
                            {"sequence", static_cast<int64_t>(sequence)},
                            {"error", std::string(event.status().message())}});
        continue;
      }
      event->stream_sequence = sequence;
      out.push_back(*std::move(event));
    }
    natsMsgList_Destroy(&list);
  }
  natsSubscription_Unsubscribe(sub);  // deletes the ephemeral consumer
  natsSubscription_Destroy(sub);
  if (!status.ok()) return status;
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NatsConnection>> NatsConnection::Connect(const NatsOptions& options,
                                                                        Logger& logger) {
  if (options.url.empty()) return absl::InvalidArgumentError("NATS url is empty");
  auto events = std::make_unique<ConnectionEvents>();
  events->logger = &logger;
  events->observer = options.observer;
  events->name = options.name.empty() ? "carecast" : options.name;

  // nats.c spins up to 2,000 times on a busy mutex before it sleeps; with many
  // threads requesting on one connection and few cores that spinning is most of
  // the client's CPU. Opening the library first with a spin count of 0 makes its
  // locks plain mutexes. (A library some other code opened first keeps its own.)
  static std::once_flag open_once;
  std::call_once(open_once, [] { (void)nats_Open(0); });

  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  // One URL, or a cluster's URLs separated by commas (each node is tried).
  std::vector<std::string> urls = absl::StrSplit(options.url, ',', absl::SkipWhitespace());
  for (std::string& url : urls) url = std::string(absl::StripAsciiWhitespace(url));
  std::vector<const char*> servers;
  servers.reserve(urls.size());
  for (const std::string& url : urls) servers.push_back(url.c_str());
  if (s == NATS_OK && servers.size() > 1) {
    s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  } else if (s == NATS_OK) {
    s = natsOptions_SetURL(opts, options.url.c_str());
  }
  if (s == NATS_OK) s = natsOptions_SetName(opts, events->name.c_str());
  if (s == NATS_OK) {
    s = natsOptions_SetTimeout(opts, absl::ToInt64Milliseconds(options.connect_timeout));
  }
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) {
    s = natsOptions_SetReconnectWait(opts, absl::ToInt64Milliseconds(options.reconnect_wait));
  }
  if (s == NATS_OK) {
    s = natsOptions_SetPingInterval(opts, absl::ToInt64Milliseconds(options.ping_interval));
  }
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(opts, options.max_pings_out);
  if (s == NATS_OK) s = natsOptions_SetSendAsap(opts, true);
  // In-flight requests fail at once on a disconnect instead of waiting out
  // their timeout; callers see UNAVAILABLE and retry.
  if (s == NATS_OK) s = natsOptions_SetFailRequestsOnDisconnect(opts, true);
  if (s == NATS_OK && !options.creds_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(opts, options.creds_file.c_str(), nullptr);
  }
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, OnDisconnected, events.get());
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, OnReconnected, events.get());
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, OnClosed, events.get());
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, OnAsyncError, events.get());
  if (s != NATS_OK) {
    absl::Status status = LastNatsError(s, 0, "configuring the NATS connection");
    natsOptions_Destroy(opts);
    return status.code() == absl::StatusCode::kUnavailable
               ? status
               : absl::InvalidArgumentError(status.message());
  }
  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    absl::Status status = LastNatsError(s, 0, "connecting to NATS");
    return absl::UnavailableError(status.message());
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = absl::ToInt64Milliseconds(options.request_timeout);
  jsCtx* js = nullptr;
  s = natsConnection_JetStream(&js, nc, &jo);
  absl::Status status = absl::OkStatus();
  if (s != NATS_OK) {
    status = LastNatsError(s, 0, "opening JetStream");
  } else {
    jsAccountInfo* ai = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    s = js_GetAccountInfo(&ai, js, &jo, &jerr);
    jsAccountInfo_Destroy(ai);
    if (s == NATS_NO_RESPONDERS || jerr == JSNotEnabledErr || jerr == JSNotEnabledForAccountErr) {
      status = absl::FailedPreconditionError("JetStream is not enabled on the NATS server");
    } else if (s != NATS_OK) {
      status = LastNatsError(s, jerr, "checking JetStream");
    }
  }
  auto core = std::make_shared<NatsCore>(nc, js, options.request_timeout, logger, options.observer);
  auto connection = std::make_unique<NatsConnectionImpl>(std::move(core), std::move(events));
  if (!status.ok()) return status;  // the destructor closes the connection
  logger.Info("nats: connected", {{"connection", options.name}});
  if (options.observer != nullptr) options.observer->ConnectionChanged(connection->Connected());
  connection->StartLagPoller(options.consumer_lag_interval);
  return std::unique_ptr<NatsConnection>(std::move(connection));
}

bool NatsConnection::IsConnected() const {
  // Connect() only ever returns a NatsConnectionImpl.
  return static_cast<const NatsConnectionImpl*>(this)->Connected();
}

}  // namespace carecast::common
