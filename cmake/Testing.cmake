# Test registration helpers. Later code adds a multi-rank test in one line:
#   pathodino_add_mpi_test(test_target RANKS 2 4)

include(GoogleTest)

# MPI tests run as the launchers run ranks (launch/single_copy.sh): Open MPI's single-copy
# transport on unless this machine forbids it — asked once, at configure time, of the same probe.
try_run(single_copy_runs single_copy_compiles
        SOURCES ${CMAKE_SOURCE_DIR}/trainer/system/single_copy_probe_main.cpp
                ${CMAKE_SOURCE_DIR}/trainer/system/single_copy_probe.cpp
        CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${CMAKE_SOURCE_DIR}"
        CXX_STANDARD 20 NO_CACHE
        RUN_OUTPUT_VARIABLE single_copy_says)
set(PATHODINO_MPI_TEST_ENV OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
if(single_copy_compiles AND single_copy_runs EQUAL 0)
  message(STATUS "MPI tests: Open MPI single copy (CMA) on")
else()
  list(APPEND PATHODINO_MPI_TEST_ENV OMPI_MCA_btl_vader_single_copy_mechanism=none)
  message(STATUS "MPI tests: Open MPI single copy off (${single_copy_says})")
endif()

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
      ENVIRONMENT "${PATHODINO_MPI_TEST_ENV}")
  endforeach()
endfunction()

# A test that runs a command (a test script, a Python reference, a tool) and its CTest properties,
# in one call:
#   pathodino_add_command_test(NAME COMMAND cmd args... LABELS a b [TIMEOUT s] [PROCESSORS n]
#                              [RUN_SERIAL] [SKIP_RETURN_CODE n] [ENVIRONMENT K=V ...]
#                              [WORKING_DIRECTORY dir])
function(pathodino_add_command_test name)
  cmake_parse_arguments(ARG "RUN_SERIAL" "TIMEOUT;PROCESSORS;SKIP_RETURN_CODE;WORKING_DIRECTORY"
                        "COMMAND;LABELS;ENVIRONMENT" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  if(ARG_WORKING_DIRECTORY)
    add_test(NAME ${name} COMMAND ${ARG_COMMAND} WORKING_DIRECTORY ${ARG_WORKING_DIRECTORY})
  else()
    add_test(NAME ${name} COMMAND ${ARG_COMMAND})
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
  if(ARG_PROCESSORS)
    set_tests_properties(${name} PROPERTIES PROCESSORS ${ARG_PROCESSORS})
  endif()
  if(ARG_RUN_SERIAL)
    set_tests_properties(${name} PROPERTIES RUN_SERIAL TRUE)
  endif()
  if(DEFINED ARG_SKIP_RETURN_CODE)
    set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE ${ARG_SKIP_RETURN_CODE})
  endif()
  if(ARG_ENVIRONMENT)
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "${ARG_ENVIRONMENT}")
  endif()
endfunction()
