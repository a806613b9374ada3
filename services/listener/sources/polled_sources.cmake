# The polled mention sources (Mastodon notifications, X recent search) and the
# reader of Instagram mentions (the webhook carries ids only), over
# carecast::http (included from CMakeLists.txt in this folder).
add_library(listener_polled_sources
  ${CMAKE_CURRENT_LIST_DIR}/polled_source_support.cc
  ${CMAKE_CURRENT_LIST_DIR}/html_text.cc
  ${CMAKE_CURRENT_LIST_DIR}/mastodon_notifications_source.cc
  ${CMAKE_CURRENT_LIST_DIR}/x_recent_search_source.cc
  ${CMAKE_CURRENT_LIST_DIR}/instagram_mention_reader.cc)
target_include_directories(listener_polled_sources PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(listener_polled_sources
  PUBLIC carecast::http carecast::proto absl::status absl::statusor absl::time absl::strings
  PRIVATE carecast::base nlohmann_json::nlohmann_json)
target_link_libraries(listener_sources INTERFACE listener_polled_sources)
