# carecast_test(<name> LABEL <unit|integration|e2e|fault> SOURCES ... LIBS ...)
# One GoogleTest binary registered as one CTest test with its label. Tests that
# need servers find them on PATH and pick free loopback ports themselves.
# Each binary also joins the target carecast_tests_<label> (e.g.
# carecast_tests_unit), so a stage can build one label's binaries and nothing
# else (the sanitizer stages in scripts/test.sh do).
function(carecast_test name)
  cmake_parse_arguments(T "" "LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_LABEL)
    message(FATAL_ERROR "carecast_test(${name}) needs a LABEL")
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  add_test(NAME ${name} COMMAND ${name} --gtest_color=no)
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABEL}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "CARECAST_SOURCE_DIR=${PROJECT_SOURCE_DIR};CARECAST_BINARY_DIR=${PROJECT_BINARY_DIR}")
  if(NOT TARGET carecast_tests_${T_LABEL})
    add_custom_target(carecast_tests_${T_LABEL})
  endif()
  add_dependencies(carecast_tests_${T_LABEL} ${name})
endfunction()

# Adds each listed subdirectory that has a CMakeLists.txt (modules land one by one).
function(carecast_add_present_subdirs)
  foreach(dir ${ARGN})
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/CMakeLists.txt)
      add_subdirectory(${dir})
    endif()
  endforeach()
endfunction()
