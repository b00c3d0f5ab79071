# The layer order of ARCHITECTURE.md, enforced by the build: `layer_check` (part of `all`) runs
# cmake/check_layers.py whenever a source under data/, models/ or trainer/ changes, and fails the
# build when one includes a header of a layer it does not declare.
file(GLOB_RECURSE pathodino_layered_sources CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/data/*.h ${CMAKE_SOURCE_DIR}/data/*.cpp
     ${CMAKE_SOURCE_DIR}/models/*.h ${CMAKE_SOURCE_DIR}/models/*.cpp
     ${CMAKE_SOURCE_DIR}/trainer/*.h ${CMAKE_SOURCE_DIR}/trainer/*.cpp)
set(pathodino_layer_stamp ${CMAKE_BINARY_DIR}/layer_check.stamp)
add_custom_command(
  OUTPUT ${pathodino_layer_stamp}
  COMMAND ${PATHODINO_PYTHON} ${CMAKE_SOURCE_DIR}/cmake/check_layers.py ${CMAKE_SOURCE_DIR}
          --stamp ${pathodino_layer_stamp}
  DEPENDS ${CMAKE_SOURCE_DIR}/cmake/check_layers.py ${pathodino_layered_sources}
  COMMENT "Checking that includes follow the layer order (ARCHITECTURE.md)"
  VERBATIM)
add_custom_target(layer_check ALL DEPENDS ${pathodino_layer_stamp})
