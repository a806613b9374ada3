# The polled mention sources: Mastodon notifications and X recent search, over
# carecast::http (included from CMakeLists.txt in this folder).
add_library(listener_polled_sources
  ${CMAKE_CURRENT_LIST_DIR}/polled_source_support.cc
  ${CMAKE_CURRENT_LIST_DIR}/html_text.cc
  ${CMAKE_CURRENT_LIST_DIR}/mastodon_notifications_source.cc
  ${CMAKE_CURRENT_LIST_DIR}/x_recent_search_source.cc)
target_include_directories(listener_polled_sources PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(listener_polled_sources
  PUBLIC carecast::http carecast::proto absl::status absl::statusor absl::time absl::strings
  PRIVATE carecast::base nlohmann_json::nlohmann_json)
target_link_libraries(listener_sources INTERFACE listener_polled_sources)
