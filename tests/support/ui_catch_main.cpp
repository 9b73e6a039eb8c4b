// Test runner for the ui suite: one QApplication for all tests (offscreen platform under CTest).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <QApplication>

#include "corral/core/runtime.h"

int main(int argc, char* argv[]) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication application(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Corral tests"));
    QApplication::setOrganizationName(QStringLiteral("Corral"));
    corral::configure_runtime();
    return Catch::Session().run(argc, argv);
}
