# Bluesky mentions from Jetstream over WebSocket (bluesky_jetstream_source.h).
add_library(listener_jetstream_source ${CMAKE_CURRENT_LIST_DIR}/bluesky_jetstream_source.cc)
target_include_directories(listener_jetstream_source PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(listener_jetstream_source
  PUBLIC carecast::http carecast::proto absl::status absl::statusor absl::time absl::strings
  PRIVATE nlohmann_json::nlohmann_json)
target_link_libraries(listener_sources INTERFACE listener_jetstream_source)
