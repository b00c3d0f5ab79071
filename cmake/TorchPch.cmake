# One precompiled header for LibTorch, built once and reused by every target that uses LibTorch.
# torch/torch.h costs ~15 s per translation unit on these machines without it.

add_library(pathodino_torch_pch OBJECT "${CMAKE_CURRENT_LIST_DIR}/torch_pch.cpp")
target_link_libraries(pathodino_torch_pch PUBLIC pathodino_logging ${TORCH_LIBRARIES})
target_compile_options(pathodino_torch_pch PUBLIC ${TORCH_CXX_FLAGS})
target_precompile_headers(pathodino_torch_pch PRIVATE "${CMAKE_CURRENT_LIST_DIR}/torch_pch.h")

# Links `target` against LibTorch and gives it the shared precompiled header.
function(pathodino_use_torch target)
  target_link_libraries(${target} PUBLIC pathodino_logging ${TORCH_LIBRARIES})
  target_precompile_headers(${target} REUSE_FROM pathodino_torch_pch)
endfunction()
