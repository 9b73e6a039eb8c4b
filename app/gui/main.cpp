// corral: the desktop application. Composition only: configure the engine, build the window.
#include <QApplication>

#include "corral/core/runtime.h"
#include "corral/ui/main_window.h"

int main(int argc, char* argv[]) {
    QApplication application(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Corral"));
    QApplication::setOrganizationName(QStringLiteral("Corral"));
    QApplication::setDesktopFileName(QStringLiteral("corral"));
    corral::configure_runtime();
    corral::ui::MainWindow window;
    window.show();
    return QApplication::exec();
}
