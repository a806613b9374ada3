// Listener ingest bench (issue 12): mentions sent open loop at a fixed rate through gRPC
// ListenerService.CreateMention into the real carecast-listener process, timed from each
// mention's scheduled send time to its carecast.mention.classified event arriving on a
// NATS subscription. The anchor, in the same run and with the same open-loop harness, is
// a JetStream publish with ack (and delivery) of a message of the same size.
// See bench/listener/README.md.

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>
#include <nats/nats.h>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/listener_service.grpc.pb.h"

#include "bench/common/bench_stats.h"
#include "bench/common/cpu_usage.h"
#include "tests/support/child_process.h"
#include "tests/support/grpc_probe.h"
#include "tests/support/local_servers.h"
#include "tests/support/test_tokens.h"

namespace carecast::bench {
namespace {

namespace v1 = carecast::v1;
using testing::ChildProcess;
using testing::LocalNatsServer;
using testing::LocalRedisServer;
using testing::TestTokens;

constexpr std::string_view kClassifiedSubject = "carecast.mention.classified";
constexpr std::string_view kAnchorStream = "BENCH_ANCHOR";
constexpr std::string_view kAnchorSubject = "bench.anchor";
constexpr double kGoalP99Ms = 10.0;
constexpr double kGoalRate = 5000.0;

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void SleepUntilNs(int64_t deadline_ns) {
  timespec ts{};
  ts.tv_sec = deadline_ns / 1'000'000'000;
  ts.tv_nsec = deadline_ns % 1'000'000'000;
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

struct Flags {
  double rate = 5000;    // mentions (and anchor publishes) a second
  double seconds = 20;   // measured duration of each phase
  double warmup = 3;     // seconds sent first and not measured, in each phase
  double drain = 10;     // seconds to wait for the last events once nothing new arrives
  std::string listener;  // carecast-listener binary; default: next to this build's tree
  bool anchor = true;    // --no-anchor skips the anchor phase
};

bool ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto number = [&](double& out) {
      if (i + 1 >= argc) return false;
      out = std::strtod(argv[++i], nullptr);
      return out > 0;
    };
    bool ok = true;
    if (arg == "--rate") {
      ok = number(flags.rate);
    } else if (arg == "--seconds") {
      ok = number(flags.seconds);
    } else if (arg == "--warmup") {
      ok = number(flags.warmup);
    } else if (arg == "--drain") {
      ok = number(flags.drain);
    } else if (arg == "--listener" && i + 1 < argc) {
      flags.listener = argv[++i];
    } else if (arg == "--no-anchor") {
      flags.anchor = false;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr,
                   "usage: %s [--rate 5000] [--seconds 20] [--warmup 3] [--drain 10] "
                   "[--listener PATH] [--no-anchor]\n",
                   argv[0]);
      return false;
    }
  }
  return true;
}

std::string DefaultListenerBinary() {
  if (const char* dir = std::getenv("CARECAST_BINARY_DIR"); dir != nullptr) {
    return absl::StrCat(dir, "/services/listener/carecast-listener");
  }
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  // build/ci/bench/listener/listener_ingest_bench -> build/ci/services/listener/...
  return (self.parent_path().parent_path().parent_path() / "services/listener/carecast-listener")
      .string();
}

// ---- machine figures ----

// utime + stime of `pid` in seconds, or 0 when it cannot be read.
double ProcessCpuSeconds(pid_t pid) {
  if (pid <= 0) return 0;
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(stat, line);
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(line.substr(paren + 2));
  std::string field;
  uint64_t utime = 0;
  uint64_t stime = 0;
  // Fields after the command start at 3 (state); utime is 14, stime 15.
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (index == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The pid of a running `binary_name` whose command line holds `needle` (its port), or 0.
pid_t FindProcess(std::string_view binary_name, const std::string& needle) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream file(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(binary_name) != std::string::npos &&
        cmdline.find(needle) != std::string::npos) {
      return static_cast<pid_t>(std::strtol(name.c_str(), nullptr, 10));
    }
  }
  return 0;
}

double CpuSecondsOfSelf() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string LoadAverage() {
  std::ifstream file("/proc/loadavg");
  std::string one, five, fifteen;
  file >> one >> five >> fifteen;
  return absl::StrCat(one, " ", five, " ", fifteen);
}

// ---- latency figures ----

struct Summary {
  size_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0;  // milliseconds
};

// Percentiles as every bench reports them (bench/common/bench_stats.h), plus p90.
Summary Summarize(const std::vector<int64_t>& latencies_ns) {
  Summary summary;
  summary.count = latencies_ns.size();
  if (latencies_ns.empty()) return summary;
  std::vector<double> ms;
  ms.reserve(latencies_ns.size());
  for (const int64_t ns : latencies_ns) ms.push_back(static_cast<double>(ns) / 1e6);
  std::sort(ms.begin(), ms.end());
  summary.p50 = PercentileOfSorted(ms, 0.50);
  summary.p90 = PercentileOfSorted(ms, 0.90);
  summary.p99 = PercentileOfSorted(ms, 0.99);
  summary.max = ms.back();
  return summary;
}

