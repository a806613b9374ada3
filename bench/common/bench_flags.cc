#include "bench/common/bench_flags.h"

#include <cstdio>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace carecast::bench {
namespace {

template <class T>
bool ParseAtLeast(const std::string& text, T least, T* out) {
  T v{};
  if (!absl::SimpleAtoi(text, &v) || v < least) return false;
  *out = v;
  return true;
}

}  // namespace

BenchFlags::BenchFlags(std::string program, std::string usage)
    : program_(std::move(program)), usage_(std::move(usage)) {}

BenchFlags& BenchFlags::Int(std::string name, int* value, int least) {
  options_.push_back({std::move(name), [value, least](const std::string& text) {
                        return ParseAtLeast(text, least, value);
                      }});
  return *this;
}

BenchFlags& BenchFlags::Int64(std::string name, int64_t* value, int64_t least) {
  options_.push_back({std::move(name), [value, least](const std::string& text) {
                        return ParseAtLeast(text, least, value);
                      }});
  return *this;
}

BenchFlags& BenchFlags::Int64List(std::string name, std::vector<int64_t>* values, int64_t least) {
  options_.push_back({std::move(name), [values, least](const std::string& text) {
                        std::vector<int64_t> parsed;
                        for (absl::string_view part : absl::StrSplit(text, ',')) {
                          int64_t v = 0;
                          if (!ParseAtLeast(std::string(part), least, &v)) return false;
                          parsed.push_back(v);
                        }
                        *values = std::move(parsed);
                        return true;
                      }});
  return *this;
}

absl::Status BenchFlags::Parse(int argc, const char* const* argv) const {
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) return absl::InvalidArgumentError("every option takes a value");
    const std::string name = argv[i];
    const std::string value = argv[i + 1];
    const Option* option = nullptr;
    for (const Option& o : options_) {
      if (o.name == name) option = &o;
    }
    if (option == nullptr) return absl::InvalidArgumentError("unknown option");
    if (!option->set(value))
      return absl::InvalidArgumentError(absl::StrCat("bad value for ", name));
  }
  return absl::OkStatus();
}

int BenchFlags::UsageError(const absl::Status& problem) const {
  std::fprintf(stderr, "%s: %s\nusage: %s\n", program_.c_str(),
               std::string(problem.message()).c_str(), usage_.c_str());
  return 2;
}

}  // namespace carecast::bench
