#include "tests/support/fake_event_bus.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"

#include "services/common/bus/subjects.h"

namespace carecast::testing {

class FakeEventBus::FakeSubscription final : public common::Subscription {
 public:
  FakeSubscription(FakeEventBus& bus, std::shared_ptr<Consumer> consumer,
                   common::EventHandler handler)
      : bus_(bus), consumer_(std::move(consumer)), handler_(std::move(handler)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~FakeSubscription() override {
    {
      std::lock_guard lock(bus_.mu_);
      stop_ = true;
    }
    bus_.cv_.notify_all();
    thread_.join();
  }
  int64_t Pending() const override {
    std::lock_guard lock(bus_.mu_);
    auto it = bus_.streams_.find(consumer_->spec.stream);
    if (it == bus_.streams_.end()) return 0;
    int64_t waiting = 0;
    for (const auto& e : it->second.events)
      if (e.stream_sequence >= consumer_->next_sequence &&
          common::SubjectMatches(consumer_->spec.filter_subject, e.subject))
        ++waiting;
    return waiting + static_cast<int64_t>(consumer_->redeliver.size()) + consumer_->in_flight;
  }

 private:
  void Run() {
    std::unique_lock lock(bus_.mu_);
    while (!stop_) {
      std::optional<common::Event> next = bus_.NextFor(*consumer_);
      if (!next) {
        bus_.cv_.wait_for(lock, std::chrono::milliseconds(20));
        continue;
      }
      ++consumer_->in_flight;
      lock.unlock();
      common::Disposition d = handler_(*next);
      lock.lock();
      --consumer_->in_flight;
      bus_.Settle(*consumer_, *next, d);
      bus_.cv_.notify_all();
    }
  }

  FakeEventBus& bus_;
  std::shared_ptr<Consumer> consumer_;
  common::EventHandler handler_;
  bool stop_ = false;  // guarded by bus_.mu_
  std::thread thread_;
};

FakeEventBus::~FakeEventBus() = default;

absl::Status FakeEventBus::EnsureStream(const common::StreamSpec& spec) {
  if (spec.name.empty() || spec.subjects.empty())
    return absl::InvalidArgumentError("stream needs a name and subjects");
  std::lock_guard lock(mu_);
  streams_[spec.name].spec = spec;
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> FakeEventBus::StreamCreated(const std::string& stream) {
  std::lock_guard lock(mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end()) return absl::NotFoundError(absl::StrCat("no stream ", stream));
  return it->second.created;
}

void FakeEventBus::RecreateStream(const std::string& stream, absl::Time created) {
  std::lock_guard lock(mu_);
  Stream& s = streams_[stream];
  s.events.clear();
  s.ids.clear();
  s.created = created;
}

FakeEventBus::Stream* FakeEventBus::FindStreamFor(const std::string& subject) {
  for (auto& [name, stream] : streams_)
    for (const auto& filter : stream.spec.subjects)
      if (common::SubjectMatches(filter, subject)) return &stream;
  return nullptr;
}

absl::StatusOr<common::PublishAck> FakeEventBus::Publish(const common::Event& event,
                                                         const common::PublishOptions& options) {
  std::lock_guard lock(mu_);
  if (fail_count_ > 0) {
    --fail_count_;
    return fail_status_;
  }
  if (event.id.empty()) return absl::InvalidArgumentError("event id is empty");
  Stream* stream = FindStreamFor(event.subject);
  if (stream == nullptr)
    return absl::UnavailableError(absl::StrCat("no stream listens on ", event.subject));
  if (stream->ids.contains(event.id)) {
    for (const auto& e : stream->events)
      if (e.id == event.id) return common::PublishAck{e.stream_sequence, true};
  }
  if (options.expected_last_subject_sequence) {
    uint64_t last = 0;
    for (const auto& e : stream->events)
      if (e.subject == event.subject) last = e.stream_sequence;
    if (last != *options.expected_last_subject_sequence)
      return absl::AbortedError(absl::StrCat("wrong last sequence: ", last));
  }
  common::Event stored = event;
  stored.stream_sequence = stream->events.size() + 1;
  stored.delivery_count = 0;
  stream->events.push_back(stored);
  stream->ids.insert(event.id);
  ++total_published_;
  cv_.notify_all();
  return common::PublishAck{stored.stream_sequence, false};
}

absl::StatusOr<common::Event> FakeEventBus::GetLastForSubject(const std::string& stream,
                                                              const std::string& subject) {
  std::lock_guard lock(mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end()) return absl::NotFoundError(absl::StrCat("no stream ", stream));
  for (auto e = it->second.events.rbegin(); e != it->second.events.rend(); ++e)
    if (e->subject == subject) return *e;
  return absl::NotFoundError(absl::StrCat("no message on ", subject));
}

absl::StatusOr<std::vector<common::Event>> FakeEventBus::Read(const std::string& stream,
                                                              const std::string& subject_filter,
                                                              uint64_t start_sequence,
                                                              size_t limit) {
  std::lock_guard lock(mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end()) return absl::NotFoundError(absl::StrCat("no stream ", stream));
  std::vector<common::Event> out;
  for (const auto& e : it->second.events) {
    if (out.size() >= limit) break;
    if (e.stream_sequence >= start_sequence && common::SubjectMatches(subject_filter, e.subject))
      out.push_back(e);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<common::Subscription>> FakeEventBus::Subscribe(
    const common::ConsumerSpec& spec, common::EventHandler handler) {
  // JetStream needs a filter (one subject, as on nats-server 2.9).
  if (spec.filter_subject.empty()) return absl::InvalidArgumentError("consumer needs a filter");
  std::shared_ptr<Consumer> consumer;
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(spec.stream);
    if (it == streams_.end()) return absl::NotFoundError(absl::StrCat("no stream ", spec.stream));
    std::string key = spec.durable.empty()
                          ? absl::StrCat(spec.stream, "/~ephemeral", ++ephemeral_count_)
                          : absl::StrCat(spec.stream, "/", spec.durable);
    auto& slot = consumers_[key];
    if (!slot) {
      slot = std::make_shared<Consumer>();
      slot->spec = spec;
      if (!spec.deliver_all) slot->next_sequence = it->second.events.size() + 1;
    }
    consumer = slot;
  }
  return std::unique_ptr<common::Subscription>(
      new FakeSubscription(*this, std::move(consumer), std::move(handler)));
}

std::optional<common::Event> FakeEventBus::NextFor(Consumer& consumer) {
  auto it = streams_.find(consumer.spec.stream);
  if (it == streams_.end()) return std::nullopt;
  auto& events = it->second.events;
  if (!consumer.redeliver.empty()) {
    auto [seq, deliveries] = consumer.redeliver.front();
    consumer.redeliver.pop_front();
    common::Event e = events[seq - 1];
    e.delivery_count = deliveries + 1;
    return e;
  }
  while (consumer.next_sequence <= events.size()) {
    const common::Event& e = events[consumer.next_sequence - 1];
    ++consumer.next_sequence;
    if (common::SubjectMatches(consumer.spec.filter_subject, e.subject)) {
      common::Event copy = e;
      copy.delivery_count = 1;
      return copy;
    }
  }
  return std::nullopt;
}

void FakeEventBus::Settle(Consumer& consumer, const common::Event& event, common::Disposition d) {
  switch (d) {
    case common::Disposition::kAck:
    case common::Disposition::kReject:
      return;
    case common::Disposition::kRetry:
      if (consumer.spec.max_deliver <= 0 ||
          static_cast<int>(event.delivery_count) < consumer.spec.max_deliver)
        consumer.redeliver.emplace_back(event.stream_sequence, event.delivery_count);
      return;
  }
}

std::vector<common::Event> FakeEventBus::Published(const std::string& filter) {
  std::lock_guard lock(mu_);
  std::vector<common::Event> out;
  for (const auto& [name, stream] : streams_)
    for (const auto& e : stream.events)
      if (common::SubjectMatches(filter, e.subject)) out.push_back(e);
  return out;
}

void FakeEventBus::FailNextPublishes(int count, absl::Status status) {
  std::lock_guard lock(mu_);
  fail_count_ = count;
  fail_status_ = std::move(status);
}

bool FakeEventBus::Drained() {
  for (const auto& [key, consumer] : consumers_) {
    if (consumer->in_flight > 0 || !consumer->redeliver.empty()) return false;
    auto it = streams_.find(consumer->spec.stream);
    if (it == streams_.end()) continue;
    for (const auto& e : it->second.events)
      if (e.stream_sequence >= consumer->next_sequence &&
          common::SubjectMatches(consumer->spec.filter_subject, e.subject))
        return false;
  }
  return true;
}

bool FakeEventBus::WaitUntilDrained(absl::Duration timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return Drained(); });
}

}  // namespace carecast::testing