std::string Format(const Summary& s) {
  if (s.count == 0) return "-";
  return absl::StrFormat("%.2f / %.2f / %.2f / %.2f ms", s.p50, s.p90, s.p99, s.max);
}

// ---- the open-loop generator ----

// Calls send(i) for i in [0, count) at start_ns + i / rate. A send that is late goes
// out at once; its latency is still counted from its scheduled time, so a stall in
// the sender or the system under test shows up in the figures (no coordinated omission).
// Returns the largest lateness of a send, in nanoseconds.
int64_t RunOpenLoop(double rate, size_t count, int64_t start_ns,
                    const std::function<void(size_t)>& send) {
  const double interval_ns = 1e9 / rate;
  int64_t worst_lateness = 0;
  for (size_t i = 0; i < count; ++i) {
    const int64_t scheduled = start_ns + static_cast<int64_t>(static_cast<double>(i) * interval_ns);
    const int64_t now = NowNs();
    if (now < scheduled) {
      SleepUntilNs(scheduled);
    } else {
      worst_lateness = std::max(worst_lateness, now - scheduled);
    }
    send(i);
  }
  return worst_lateness;
}

// Prints a progress line to stderr every two seconds while running.
class Progress {
 public:
  explicit Progress(std::function<std::string()> line)
      : line_(std::move(line)), thread_([this] { Run(); }) {}
  ~Progress() {
    stop_.store(true);
    thread_.join();
  }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

