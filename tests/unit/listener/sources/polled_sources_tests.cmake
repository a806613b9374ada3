# The Mastodon notifications and X recent-search sources against the local
# fakes over CurlHttpClient (included from CMakeLists.txt in this folder).
carecast_test(polled_sources_test LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/polled_sources_test.cc
  LIBS listener_sources carecast::http carecast::test_support carecast_fake_mastodon carecast_fake_x)
