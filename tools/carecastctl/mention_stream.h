// `carecastctl mentions stream`: sends JSON-lines Mentions over
// ListenerService.StreamMentions and prints each answer as a JSON line.
#pragma once

#include <istream>
#include <memory>
#include <ostream>

#include <grpcpp/grpcpp.h>

#include "tools/carecastctl/rpc_invoker.h"

namespace carecast::ctl {

// Returns the number of mentions the listener rejected, or -1 when the stream
// itself failed (the reason goes to `err`). Lines that are not valid Mention JSON
// are reported on `err` and not sent.
int StreamMentions(const std::shared_ptr<grpc::Channel>& channel, const CallOptions& options,
                   std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace carecast::ctl