 private:
  void Run() {
    int64_t next = NowNs() + 2'000'000'000;
    while (!stop_.load()) {
      SleepUntilNs(std::min(next, NowNs() + 100'000'000));
      if (NowNs() >= next) {
        std::fprintf(stderr, "%s\n", line_().c_str());
        next += 2'000'000'000;
      }
    }
  }
  std::function<std::string()> line_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// One sent item: when it was answered (gRPC response or JetStream ack) and when its
// event arrived. Written by client library threads, read after the phase.
struct Slot {
  std::atomic<int64_t> answered_ns{0};
  std::atomic<int64_t> event_ns{0};
  std::atomic<int32_t> events{0};
  std::atomic<int32_t> error{0};  // gRPC code, or 1 for a JetStream publish error
};

// Parses "<prefix><index>" into index; false when `text` is not one of ours.
bool ParseIndex(std::string_view text, std::string_view prefix, size_t& index) {
  if (text.substr(0, prefix.size()) != prefix) return false;
  text.remove_prefix(prefix.size());
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
  return ec == std::errc() && end == text.data() + text.size();
}

// ---- realistic mentions ----

// Templates from what a health system's accounts are sent: complaints, questions,
// praise, some with PHI-like numbers (MRN, phone, date of birth), some urgent.
// {n}, {mrn}, {phone}, {dob} and {min} are filled per mention.
constexpr std::array<const char*, 32> kTemplates = {
    "Waited {min} minutes in the St Marys emergency room and nobody told us anything. "
    "Unacceptable.",
    "Does St Marys have flu shot clinics this weekend? Need one for my kids.",
    "Huge thanks to the nurses on ward {n} at St Marys, they were incredible with my dad.",
    "My appointment got cancelled again, third time this month. Who do I even call?",
    "my MRN is {mrn} can someone tell me why my lab results are not in the portal yet",
    "Call me back at {phone}, I have been on hold for {min} minutes about my bill",
    "What are visiting hours at the Northside campus? Is parking still free?",
    "The new maternity wing is beautiful, our daughter was born there on Tuesday! #grateful",
    "chest pain and shortness of breath since this morning, should I come to the ER or wait?",
    "Parking garage elevator is broken AGAIN. Hard for patients with walkers.",
    "Dr. Patel in cardiology is the best doctor I have ever had. Listens and explains.",
    "Is the flu shot covered if I don't have insurance? Asking for my mom (DOB {dob}).",
    "Billing sent me to collections for a bill I already paid. Account {n}. Fix this.",
    "Love the free health fair at the library today, got my blood pressure checked!",
    "my friend is talking about ending it all, what number do we call right now",
    "Front desk staff at urgent care on {n}th street were rude and dismissive.",
    "Do you offer telehealth for follow-up visits after knee surgery?",
    "Shoutout to the cafeteria team, the soup kept me going during a long night shift.",
    "Got a text saying my prescription is ready but pharmacy says no record. Confusing.",
    "There's smoke coming from the basement of building {n}, is everyone okay??",
    "Your website says open until 8 but the clinic door was locked at 6:30.",
    "Thank you St Marys for the flu shot drive, took 5 minutes and the staff were kind.",
    "Patient {mrn} DOB {dob} still waiting for a callback from oncology since Monday",
    "How do I get copies of my records sent to a new doctor out of state?",
    "The wait time app said {min} min, we waited 3 hours. Why even have the app?",
    "Severe allergic reaction, throat swelling, which entrance is the emergency room",
    "Excellent care in the ICU. Every nurse introduced themselves. Thank you all.",
    "Are masks still required in the waiting rooms? Could not find it on the site.",
    "Lost my wallet in the emergency room waiting area last night, anyone turned one in?",
    "So proud of my sister who just graduated from your nursing residency program!",
    "Charged twice for the same MRI. Called {phone} three times, no answer.",
    "Is it normal that the discharge papers have someone else's name on them?",
};

constexpr std::array<v1::Network, 5> kNetworks = {v1::NETWORK_X, v1::NETWORK_FACEBOOK,
                                                  v1::NETWORK_INSTAGRAM, v1::NETWORK_MASTODON,
                                                  v1::NETWORK_BLUESKY};

std::string MentionText(size_t i) {
  const uint64_t h = (static_cast<uint64_t>(i) + 1) * 0x9E3779B97F4A7C15ULL;
  return absl::StrReplaceAll(
      kTemplates[(i * 7) % kTemplates.size()],
      {{"{n}", absl::StrCat(2 + h % 97)},
       {"{mrn}", absl::StrFormat("%08d", static_cast<int>((h >> 8) % 100000000))},
       {"{phone}", absl::StrFormat("555-%04d", static_cast<int>((h >> 20) % 10000))},
       {"{dob}", absl::StrFormat("%02d/%02d/19%02d", static_cast<int>(1 + (h >> 30) % 12),
                                 static_cast<int>(1 + (h >> 34) % 28),
                                 static_cast<int>(40 + (h >> 40) % 60))},
       {"{min}", absl::StrCat(20 + (h >> 44) % 200)}});
}

// ---- NATS helpers ----

struct NatsHandles {
  natsConnection* conn = nullptr;
  natsSubscription* sub = nullptr;
  jsCtx* js = nullptr;
  ~NatsHandles() {
    if (sub != nullptr) {
      natsSubscription_Unsubscribe(sub);
      natsSubscription_Destroy(sub);
    }
    if (js != nullptr) jsCtx_Destroy(js);
    if (conn != nullptr) natsConnection_Destroy(conn);
  }
};

bool NatsOk(natsStatus s, std::string_view what) {
  if (s == NATS_OK) return true;
  std::fprintf(stderr, "%.*s: %s (%s)\n", static_cast<int>(what.size()), what.data(),
               natsStatus_GetText(s), nats_GetLastError(nullptr));
  return false;
}

// ---- phases ----

struct PhaseResult {
  std::string name;
  size_t sent = 0;        // measured items sent (after warm-up)
  double send_rate = 0;   // measured items per second of send window
  double event_rate = 0;  // all events per second, first send to last event
  Summary answered;       // scheduled -> gRPC response / JetStream ack
  Summary event;          // scheduled -> event received
  size_t errors = 0;      // failed calls or publishes (all, warm-up included)
  size_t lost = 0;        // answered OK but no event (all, warm-up included)
  size_t duplicates = 0;  // items with more than one event
  int64_t worst_lateness_ns = 0;
  double steal_percent = 0;
  double mean_event_bytes = 0;
  std::vector<std::pair<std::string, double>> cpu;  // process -> cores used
};

// Waits until every successfully answered item has its event, or `drain` seconds pass
// without a new event. Returns when done.
void Drain(std::vector<Slot>& slots, const std::atomic<size_t>& events_seen, double drain) {
  size_t last_seen = events_seen.load();
  int64_t last_progress = NowNs();
  while (true) {
    size_t missing = 0;
    size_t unanswered = 0;
    for (const Slot& slot : slots) {
      if (slot.answered_ns.load() == 0 && slot.error.load() == 0) ++unanswered;
      if (slot.error.load() == 0 && slot.events.load() == 0) ++missing;
    }
    if (missing == 0) return;
    const size_t seen = events_seen.load();
    if (seen != last_seen) {
      last_seen = seen;
      last_progress = NowNs();
    }
    if (unanswered == 0 && NowNs() - last_progress > static_cast<int64_t>(drain * 1e9)) return;
    if (NowNs() - last_progress > static_cast<int64_t>(6 * drain * 1e9)) return;
    SleepUntilNs(NowNs() + 50'000'000);
  }
}

PhaseResult Tally(std::string name, std::vector<Slot>& slots, size_t warmup_count, int64_t start_ns,
                  double rate, int64_t send_end_ns) {
  PhaseResult result;
  result.name = std::move(name);
  std::vector<int64_t> answered;
  std::vector<int64_t> event;
  int64_t last_event = 0;
  size_t all_events = 0;
  const double interval_ns = 1e9 / rate;
  for (size_t i = 0; i < slots.size(); ++i) {
    const Slot& slot = slots[i];
    if (slot.error.load() != 0) {
      ++result.errors;
      continue;
    }
    if (slot.events.load() == 0) ++result.lost;
    if (slot.events.load() > 1) ++result.duplicates;
    if (slot.event_ns.load() != 0) {
      ++all_events;
      last_event = std::max(last_event, slot.event_ns.load());
    }
    if (i < warmup_count) continue;
    const int64_t scheduled = start_ns + static_cast<int64_t>(static_cast<double>(i) * interval_ns);
    if (slot.answered_ns.load() != 0) answered.push_back(slot.answered_ns.load() - scheduled);
    if (slot.event_ns.load() != 0) {
      event.push_back(slot.event_ns.load() - scheduled);
    }
  }
  result.sent = slots.size() - warmup_count;
  const int64_t first_scheduled =
      start_ns + static_cast<int64_t>(static_cast<double>(warmup_count) * interval_ns);
  result.send_rate =
      static_cast<double>(result.sent) / (static_cast<double>(send_end_ns - first_scheduled) / 1e9);
  // Every event of the phase (warm-up included) over the time from the first send
  // to the last event: what the system under test delivered.
  if (last_event > start_ns) {
    result.event_rate =
        static_cast<double>(all_events) / (static_cast<double>(last_event - start_ns) / 1e9);
  }
  result.answered = Summarize(answered);
  result.event = Summarize(event);
  return result;
}

struct CpuWatch {
  std::vector<std::pair<std::string, pid_t>> pids;
  std::vector<double> before;
  double self_before = 0;
  int64_t start_ns = 0;
  void Start() {
    before.clear();
    for (const auto& [name, pid] : pids) before.push_back(ProcessCpuSeconds(pid));
    self_before = CpuSecondsOfSelf();
    start_ns = NowNs();
  }
  std::vector<std::pair<std::string, double>> Stop() const {
    const double wall = static_cast<double>(NowNs() - start_ns) / 1e9;
    std::vector<std::pair<std::string, double>> out;
    for (size_t i = 0; i < pids.size(); ++i) {
      out.emplace_back(pids[i].first, (ProcessCpuSeconds(pids[i].second) - before[i]) / wall);
    }
    out.emplace_back("bench (generator + subscriber)", (CpuSecondsOfSelf() - self_before) / wall);
    return out;
  }
};

// The listener phase state shared with the NATS subscription callback.
struct ListenerPhase {
  std::string prefix;  // external ids are <prefix><index>
  std::vector<Slot>* slots = nullptr;
  std::atomic<size_t> events_seen{0};
  std::atomic<size_t> foreign{0};
  std::atomic<uint64_t> event_bytes{0};
};

void OnClassified(natsConnection* /*conn*/, natsSubscription* /*sub*/, natsMsg* msg,
                  void* closure) {
  const int64_t now = NowNs();
  auto* phase = static_cast<ListenerPhase*>(closure);
  v1::MentionClassified classified;
  size_t index = 0;
  const int length = natsMsg_GetDataLength(msg);
  if (classified.ParseFromArray(natsMsg_GetData(msg), length) &&
      ParseIndex(classified.mention().external_id(), phase->prefix, index) &&
      index < phase->slots->size()) {
    Slot& slot = (*phase->slots)[index];
    int64_t expected = 0;
    slot.event_ns.compare_exchange_strong(expected, now);
    slot.events.fetch_add(1);
    phase->event_bytes.fetch_add(static_cast<uint64_t>(length));
    phase->events_seen.fetch_add(1);
  } else {
    phase->foreign.fetch_add(1);
  }
  natsMsg_Destroy(msg);
}

struct MentionCall {
  grpc::ClientContext context;
  v1::CreateMentionRequest request;
  v1::CreateMentionResponse response;
};

bool RunListenerPhase(const Flags& flags, const std::string& grpc_target, natsConnection* conn,
                      CpuWatch& watch, PhaseResult& out) {
  const size_t warmup_count = static_cast<size_t>(flags.warmup * flags.rate);
  const size_t count = warmup_count + static_cast<size_t>(flags.seconds * flags.rate);
  std::vector<Slot> slots(count);
  ListenerPhase phase;
  phase.prefix = absl::StrCat("bench-", absl::ToUnixMillis(absl::Now()), "-");
  phase.slots = &slots;

  NatsHandles handles;
  if (!NatsOk(natsConnection_Subscribe(&handles.sub, conn, std::string(kClassifiedSubject).c_str(),
                                       OnClassified, &phase),
              "subscribe carecast.mention.classified") ||
      !NatsOk(natsSubscription_SetPendingLimits(handles.sub, -1, -1), "pending limits") ||
      !NatsOk(natsConnection_Flush(conn), "flush")) {
    return false;
  }

  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, 16 << 20);
  auto channel = grpc::CreateCustomChannel(grpc_target, grpc::InsecureChannelCredentials(), args);
  auto stub = v1::ListenerService::NewStub(channel);
  // A service integration's token: role service, every spoke, valid for the run.
  const std::string bearer =
      absl::StrCat("Bearer ", TestTokens::Get().Mint("bench-ingest", {common::Role::kService},
                                                     {"*"}, absl::Now(), absl::Hours(2)));

