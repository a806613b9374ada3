#include "services/publisher/send_timer.h"

#include <algorithm>
#include <vector>

namespace carecast::publisher {

SendTimer::SendTimer(const common::Clock& clock) : clock_(clock) {}

SendTimer::~SendTimer() { Stop(); }

void SendTimer::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void SendTimer::At(absl::Time due, std::function<void()> fire, std::function<void()> cancel) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      const bool earliest = entries_.empty() || due < entries_.begin()->first.first;
      entries_.emplace(std::make_pair(due, sequence_++), Entry{std::move(fire), std::move(cancel)});
      if (earliest) cv_.notify_all();
      return;
    }
  }
  cancel();
}

size_t SendTimer::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void SendTimer::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (entries_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto first = entries_.begin();
    const absl::Duration wait = first->first.first - clock_.Now();
    if (wait > absl::ZeroDuration()) {
      // Woken early by an earlier entry or Stop; a test's clock that stands
      // still is looked at again every few milliseconds.
      cv_.wait_for(lock, absl::ToChronoNanoseconds(std::min(wait, absl::Milliseconds(50))));
      continue;
    }
    std::function<void()> fire = std::move(first->second.fire);
    entries_.erase(first);
    lock.unlock();
    fire();
    lock.lock();
  }
}

void SendTimer::Stop() {
  std::vector<Entry> left;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [key, entry] : entries_) left.push_back(std::move(entry));
    entries_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (Entry& entry : left) entry.cancel();
}

}  // namespace carecast::publisher
