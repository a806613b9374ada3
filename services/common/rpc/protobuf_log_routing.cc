#include "services/common/rpc/protobuf_log_routing.h"

#include <atomic>
#include <string>

#include <google/protobuf/stubs/logging.h>

namespace carecast::common {
namespace {

std::atomic<Logger*> routed_logger{nullptr};

void Forward(google::protobuf::LogLevel level, const char* filename, int line,
             const std::string& message) {
  Logger* logger = routed_logger.load();
  if (logger == nullptr) return;
  // Protobuf names fields and files, never field values, in these messages.
  LogFields fields = {{"source", std::string(filename) + ":" + std::to_string(line)},
                      {"detail", message}};
  switch (level) {
    case google::protobuf::LOGLEVEL_INFO:
      logger->Info("protobuf", fields);
      return;
    case google::protobuf::LOGLEVEL_WARNING:
      logger->Warn("protobuf", fields);
      return;
    case google::protobuf::LOGLEVEL_ERROR:
    case google::protobuf::LOGLEVEL_FATAL:
      logger->Error("protobuf", fields);
      return;
  }
}

}  // namespace

void RouteProtobufLogsTo(Logger& logger) {
  routed_logger.store(&logger);
  google::protobuf::SetLogHandler(&Forward);
}

}  // namespace carecast::common
