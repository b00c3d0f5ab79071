# One precompiled header for LibTorch, built once and reused by every target that uses LibTorch.
# torch/torch.h costs ~15 s per translation unit on these machines without it.

# The torch wheel's libtorch.so exports its own copies of some std::filesystem functions
# (remove_all, resize_file, ...), which crash when they win symbol resolution. Listing libstdc++
# before LibTorch makes it the earlier DT_NEEDED entry, so its definitions are the ones bound.
set(PATHODINO_STDCXX_FIRST "-Wl,--push-state,--no-as-needed" stdc++ "-Wl,--pop-state")

add_library(pathodino_torch_pch OBJECT "${CMAKE_CURRENT_LIST_DIR}/torch_pch.cpp")
target_link_libraries(pathodino_torch_pch PUBLIC pathodino_logging ${PATHODINO_STDCXX_FIRST} ${TORCH_LIBRARIES})
target_compile_options(pathodino_torch_pch PUBLIC ${TORCH_CXX_FLAGS})
target_precompile_headers(pathodino_torch_pch PRIVATE "${CMAKE_CURRENT_LIST_DIR}/torch_pch.h")

# Links `target` against LibTorch and gives it the shared precompiled header.
function(pathodino_use_torch target)
  target_link_libraries(${target} PUBLIC pathodino_logging ${PATHODINO_STDCXX_FIRST} ${TORCH_LIBRARIES})
  target_precompile_headers(${target} REUSE_FROM pathodino_torch_pch)
endfunction()
