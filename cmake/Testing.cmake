# Test registration helpers. Later code adds a multi-rank test in one line:
#   pathodino_add_mpi_test(test_target RANKS 2 4)

include(GoogleTest)

# A GoogleTest executable from sources, registered test by test with CTest.
function(pathodino_add_gtest name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                       PROPERTIES LABELS "unit;${ARG_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()

# Runs an existing test executable under real `mpirun` once per rank count. Ranks beyond the core
# count are oversubscribed; running as root (CI) is allowed through the environment, so nobody has
# to pass extra flags.
function(pathodino_add_mpi_test target)
  cmake_parse_arguments(ARG "" "TIMEOUT" "RANKS;ARGS;LABELS" ${ARGN})
  if(NOT ARG_RANKS)
    set(ARG_RANKS 2)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  foreach(n IN LISTS ARG_RANKS)
    set(test_name "${target}.np${n}")
    add_test(NAME ${test_name}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} --oversubscribe
                     --bind-to none $<TARGET_FILE:${target}> ${ARG_ARGS}
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(${test_name} PROPERTIES
      LABELS "mpi;${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT} PROCESSORS 2
      ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_btl_vader_single_copy_mechanism=none")
  endforeach()
endfunction()
