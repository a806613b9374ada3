# Every external dependency, found once. Debian 12 packages only
# (scripts/install-deps.sh installs them). nats.c and hiredis ship broken or no
# CMake configs on Debian, so they come through pkg-config.
find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)           # FindProtobuf: protobuf_generate()
# gRPC's config skips its own find_package(OpenSSL) when OPENSSL_FOUND is set, and
# pkg_check_modules(OPENSSL) below caches exactly that: without this line every
# re-configure fails with "OpenSSL::SSL ... target was not found".
find_package(OpenSSL REQUIRED)
find_package(gRPC CONFIG REQUIRED)        # gRPC::grpc++, grpc++_reflection, grpc_cpp_plugin
find_package(absl CONFIG REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(NATS REQUIRED IMPORTED_TARGET libnats)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(HYPERSCAN REQUIRED IMPORTED_TARGET libhs)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
pkg_check_modules(OPENSSL REQUIRED IMPORTED_TARGET openssl)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(LIBICAL REQUIRED IMPORTED_TARGET libical)
find_package(simdjson CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(ZLIB REQUIRED)               # zlib1g-dev: gzip request bodies (HttpServer)
find_path(HTTPLIB_INCLUDE_DIR httplib.h REQUIRED)   # cpp-httplib: the fake network servers in tests
# Debian ships cpp-httplib split: declarations in httplib.h, code in
# libcpp-httplib.so built with OpenSSL/zlib/brotli support. Its pkg-config file
# supplies the matching CPPHTTPLIB_*_SUPPORT defines (class layouts depend on them).
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
find_library(PHONENUMBER_LIBRARY phonenumber REQUIRED)
find_path(PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h REQUIRED)
if(CARECAST_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(CARECAST_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()