  std::vector<std::unique_ptr<MentionCall>> calls(count);
  std::atomic<size_t> answered{0};
  std::atomic<size_t> sent{0};
  const int64_t start_ns = NowNs() + 100'000'000;
  int64_t send_end_ns = 0;
  int64_t worst_lateness = 0;
  {
    Progress progress([&] {
      return absl::StrFormat("[listener] sent %d/%d  answered %d  classified events %d",
                             sent.load(), count, answered.load(), phase.events_seen.load());
    });
    bool watching = false;
    worst_lateness = RunOpenLoop(flags.rate, count, start_ns, [&](size_t i) {
      if (i == warmup_count && !watching) {
        watch.Start();
        watching = true;
      }
      auto call = std::make_unique<MentionCall>();
      call->context.AddMetadata("authorization", bearer);
      call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      v1::Mention& mention = *call->request.mutable_mention();
      mention.set_network(kNetworks[i % kNetworks.size()]);
      mention.set_external_id(absl::StrCat(phase.prefix, i));
      mention.set_author_handle(absl::StrCat("@member", (i * 2654435761U) % 100000));
      mention.set_text(MentionText(i));
      const absl::Time now = absl::Now();
      mention.mutable_create_time()->set_seconds(absl::ToUnixSeconds(now) - 2);
      call->request.set_request_id(absl::StrCat(phase.prefix, "req-", i));
      MentionCall* raw = call.get();
      calls[i] = std::move(call);
      Slot& slot = slots[i];
      stub->async()->CreateMention(&raw->context, &raw->request, &raw->response,
                                   [&slot, &answered](const grpc::Status& status) {
                                     if (status.ok()) {
                                       slot.answered_ns.store(NowNs());
                                     } else {
                                       slot.error.store(static_cast<int32_t>(status.error_code()));
                                     }
                                     answered.fetch_add(1);
                                   });
      sent.fetch_add(1);
    });
    send_end_ns = NowNs();
    Drain(slots, phase.events_seen, flags.drain);
    out.cpu = watch.Stop();
  }
  // Wait for every call's callback before the calls are destroyed.
  while (answered.load() < count) SleepUntilNs(NowNs() + 10'000'000);

