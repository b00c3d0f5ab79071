# ccache in front of the compilers, when installed (launch/setup.sh installs it). CI builds a fresh
# clone each time: with paths taken relative to the source tree (CCACHE_BASEDIR) and the build
# directory left out of the hash, a clone in another directory hits the objects an earlier clone
# compiled. The precompiled LibTorch header is cached as well (pch_defines, time_macros); ccache
# hashes the .gch into every object that uses it, so a changed header never reuses old objects.
option(PATHODINO_USE_CCACHE "compile through ccache when it is installed" ON)
find_program(PATHODINO_CCACHE ccache)
if(PATHODINO_USE_CCACHE AND PATHODINO_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(launcher ${CMAKE_COMMAND} -E env
      CCACHE_BASEDIR=${CMAKE_SOURCE_DIR} CCACHE_NOHASHDIR=1
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      ${PATHODINO_CCACHE})
  set(CMAKE_C_COMPILER_LAUNCHER ${launcher})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${launcher})
endif()
