// Holds claimed posts until their due time. The dispatch loop looks ahead (by
// the publisher's lookahead): a post due soon is read, checked and claimed
// before its time, then handed here, and at its due time `fire` runs on the
// timer's thread (it should only hand the send to a worker). So at the due
// instant only the last checks (the hold, the content's approval) and the
// channel call remain. Times are read on the injected clock; waits are real
// time. Start() once; Stop() ends the thread and runs `cancel` for every entry
// not yet fired, on the caller's thread. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/time/time.h"

#include "services/common/base/clock.h"

namespace carecast::publisher {

class SendTimer {
 public:
  explicit SendTimer(const common::Clock& clock);
  ~SendTimer();
  SendTimer(const SendTimer&) = delete;
  SendTimer& operator=(const SendTimer&) = delete;

  void Start();
  // Runs `fire` at `due` (at once, on the timer thread, when already due). After
  // Stop(), runs `cancel` on the calling thread instead.
  void At(absl::Time due, std::function<void()> fire, std::function<void()> cancel);
  // Entries waiting.
  size_t size() const;
  void Stop();

 private:
  struct Entry {
    std::function<void()> fire;
    std::function<void()> cancel;
  };
  void Run();

  const common::Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // Ordered by due time, then by arrival (a sequence number keeps equal times apart).
  std::map<std::pair<absl::Time, uint64_t>, Entry> entries_;  // guarded by mu_
  uint64_t sequence_ = 0;                                     // guarded by mu_
  bool stopping_ = false;                                     // guarded by mu_
  std::thread thread_;
};

}  // namespace carecast::publisher