  out = [&, cpu = std::move(out.cpu)] {
    PhaseResult r = Tally("listener", slots, warmup_count, start_ns, flags.rate, send_end_ns);
    r.cpu = cpu;
    return r;
  }();
  out.worst_lateness_ns = worst_lateness;
  out.mean_event_bytes = phase.events_seen.load() == 0
                             ? 0
                             : static_cast<double>(phase.event_bytes.load()) /
                                   static_cast<double>(phase.events_seen.load());
  if (phase.foreign.load() != 0) {
    std::fprintf(stderr, "note: %zu events on %s were not this run's\n", phase.foreign.load(),
                 std::string(kClassifiedSubject).c_str());
  }
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].error.load() != 0) {
      std::fprintf(stderr, "first failed CreateMention (#%zu): gRPC code %d\n", i,
                   slots[i].error.load());
      break;
    }
  }
  return true;
}

struct AnchorPhase {
  std::string prefix;
  std::vector<Slot>* slots = nullptr;
  std::atomic<size_t> acked{0};
  std::atomic<size_t> delivered{0};
};

bool AnchorIndex(natsMsg* msg, const AnchorPhase& phase, size_t& index) {
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK || id == nullptr) return false;
  return ParseIndex(id, phase.prefix, index) && index < phase.slots->size();
}

void OnAnchorAck(jsCtx* /*js*/, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure) {
  const int64_t now = NowNs();
  auto* phase = static_cast<AnchorPhase*>(closure);
  size_t index = 0;
  if (AnchorIndex(msg, *phase, index)) {
    Slot& slot = (*phase->slots)[index];
    if (ack != nullptr && error == nullptr) {
      slot.answered_ns.store(now);
    } else {
      slot.error.store(1);
    }
    phase->acked.fetch_add(1);
  }
  natsMsg_Destroy(msg);
}

