// The "--name value" options of a bench's command line. Each option is
// registered with the variable it sets and the least value it accepts; the
// variables keep their defaults unless given. Parse reads the arguments left to
// right and stops at the first problem: an option without a value, a name not
// registered, or a value that is not a number or is below its least. Not
// thread-safe; the registered variables must outlive the parser.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace carecast::bench {

class BenchFlags {
 public:
  // `program` and `usage` make the message UsageError prints.
  BenchFlags(std::string program, std::string usage);

  BenchFlags& Int(std::string name, int* value, int least);
  BenchFlags& Int64(std::string name, int64_t* value, int64_t least);
  // A comma-separated list ("--sizes 1000,100000"), each element at least `least`.
  BenchFlags& Int64List(std::string name, std::vector<int64_t>* values, int64_t least);

  // Sets the variables of the options in argv[1..argc). INVALID_ARGUMENT with
  // "every option takes a value", "unknown option" or "bad value for --name".
  absl::Status Parse(int argc, const char* const* argv) const;
  // Prints "<program>: <problem>\nusage: <usage>" to stderr; returns 2, the
  // exit status of a usage error.
  int UsageError(const absl::Status& problem) const;

 private:
  struct Option {
    std::string name;
    std::function<bool(const std::string&)> set;  // false: the value is bad
  };

  std::string program_;
  std::string usage_;
  std::vector<Option> options_;
};

}  // namespace carecast::bench
