# LibTorch from Debian's libtorch-dev. Everything torch-specific lives here:
# the package config, its quirks, and the precompiled header used by torch-heavy targets.
find_package(Torch REQUIRED)

# Debian's TorchConfig puts its flags in TORCH_CXX_FLAGS; wrap it all in one imported target
# so that consumers link corral::torch PRIVATE and never see the variables.
add_library(corral_torch INTERFACE)
add_library(corral::torch ALIAS corral_torch)
target_link_libraries(corral_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(corral_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
if(TORCH_CXX_FLAGS)
  separate_arguments(_corral_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(corral_torch INTERFACE ${_corral_torch_flags})
endif()

# Parsing <torch/torch.h> costs ~10 s per translation unit; targets that use torch in many
# files share one precompiled header.
function(corral_torch_precompiled_header target)
  target_precompile_headers(${target} PRIVATE <torch/torch.h>)
endfunction()
