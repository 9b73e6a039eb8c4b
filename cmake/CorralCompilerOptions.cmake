# Warnings, ccache and sanitizers for every Corral target.
if(CORRAL_USE_CCACHE)
  find_program(CORRAL_CCACHE ccache)
  if(CORRAL_CCACHE)
    set(CMAKE_CXX_COMPILER_LAUNCHER "${CORRAL_CCACHE}")
  endif()
endif()

add_library(corral_warnings INTERFACE)
add_library(corral::warnings ALIAS corral_warnings)
target_compile_options(corral_warnings INTERFACE -Wall -Wextra -Wno-unused-parameter)
# Qt's `slots`/`signals` keywords clash with torch headers; Qt code uses Q_SLOTS/Q_SIGNALS.
target_compile_definitions(corral_warnings INTERFACE QT_NO_KEYWORDS)

if(CORRAL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
