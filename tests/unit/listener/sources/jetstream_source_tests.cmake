# The Bluesky Jetstream source against the local Jetstream, over the real
# WebSocket client.
carecast_test(jetstream_source_test LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/jetstream_source_test.cc
  LIBS listener_jetstream_source carecast_fake_jetstream)
# The WebSocket framing and client (services/common/http) that the source is
# built on; they live in tests/unit/http, which has no CMakeLists of its own yet.
carecast_test(websocket_test LABEL unit
  SOURCES ${PROJECT_SOURCE_DIR}/tests/unit/http/websocket_frames_test.cc
          ${PROJECT_SOURCE_DIR}/tests/unit/http/websocket_client_test.cc
  LIBS carecast::http carecast_websocket_test_server)
