#include "corral/ui/main_window.h"

#include <QIcon>

#include "welcome_view.h"

namespace corral::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("Corral"));
    setWindowIcon(QIcon(QStringLiteral(":/corral/icons/corral.svg")));
    setCentralWidget(new WelcomeView(this));
    resize(1100, 760);
}

}  // namespace corral::ui
