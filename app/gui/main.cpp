// corral: the desktop application. Composition only: configure the engine, make the services
// (the job runner and the session controller, the one door into the session) and the window.
//
//   corral [PATH]    PATH: a project folder (NAME.corral) to open, or an image folder to start a
//                    new project from (the .desktop file passes the folders a user opens with it)
//   corral --help | --version   answered on stdout without opening a window or a display
#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QTimer>

#include <cstdio>
#include <cstring>

#include "corral/core/runtime.h"
#include "corral/ui/job_runner.h"
#include "corral/ui/main_window.h"
#include "corral/ui/session_controller.h"

namespace {

void describe(QCommandLineParser& parser) {
    parser.setApplicationDescription(QStringLiteral(
        "Corral groups a folder of images into clusters and refines them from the answers to a few questions."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("path"),
                                 QStringLiteral("A project folder (NAME.corral) to open, or an image folder to "
                                                "start a new project from."),
                                 QStringLiteral("[path]"));
}

void name_application() {
    QCoreApplication::setApplicationName(QStringLiteral("Corral"));
    QCoreApplication::setOrganizationName(QStringLiteral("Corral"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CORRAL_VERSION));
}

bool asks_for_text_only(int argc, char* argv[]) {
    for (int i = 1; i < argc; ++i) {
        for (const char* option : {"-h", "--help", "--help-all", "-v", "--version", "-?"}) {
            if (!std::strcmp(argv[i], option)) return true;
        }
    }
    return false;
}

}  // namespace

int main(int argc, char* argv[]) {
    if (asks_for_text_only(argc, argv)) {
        // A QCoreApplication connects to no window system: --help works over ssh, in a
        // terminal without a display, and prints instead of popping up a dialog.
        QCoreApplication text_only(argc, argv);
        name_application();
        QCommandLineParser parser;
        describe(parser);
        parser.process(text_only);  // prints and exits
        return 0;
    }
    QApplication application(argc, argv);  // takes Qt's own options (-platform, -style) out of argv
    name_application();
    QApplication::setDesktopFileName(QStringLiteral("corral"));
    QCommandLineParser parser;
    describe(parser);
    parser.process(application);  // an unknown option: a message and exit code 1
    const QStringList paths = parser.positionalArguments();
    QString path;
    if (!paths.isEmpty()) {
        path = QFileInfo(paths.front()).absoluteFilePath();
        if (!QFileInfo(path).isDir()) {
            std::fprintf(stderr, "corral: %s is not a folder: give a project folder (NAME.corral) or an image folder\n",
                         qPrintable(paths.front()));
            return 2;
        }
        for (qsizetype i = 1; i < paths.size(); ++i) {
            std::fprintf(stderr, "corral: opening %s; %s is left alone (one project at a time)\n", qPrintable(paths.front()),
                         qPrintable(paths[i]));
        }
    }
    corral::configure_runtime();
    // Declared in this order so that they go in the reverse one: the window, then the controller
    // (which cancels its jobs and waits for them: shutdown is the one wait), then the runner.
    corral::ui::JobRunner runner;
    corral::ui::SessionController controller(&runner);
    corral::ui::MainWindow window(&controller);
    window.show();
    // Once the event loop runs: the new-project dialog for an image folder is modal.
    if (!path.isEmpty()) QTimer::singleShot(0, &window, [&window, path] { window.open_path(path); });
    return QApplication::exec();
}
