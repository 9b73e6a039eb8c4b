#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "corral/core/runtime.h"

int main(int argc, char* argv[]) {
    corral::configure_runtime();
    return Catch::Session().run(argc, argv);
}
