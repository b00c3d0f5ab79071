# Run at every build (`cmake -P`, from the pathodino_commit target): writes the git commit of the
# source tree into OUT as PATHODINO_COMMIT ("<sha>", "<sha>-dirty" with uncommitted changes to
# tracked files, "unknown" outside a git checkout). configure_file rewrites OUT only when the text
# changes, so an unchanged commit recompiles nothing.
cmake_minimum_required(VERSION 3.25)  # a script run with -P sets its own policies
execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse HEAD OUTPUT_VARIABLE commit
                OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
else()
  execute_process(COMMAND git -C "${SOURCE_DIR}" diff --quiet HEAD -- RESULT_VARIABLE dirty
                  ERROR_QUIET)
  if(NOT dirty EQUAL 0)
    string(APPEND commit "-dirty")
  endif()
endif()
file(WRITE "${OUT}.in" "#pragma once\n#define PATHODINO_COMMIT \"@commit@\"\n")
configure_file("${OUT}.in" "${OUT}" @ONLY)