void OnAnchorDelivered(natsConnection* /*conn*/, natsSubscription* /*sub*/, natsMsg* msg,
                       void* closure) {
  const int64_t now = NowNs();
  auto* phase = static_cast<AnchorPhase*>(closure);
  size_t index = 0;
  if (AnchorIndex(msg, *phase, index)) {
    Slot& slot = (*phase->slots)[index];
    int64_t expected = 0;
    slot.event_ns.compare_exchange_strong(expected, now);
    slot.events.fetch_add(1);
    phase->delivered.fetch_add(1);
  }
  natsMsg_Destroy(msg);
}

bool RunAnchorPhase(const Flags& flags, const std::string& nats_url, size_t payload_bytes,
                    CpuWatch& watch, PhaseResult& out) {
  const size_t warmup_count = static_cast<size_t>(flags.warmup * flags.rate);
  const size_t count = warmup_count + static_cast<size_t>(flags.seconds * flags.rate);
  std::vector<Slot> slots(count);
  AnchorPhase phase;
  phase.prefix = absl::StrCat("anchor-", absl::ToUnixMillis(absl::Now()), "-");
  phase.slots = &slots;

  NatsHandles handles;
  if (!NatsOk(natsConnection_ConnectTo(&handles.conn, nats_url.c_str()), "connect (anchor)")) {
    return false;
  }
  // The anchor stream is stored as CARECAST_EVENTS is (file unless configured otherwise),
  // one replica, on its own subject so no listener consumer sees it.
  jsCtx* admin = nullptr;
  if (!NatsOk(natsConnection_JetStream(&admin, handles.conn, nullptr), "jetstream (admin)")) {
    return false;
  }
  jsStreamInfo* events_info = nullptr;
  jsStorageType storage = js_FileStorage;
  if (js_GetStreamInfo(&events_info, admin, "CARECAST_EVENTS", nullptr, nullptr) == NATS_OK &&
      events_info != nullptr) {
    storage = events_info->Config->Storage;
    jsStreamInfo_Destroy(events_info);
  }
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  const std::string stream_name(kAnchorStream);
  const std::string subject(kAnchorSubject);
  const char* subjects[] = {subject.c_str()};
  config.Name = stream_name.c_str();
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = storage;
  jsStreamInfo* created = nullptr;
  jsErrCode jerr{};
  const bool stream_ok =
      NatsOk(js_AddStream(&created, admin, &config, nullptr, &jerr), "create anchor stream");
  if (created != nullptr) jsStreamInfo_Destroy(created);
  jsCtx_Destroy(admin);
  if (!stream_ok) return false;

  jsOptions options;
  jsOptions_Init(&options);
  options.PublishAsync.MaxPending = static_cast<int64_t>(count) + 1;
  options.PublishAsync.AckHandler = OnAnchorAck;
  options.PublishAsync.AckHandlerClosure = &phase;
  if (!NatsOk(natsConnection_JetStream(&handles.js, handles.conn, &options), "jetstream") ||
      !NatsOk(natsConnection_Subscribe(&handles.sub, handles.conn, subject.c_str(),
                                       OnAnchorDelivered, &phase),
              "subscribe anchor") ||
      !NatsOk(natsSubscription_SetPendingLimits(handles.sub, -1, -1), "pending limits") ||
      !NatsOk(natsConnection_Flush(handles.conn), "flush")) {
    return false;
  }

  // The listener's event carries its CloudEvents headers and a deduplication id; so
  // does the anchor, with a payload as large as the listener's mean event.
  const std::string payload(payload_bytes, 'x');
  std::atomic<size_t> sent{0};
  const int64_t start_ns = NowNs() + 100'000'000;
  int64_t send_end_ns = 0;
  int64_t worst_lateness = 0;
  bool watching = false;
  {
    Progress progress([&] {
      return absl::StrFormat("[anchor] sent %d/%d  acked %d  delivered %d", sent.load(), count,
                             phase.acked.load(), phase.delivered.load());
    });
    worst_lateness = RunOpenLoop(flags.rate, count, start_ns, [&](size_t i) {
      if (i == warmup_count && !watching) {
        watch.Start();
        watching = true;
      }
      natsMsg* msg = nullptr;
      const std::string id = absl::StrCat(phase.prefix, i);
      const std::string time =
          absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone());
      natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, payload.data(),
                                    static_cast<int>(payload.size()));
      if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Nats-Msg-Id", id.c_str());
      if (s == NATS_OK) s = natsMsgHeader_Set(msg, "ce-specversion", "1.0");
      if (s == NATS_OK) s = natsMsgHeader_Set(msg, "ce-type", "carecast.mention.classified.v1");
      if (s == NATS_OK) s = natsMsgHeader_Set(msg, "ce-source", "carecast-listener");
      if (s == NATS_OK) s = natsMsgHeader_Set(msg, "ce-id", id.c_str());
      if (s == NATS_OK) s = natsMsgHeader_Set(msg, "ce-time", time.c_str());
      if (s == NATS_OK) {
        s = natsMsgHeader_Set(msg, "ce-dataschema",
                              "urn:carecast:proto:carecast.v1.MentionClassified");
      }
      if (s == NATS_OK) s = natsMsgHeader_Set(msg, "ce-datacontenttype", "application/protobuf");
      if (s == NATS_OK) s = js_PublishMsgAsync(handles.js, &msg, nullptr);
      if (s != NATS_OK) {
        slots[i].error.store(1);
        natsMsg_Destroy(msg);
      }
      sent.fetch_add(1);
    });
    send_end_ns = NowNs();
    jsPubOptions wait;
    jsPubOptions_Init(&wait);
    wait.MaxWait = static_cast<int64_t>(6 * flags.drain * 1000);
    js_PublishAsyncComplete(handles.js, &wait);
    Drain(slots, phase.delivered, flags.drain);
    out.cpu = watch.Stop();
  }
  auto cpu = std::move(out.cpu);
  out = Tally("anchor", slots, warmup_count, start_ns, flags.rate, send_end_ns);
  out.cpu = std::move(cpu);
  out.worst_lateness_ns = worst_lateness;
  out.mean_event_bytes = static_cast<double>(payload_bytes);
  // Remove the anchor stream so repeated runs against one server start alike.
  jsCtx* cleanup = nullptr;
  if (natsConnection_JetStream(&cleanup, handles.conn, nullptr) == NATS_OK) {
    js_DeleteStream(cleanup, stream_name.c_str(), nullptr, nullptr);
    jsCtx_Destroy(cleanup);
  }
  return true;
}

