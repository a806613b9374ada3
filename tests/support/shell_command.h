// Running a shell command from a test (promtool, pdftotext, the Chromium page
// check) and reading the environment the CI scripts set.
#pragma once

#include <string>

namespace carecast::testing {

// Runs `command` through /bin/sh and returns what it wrote to stdout (end the
// command with "2>&1" for stderr too); *status is pclose's status, -1 when the
// command could not be started.
std::string RunCommand(const std::string& command, int* status);

// The environment variable `name`, or `fallback` when it is unset or empty.
std::string EnvOr(const char* name, const std::string& fallback);

}  // namespace carecast::testing
