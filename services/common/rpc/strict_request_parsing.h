// Makes a generated synchronous gRPC service parse its unary requests itself, so
// a request protobuf refuses (a proto3 string holding invalid UTF-8, truncated
// bytes) is answered INVALID_ARGUMENT with a reason instead of gRPC's bare
// INTERNAL. Each method is re-registered as "streamed unary" over raw bytes: the
// call still runs on the sync server's thread pool and on the wire it is an
// ordinary unary call.
#pragma once

#include <string>

#include <google/protobuf/descriptor.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/method_handler.h>

#include "services/common/rpc/byte_buffers.h"

namespace carecast::common {

// Index, within its service, of the method whose request type is `request`
// (found among the services of the request's own .proto file); -1 when there is
// none. Request types are unique per method under buf lint.
int MethodIndexForRequest(const google::protobuf::Descriptor& request);

// "request is not a valid carecast.v1.X: ..." for a request that did not parse.
std::string MalformedRequestMessage(const google::protobuf::Descriptor& request);

// Derive a service implementation from StrictlyParsedService<v1::XService::Service>
// and call ParseStrictly(&v1::XService::Service::Method) for each unary method in
// the constructor. Thread-safe like the service it wraps.
template <class GeneratedService>
class StrictlyParsedService : public GeneratedService {
 protected:
  template <class Request, class Response>
  void ParseStrictly(grpc::Status (GeneratedService::*method)(grpc::ServerContext*, const Request*,
                                                              Response*)) {
    const int index = MethodIndexForRequest(*Request::descriptor());
    if (index < 0) std::abort();  // a wiring mistake, found by the first test that starts it
    this->MarkMethodStreamed(
        index,
        new grpc::internal::StreamedUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
            [this, method](grpc::ServerContext* context,
                           grpc::ServerUnaryStreamer<grpc::ByteBuffer, grpc::ByteBuffer>* stream) {
              grpc::ByteBuffer bytes;
              if (!stream->Read(&bytes))
                return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message");
              Request request;
              if (!request.ParseFromString(FromByteBuffer(bytes))) {
                return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                    MalformedRequestMessage(*Request::descriptor()));
              }
              Response response;
              // Through the base's virtual method, so the override answers.
              grpc::Status status = (this->*method)(context, &request, &response);
              if (status.ok() && !stream->Write(ToByteBuffer(response.SerializeAsString())))
                return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
              return status;
            }));
  }
};

}  // namespace carecast::common