void PrintCpu(const PhaseResult& result) {
  for (const auto& [name, cores] : result.cpu) {
    std::printf("  %-40s %.2f cores\n", name.c_str(), cores);
  }
}

void PrintReport(const Flags& flags, const PhaseResult& ours, const PhaseResult& anchor,
                 const CpuTimes& cpu_start, const CpuTimes& cpu_end) {
  const unsigned cores = std::thread::hardware_concurrency();
  const bool goal_met = ours.event.count > 0 && ours.event.p99 <= kGoalP99Ms &&
                        flags.rate >= kGoalRate && ours.lost == 0 && ours.errors == 0;
  std::printf("\n");
  std::printf(
      "| measure (%.0f/s offered, %.0f s) | ours: CreateMention -> classified event | "
      "anchor: JetStream publish, same run | goal |\n",
      flags.rate, flags.seconds);
  std::printf("|---|---|---|---|\n");
  std::printf(
      "| p50 / p90 / p99 / max, to event received | %s | %s (delivered) | p99 <= %.0f ms "
      "at %.0f/s: %s |\n",
      Format(ours.event).c_str(), Format(anchor.event).c_str(), kGoalP99Ms, kGoalRate,
      flags.rate < kGoalRate ? "not tested (rate below goal)" : (goal_met ? "met" : "MISSED"));
  std::printf("| p50 / p90 / p99 / max, to answer | %s (gRPC response) | %s (publish ack) | - |\n",
              Format(ours.answered).c_str(), Format(anchor.answered).c_str());
  std::printf("| sent / events received (measured) | %zu / %zu | %zu / %zu | all |\n", ours.sent,
              ours.event.count, anchor.sent, anchor.event.count);
  std::printf(
      "| achieved rate: sent (measured), events (whole phase) | %.0f/s, %.0f/s | %.0f/s, %.0f/s | "
      "%.0f/s |\n",
      ours.send_rate, ours.event_rate, anchor.send_rate, anchor.event_rate, kGoalRate);
  std::printf(
      "| errors / lost / duplicated (warm-up included) | %zu / %zu / %zu | %zu / %zu / "
      "%zu | 0 / 0 |\n",
      ours.errors, ours.lost, ours.duplicates, anchor.errors, anchor.lost, anchor.duplicates);
  std::printf("| payload (mean MentionClassified bytes) | %.0f B | %.0f B | - |\n",
              ours.mean_event_bytes, anchor.mean_event_bytes);
  std::printf("| latest send behind schedule | %.2f ms | %.2f ms | - |\n",
              static_cast<double>(ours.worst_lateness_ns) / 1e6,
              static_cast<double>(anchor.worst_lateness_ns) / 1e6);
  std::printf("| CPU steal during phase | %.1f%% | %.1f%% | - |\n", ours.steal_percent,
              anchor.steal_percent);
  std::printf("\ncores: %u; steal over the run: %.1f%%; load average at end: %s\n", cores,
              StealPercent(cpu_start, cpu_end), LoadAverage().c_str());
  std::printf("CPU used during the measured listener phase (of %u cores):\n", cores);
  PrintCpu(ours);
  if (flags.anchor) {
    std::printf("CPU used during the measured anchor phase:\n");
    PrintCpu(anchor);
  }
  std::fflush(stdout);
}

