// Test runner for the ui suite: one QApplication for all tests (offscreen platform under CTest).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <QApplication>
#include <QSettings>
#include <QTemporaryDir>

#include "corral/core/runtime.h"

int main(int argc, char* argv[]) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication application(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Corral tests"));
    QApplication::setOrganizationName(QStringLiteral("Corral"));
    // Settings (recent projects, window state) live in a folder of this process only: test
    // processes running side by side (ctest -j, several checkouts) would otherwise rewrite each
    // other's recent-project list between a test's write and its read.
    QTemporaryDir settings_folder;
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settings_folder.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settings_folder.path());
    // CORRAL_TORCH_THREADS=N sets LibTorch's thread count (scripts/tsan.sh: 1, since the
    // OpenMP pool's synchronisation is invisible to ThreadSanitizer); default: every core.
    corral::configure_runtime({qEnvironmentVariableIntValue("CORRAL_TORCH_THREADS")});
    return Catch::Session().run(argc, argv);
}
