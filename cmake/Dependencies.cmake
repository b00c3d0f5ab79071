# Finds every dependency. LibTorch comes from the PyPI torch wheel in the project's Python
# environment (launch/setup.sh); everything else from Debian packages.

set(PATHODINO_PYTHON "${CMAKE_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH
    "Python of the project environment (provides LibTorch); made by launch/setup.sh")
if(NOT EXISTS "${PATHODINO_PYTHON}")
  message(FATAL_ERROR "No Python environment at ${PATHODINO_PYTHON}: run launch/setup.sh first")
endif()
execute_process(
  COMMAND "${PATHODINO_PYTHON}" -c "import torch, os; print(torch.utils.cmake_prefix_path)"
  OUTPUT_VARIABLE _torch_prefix OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "${PATHODINO_PYTHON} cannot import torch: run launch/setup.sh")
endif()
get_filename_component(PATHODINO_SITE_PACKAGES "${_torch_prefix}/../../.." ABSOLUTE)
list(APPEND CMAKE_PREFIX_PATH "${_torch_prefix}")

# CUDA: the toolkit is needed at configure time by a CUDA build of LibTorch; GPU code is compiled
# whenever the toolchain allows, whether or not a GPU is present when the program runs.
find_package(CUDAToolkit QUIET)
if(CUDAToolkit_FOUND)
  # No GPU to detect architectures from: name the ones we build for (Ampere, Hopper).
  set(TORCH_CUDA_ARCH_LIST "8.0;9.0" CACHE STRING "CUDA architectures for LibTorch's CMake")
endif()
find_package(Torch REQUIRED)
set(PATHODINO_TORCH_VERSION "${Torch_VERSION}")
set(PATHODINO_TORCH_CUDA OFF)
if(TARGET torch_cuda OR TORCH_CUDA_LIBRARIES)
  set(PATHODINO_TORCH_CUDA ON)
endif()

# NCCL: prefer the copy the torch wheel loads (one libnccl.so.2 per process), then the toolkit's.
find_path(NCCL_INCLUDE_DIR nccl.h
  HINTS "${PATHODINO_SITE_PACKAGES}/nvidia/nccl/include" ${CUDAToolkit_INCLUDE_DIRS})
find_library(NCCL_LIBRARY NAMES libnccl.so.2 nccl NAMES_PER_DIR
  HINTS "${PATHODINO_SITE_PACKAGES}/nvidia/nccl/lib" ${CUDAToolkit_LIBRARY_DIR})
set(PATHODINO_WITH_CUDA OFF)
if(PATHODINO_TORCH_CUDA AND CUDAToolkit_FOUND AND NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
  set(PATHODINO_WITH_CUDA ON)
  file(STRINGS "${NCCL_INCLUDE_DIR}/nccl.h" _nccl_ver REGEX "#define NCCL_(MAJOR|MINOR|PATCH) ")
  string(REGEX REPLACE ".*NCCL_MAJOR ([0-9]+).*NCCL_MINOR ([0-9]+).*NCCL_PATCH ([0-9]+).*"
         "\\1.\\2.\\3" PATHODINO_NCCL_VERSION "${_nccl_ver}")
  add_library(pathodino::nccl UNKNOWN IMPORTED)
  set_target_properties(pathodino::nccl PROPERTIES IMPORTED_LOCATION "${NCCL_LIBRARY}"
                        INTERFACE_INCLUDE_DIRECTORIES "${NCCL_INCLUDE_DIR}")
endif()

find_package(MPI REQUIRED COMPONENTS C)
find_package(PkgConfig REQUIRED)
pkg_check_modules(OPENSLIDE REQUIRED IMPORTED_TARGET openslide)
find_package(yaml-cpp REQUIRED)
find_package(CLI11 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(GTest REQUIRED)

# The torch wheel ships its own fmt (12.x) under its include directory, which would shadow Debian's
# fmt 9 that libspdlog is built against. Every target sees Debian's fmt first.
set(_fmt_shim "${CMAKE_BINARY_DIR}/fmt-first")
file(MAKE_DIRECTORY "${_fmt_shim}")
file(CREATE_LINK "${fmt_DIR}/../../../../include/fmt" "${_fmt_shim}/fmt" SYMBOLIC)
add_library(pathodino_logging INTERFACE)
target_include_directories(pathodino_logging SYSTEM BEFORE INTERFACE "${_fmt_shim}")
target_link_libraries(pathodino_logging INTERFACE spdlog::spdlog fmt::fmt)

# cpp-httplib: each rank's Prometheus /metrics endpoint (prometheus-cpp is in neither registry;
# why not civetweb: trainer/metrics/metrics_server.h).
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
# OpenSSL's libcrypto: base64 of Pushgateway grouping labels (trainer/metrics/pushgateway.cpp),
# SHA-256 of the backbone named in every embedding file (trainer/embed/embed_archive.cpp).
find_package(OpenSSL REQUIRED COMPONENTS Crypto)

# HDF5 (Debian's libhdf5-dev, its C++ API): the per-slide embedding files of `pathodino embed`
# (trainer/embed/feature_file.h), the layout slide-level Python code reads with h5py.
find_package(HDF5 REQUIRED COMPONENTS C CXX)
# Clustering and similarity search of tile embeddings (`curate`): Debian libfaiss-dev, CPU.
# Its exported target names OpenMP::OpenMP_CXX without finding it.
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(faiss REQUIRED)
# The BLAS Faiss runs on, also the k-means++ seeding's matrix products (OpenBLAS: launch/setup.sh).
find_package(BLAS REQUIRED)

# cairo: the PNG plots of `pathodino sweep report` (trainer/sweep/line_plot.cpp).
pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET cairo)

# tcmalloc (gperftools, Debian's libgoogle-perftools-dev): the allocator of every pathodino process
# (trainer/system/heap_policy.h says why glibc's malloc is not).
pkg_check_modules(TCMALLOC REQUIRED IMPORTED_TARGET libtcmalloc_minimal)

# xxHash: checksums of parameters across ranks (and of checkpoint shards).
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)

# Image files: PNG and JPEG (image-folder sources, labelled tile sets), TIFF (synthetic slides, the
# fast tile path).
find_package(PNG REQUIRED)
find_package(TIFF REQUIRED)
find_package(JPEG REQUIRED)
pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)
