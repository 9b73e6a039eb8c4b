# Warnings, ccache and sanitizers for every Corral target.
if(CORRAL_USE_CCACHE)
  find_program(CORRAL_CCACHE ccache)
  if(CORRAL_CCACHE)
    # base_dir makes paths relative so that checkouts in other folders share cache entries;
    # the sloppiness settings let precompiled headers be cached at all.
    set(CMAKE_CXX_COMPILER_LAUNCHER
        ${CMAKE_COMMAND} -E env CCACHE_BASEDIR=${CMAKE_SOURCE_DIR}
        CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime ${CORRAL_CCACHE})
  endif()
endif()

add_library(corral_warnings INTERFACE)
add_library(corral::warnings ALIAS corral_warnings)
target_compile_options(corral_warnings INTERFACE -Wall -Wextra -Wno-unused-parameter)
# Qt's `slots`/`signals` keywords clash with torch headers; Qt code uses Q_SLOTS/Q_SIGNALS.
target_compile_definitions(corral_warnings INTERFACE QT_NO_KEYWORDS)

if(CORRAL_SANITIZE STREQUAL "thread")
  # Every Corral target is instrumented; Qt, LibTorch, OpenBLAS and the system libraries are not
  # (tests/tsan.supp names only their frames).
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(CORRAL_SANITIZE STREQUAL "address" OR CORRAL_SANITIZE STREQUAL "ON")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(CORRAL_SANITIZE AND NOT CORRAL_SANITIZE STREQUAL "OFF")
  message(FATAL_ERROR "CORRAL_SANITIZE=${CORRAL_SANITIZE}: use OFF, address or thread")
endif()