int Run(const Flags& flags) {
  const unsigned cores = std::thread::hardware_concurrency();
  std::printf(
      "listener_ingest_bench: rate %.0f/s, %.0f s measured after %.0f s warm-up per phase\n",
      flags.rate, flags.seconds, flags.warmup);
  std::printf("cores: %u; load average at start: %s\n", cores, LoadAverage().c_str());
  std::fflush(stdout);

  auto nats = LocalNatsServer::Start();
  if (!nats.ok()) {
    std::fprintf(stderr, "nats-server: %s\n", std::string(nats.status().message()).c_str());
    return 1;
  }
  auto redis = LocalRedisServer::Start();
  if (!redis.ok()) {
    std::fprintf(stderr, "redis-server: %s\n", std::string(redis.status().message()).c_str());
    return 1;
  }
  const std::string listener_binary =
      flags.listener.empty() ? DefaultListenerBinary() : flags.listener;
  const int grpc_port = testing::FindFreePort();
  const int http_port = testing::FindFreePort();
  const std::map<std::string, std::string> env = {
      {"CARECAST_GRPC_PORT", std::to_string(grpc_port)},
      {"CARECAST_HTTP_PORT", std::to_string(http_port)},
      {"CARECAST_BIND_ADDRESS", "127.0.0.1"},
      {"CARECAST_NATS_URL", (*nats)->url()},
      {"CARECAST_REDIS_URL", (*redis)->url()},
      {"CARECAST_JWT_PUBLIC_KEY_FILE", TestTokens::Get().public_key_file()},
      {"CARECAST_TRACKED_KEYWORDS", "st marys,flu shot,emergency room"},
  };
  const std::string log_file = absl::StrCat((*nats)->dir(), "/listener.log");
  auto listener = ChildProcess::Start(listener_binary, {}, env, log_file);
  if (!listener.ok()) {
    std::fprintf(stderr, "%s: %s\n", listener_binary.c_str(),
                 std::string(listener.status().message()).c_str());
    return 1;
  }
  const std::string grpc_target = absl::StrCat("127.0.0.1:", grpc_port);
  auto health_channel = grpc::CreateChannel(grpc_target, grpc::InsecureChannelCredentials());
  const bool serving = testing::PollUntil(
      [&] {
        auto state = testing::CheckHealth(health_channel, "", absl::Milliseconds(500));
        return state.ok() && *state == testing::HealthState::kServing;
      },
      absl::Seconds(30));
  if (!serving) {
    std::fprintf(stderr, "carecast-listener did not report SERVING; its log: %s\n",
                 log_file.c_str());
    return 1;
  }
  std::printf("listener %s (pid %d), log %s\n", listener_binary.c_str(),
              static_cast<int>(listener->pid()), log_file.c_str());
  std::fflush(stdout);

  NatsHandles nats_handles;
  if (!NatsOk(natsConnection_ConnectTo(&nats_handles.conn, (*nats)->url().c_str()), "connect")) {
    return 1;
  }

  CpuWatch watch;
  watch.pids = {
      {"carecast-listener", listener->pid()},
      {"nats-server", FindProcess("nats-server", absl::StrCat((*nats)->port()))},
      {"redis-server", FindProcess("redis-server", absl::StrCat((*redis)->port()))},
  };

  const CpuTimes cpu_start = ReadCpuTimes();
  PhaseResult ours;
  if (!RunListenerPhase(flags, grpc_target, nats_handles.conn, watch, ours)) return 1;
  const CpuTimes cpu_mid = ReadCpuTimes();
  ours.steal_percent = StealPercent(cpu_start, cpu_mid);

  PhaseResult anchor;
  bool anchor_ok = true;
  if (flags.anchor) {
    const size_t payload_bytes = ours.mean_event_bytes > 0
                                     ? static_cast<size_t>(ours.mean_event_bytes)
                                     : static_cast<size_t>(1024);
    anchor_ok = RunAnchorPhase(flags, (*nats)->url(), payload_bytes, watch, anchor);
    anchor.steal_percent = StealPercent(cpu_mid, ReadCpuTimes());
  }
  const CpuTimes cpu_end = ReadCpuTimes();

  PrintReport(flags, ours, anchor, cpu_start, cpu_end);

  (void)listener->Terminate(absl::Seconds(10));
  const bool failed = !anchor_ok || ours.errors != 0 || ours.lost != 0 || ours.duplicates != 0 ||
                      anchor.errors != 0 || anchor.lost != 0;
  if (failed) std::fprintf(stderr, "FAILED: errors or lost events (see the table)\n");
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace carecast::bench

int main(int argc, char** argv) {
  carecast::bench::Flags flags;
  if (!carecast::bench::ParseFlags(argc, argv, flags)) return 2;
  return carecast::bench::Run(flags);
}
