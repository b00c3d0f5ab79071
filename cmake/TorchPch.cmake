# One precompiled header for LibTorch, built once and reused by every target that uses LibTorch.
# torch/torch.h costs ~15 s per translation unit on these machines without it.

# The torch wheel's libtorch.so exports its own copies of some std::filesystem functions
# (remove_all, resize_file, ...), which crash when they win symbol resolution. Listing libstdc++
# before LibTorch makes it the earlier DT_NEEDED entry, so its definitions are the ones bound.
set(PATHODINO_STDCXX_FIRST "-Wl,--push-state,--no-as-needed" stdc++ "-Wl,--pop-state")

# Note [LibTorch's BLAS first]: libtorch_cpu carries LibTorch's BLAS (MKL) and exports its
# sgemm_. A process that also loads the system BLAS (Faiss's, for curation) binds every sgemm_
# call, LibTorch's own matrix products included, to whichever library comes first in DT_NEEDED;
# with the system BLAS first, every backbone forward runs on OpenBLAS, which falls back to a
# generic SSE kernel on CPUs it does not recognise (benchmarks/RESULTS.md). Naming libstdc++ and
# then libtorch_cpu before anything else on the link line binds both to LibTorch's BLAS, which
# Faiss calls through the same Fortran interface. `pathodino doctor` prints where sgemm_ is bound.
set(PATHODINO_TORCH_BLAS_FIRST
    "SHELL:-Wl,--push-state,--no-as-needed -lstdc++ $<TARGET_FILE:torch_cpu> -Wl,--pop-state")

add_library(pathodino_torch_pch OBJECT "${CMAKE_CURRENT_LIST_DIR}/torch_pch.cpp")
target_link_libraries(pathodino_torch_pch PUBLIC pathodino_logging ${PATHODINO_STDCXX_FIRST} ${TORCH_LIBRARIES})
target_compile_options(pathodino_torch_pch PUBLIC ${TORCH_CXX_FLAGS})
target_precompile_headers(pathodino_torch_pch PRIVATE "${CMAKE_CURRENT_LIST_DIR}/torch_pch.h")

# Links `target` against LibTorch and gives it the shared precompiled header.
function(pathodino_use_torch target)
  target_link_libraries(${target} PUBLIC pathodino_logging ${PATHODINO_STDCXX_FIRST} ${TORCH_LIBRARIES})
  target_link_options(${target} PUBLIC "${PATHODINO_TORCH_BLAS_FIRST}")
  target_precompile_headers(${target} REUSE_FROM pathodino_torch_pch)
endfunction()
