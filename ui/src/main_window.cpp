#include "corral/ui/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QIcon>
#include <QInputDialog>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTimer>
#include <QUndoStack>

#include "aspect_clustering_dialog.h"
#include "corral/core/project.h"
#include "corral/core/project_export.h"
#include "corral/ui/job_runner.h"
#include "job_status_widget.h"
#include "new_project_dialog.h"
#include "project_locations.h"
#include "project_view.h"
#include "recent_projects.h"
#include "resources.h"
#include "corral/ui/session_controller.h"
#include "shortcut_sheet.h"
#include "theme.h"
#include "user_guide_dialog.h"
#include "welcome_view.h"

namespace corral::ui {
namespace {

// Errors after which a listed project will not open next time either: it leaves the list.
bool stays_unopenable(ErrorCode code) {
    return code == ErrorCode::not_found || code == ErrorCode::corrupt_data || code == ErrorCode::invalid_argument;
}

}  // namespace

MainWindow::MainWindow() : owned_runner_(std::make_unique<JobRunner>()) {
    owned_controller_ = std::make_unique<SessionController>(owned_runner_.get());
    controller_ = owned_controller_.get();
    runner_ = controller_->runner();
    build();
}

MainWindow::MainWindow(SessionController* controller, QWidget* parent)
    : QMainWindow(parent), controller_(controller), runner_(controller->runner()) {
    build();
}

void MainWindow::build() {
    initialize_resources();
    apply_theme(stored_theme());
    setWindowTitle(tr("Corral"));
    setWindowIcon(QIcon(QStringLiteral(":/corral/icons/corral.svg")));
    setAcceptDrops(true);
    pages_ = new QStackedWidget(this);
    welcome_ = new WelcomeView(pages_);
    pages_->addWidget(welcome_);
    setCentralWidget(pages_);
    job_status_ = new JobStatusWidget(runner_, this);
    statusBar()->addPermanentWidget(job_status_);
    build_menus();
    if (const QStringList missing = recent_projects::remove_missing(); !missing.isEmpty()) {
        welcome_->show_notice(missing.size() == 1
                                  ? tr("%1 no longer exists and was taken off the recent projects.")
                                        .arg(QDir::toNativeSeparators(missing.front()))
                                  : tr("%1 recent projects no longer exist and were taken off the list.").arg(missing.size()));
    }
    refresh_recent();

    connect(welcome_, &WelcomeView::new_project_requested, this, &MainWindow::ask_new_project);
    connect(welcome_, &WelcomeView::open_project_requested, this, [this](const QString& folder) {
        if (folder.isEmpty()) ask_open_project(); else open_project(folder);
    });
    connect(controller_, &SessionController::preview_ready, this, &MainWindow::show_project_view);
    connect(controller_, &SessionController::session_opened, this, &MainWindow::on_session_opened);
    connect(controller_, &SessionController::session_closed, this, &MainWindow::on_session_closed);
    connect(controller_, &SessionController::open_failed, this, &MainWindow::on_open_failed);
    connect(controller_, &SessionController::busy_changed, this, &MainWindow::update_actions);
    connect(welcome_, &WelcomeView::remove_recent_requested, this, [this](const QString& folder) {
        recent_projects::remove(folder);
        refresh_recent();
        welcome_->show_notice(tr("%1 was taken off the list (the project itself is untouched).")
                                  .arg(QFileInfo(folder).fileName()));
    });
    connect(controller_, &SessionController::status_message, this,
            [this](const QString& message) { statusBar()->showMessage(message, 8000); });
    connect(controller_, &SessionController::error_occurred, this, &MainWindow::show_problem);

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    if (!settings.contains(QStringLiteral("window/geometry"))) resize(1200, 800);
}

MainWindow::~MainWindow() {
    // The pages (also a project view waiting for deleteLater) hold the controller: they go
    // before an owned controller does, which is before the QWidget base deletes the children.
    delete pages_;
    project_view_ = nullptr;
}

void MainWindow::show_problem(const QString& title, const QString& message) {
    statusBar()->showMessage(title + QStringLiteral(": ") + message, 15000);
    // Window-modal but without a nested event loop: jobs and timers go on while it shows.
    auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("problem_box"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::build_menus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* new_from_folder = file->addAction(tr("&New Project from Folder…"), this, [this] { ask_new_project(QString()); });
    new_from_folder->setShortcut(QKeySequence::New);
    file->addAction(tr("New Project with &Fashion-MNIST…"), this, [this] { ask_new_project(QStringLiteral("fashion-mnist")); });
    QAction* open = file->addAction(tr("&Open Project…"), this, &MainWindow::ask_open_project);
    open->setShortcut(QKeySequence::Open);
    recent_menu_ = file->addMenu(tr("Open &Recent"));
    recent_menu_->setToolTipsVisible(true);
    file->addSeparator();
    QMenu* export_menu = file->addMenu(tr("&Export Clusters"));
    project_actions_ << export_menu->menuAction();
    export_menu->addAction(tr("As &CSV…"), this, [this] { export_clustering(QStringLiteral("csv")); });
    export_menu->addAction(tr("As &JSON…"), this, [this] { export_clustering(QStringLiteral("json")); });
    export_menu->addAction(tr("As a &Folder Tree…"), this, [this] { export_clustering(QStringLiteral("folder")); });
    close_action_ = file->addAction(tr("&Close Project"), controller_, &SessionController::close_project);
    close_action_->setShortcut(QKeySequence::Close);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    // Some platforms have no standard Quit key (Windows, the offscreen platform): Ctrl+Q everywhere.
    quit->setShortcut(QKeySequence(QKeySequence::Quit).isEmpty() ? QKeySequence(Qt::CTRL | Qt::Key_Q) : QKeySequence(QKeySequence::Quit));

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    // One history for answers, moves, renames and merges, from every tab. The actions live on the
    // window (not only in the menu) so their shortcuts work wherever the focus is; a text field
    // with focus keeps Ctrl+Z for its own text.
    QUndoStack* stack = controller_->undo_stack();
    undo_action_ = edit->addAction(tr("&Undo"), controller_, &SessionController::undo);
    undo_action_->setShortcut(QKeySequence::Undo);
    redo_action_ = edit->addAction(tr("&Redo"), controller_, &SessionController::redo);
    {
        // The platform's redo keys plus Ctrl+Shift+Z, each once: on X11 the platform list already
        // holds Ctrl+Shift+Z, and the same key twice on one action is an ambiguous shortcut.
        auto keys = QKeySequence::keyBindings(QKeySequence::Redo);
        const QKeySequence shift_z(Qt::CTRL | Qt::SHIFT | Qt::Key_Z);
        if (!keys.contains(shift_z)) keys.append(shift_z);
        redo_action_->setShortcuts(keys);
    }
    for (QAction* action : {undo_action_, redo_action_}) {
        action->setShortcutContext(Qt::WindowShortcut);
        addAction(action);
    }
    const auto update_undo = [this, stack] {
        undo_action_->setEnabled(stack->canUndo());
        undo_action_->setText(stack->canUndo() ? tr("&Undo %1").arg(stack->undoText()) : tr("&Undo"));
        redo_action_->setEnabled(stack->canRedo());
        redo_action_->setText(stack->canRedo() ? tr("&Redo %1").arg(stack->redoText()) : tr("&Redo"));
    };
    connect(stack, &QUndoStack::indexChanged, this, update_undo);
    connect(stack, &QUndoStack::cleanChanged, this, update_undo);
    connect(stack, &QUndoStack::undoTextChanged, this, update_undo);
    connect(stack, &QUndoStack::redoTextChanged, this, update_undo);
    update_undo();
    edit->addSeparator();
    // Ctrl+F: the image the shown tab is on (the grid's current one, the map's under the pointer,
    // the question's); "S" stays the questions' Skip.
    QAction* find_similar = edit->addAction(tr("Find &Similar Images"), this, [this] {
        if (project_view_ && !project_view_->find_similar_to_current()) {
            statusBar()->showMessage(tr("Choose an image first: in the grid, under the pointer on the map, or a question."), 8000);
        }
    });
    find_similar->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_F));
    QAction* text_search = edit->addAction(tr("Search Images by &Text…"), this, [this] {
        if (project_view_) project_view_->focus_text_search();
    });
    text_search->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F));
    project_actions_ << find_similar << text_search;

    QMenu* round = menuBar()->addMenu(tr("&Round"));
    QAction* start = round->addAction(tr("&Ask Me Questions"), controller_, &SessionController::start_round);
    start->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    QAction* fine_tune = round->addAction(tr("&Learn from My Answers Now"), controller_, &SessionController::fine_tune);
    fine_tune->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    // The job the status bar shows, not every job: Esc on a k-means must not stop a long training too.
    QAction* cancel = round->addAction(tr("&Cancel Running Job"), job_status_, &JobStatusWidget::cancel_shown);
    cancel->setShortcut(QKeySequence(Qt::Key_Escape));
    project_actions_ << start << fine_tune;

    QMenu* clusterings = menuBar()->addMenu(tr("C&lusterings"));
    QAction* new_aspect = clusterings->addAction(tr("&New Aspect Clustering…"), this, &MainWindow::ask_new_aspect_clustering);
    new_aspect->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    QAction* rename_clustering = clusterings->addAction(tr("&Rename Clustering…"), this, &MainWindow::ask_rename_clustering);
    project_actions_ << new_aspect << rename_clustering;

    QMenu* view = menuBar()->addMenu(tr("&View"));
    QAction* questions = view->addAction(tr("&Questions"), this, [this] { if (project_view_) project_view_->show_queries(); });
    questions->setShortcut(QKeySequence(Qt::ALT | Qt::Key_1));
    QAction* clusters = view->addAction(tr("&Clusters"), this, [this] { if (project_view_) project_view_->show_clusters(); });
    clusters->setShortcut(QKeySequence(Qt::ALT | Qt::Key_2));
    QAction* metrics = view->addAction(tr("&Metrics"), this, [this] { if (project_view_) project_view_->show_metrics(); });
    metrics->setShortcut(QKeySequence(Qt::ALT | Qt::Key_3));
    QAction* map = view->addAction(tr("M&ap"), this, [this] { if (project_view_) project_view_->show_map(); });
    map->setShortcut(QKeySequence(Qt::ALT | Qt::Key_4));
    view_actions_ << questions << clusters << metrics << map;
    view->addSeparator();
    QMenu* theme_menu = view->addMenu(tr("&Theme"));
    theme_menu->menuAction()->setObjectName(QStringLiteral("theme_menu"));
    auto* themes = new QActionGroup(this);
    const Theme chosen = current_theme();
    for (const auto& [theme, label] : {std::pair{Theme::system, tr("&System")}, std::pair{Theme::light, tr("&Light")},
                                       std::pair{Theme::dark, tr("&Dark")}}) {
        QAction* action = theme_menu->addAction(label, this, [theme = theme] { apply_theme(theme); });
        action->setObjectName(QStringLiteral("theme_") + theme_key(theme));
        action->setCheckable(true);
        action->setChecked(theme == chosen);
        themes->addAction(action);
    }

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* shortcuts = help->addAction(tr("&Keyboard Shortcuts"), this, &MainWindow::show_shortcuts);
    shortcuts->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&User Guide"), this, &MainWindow::show_user_guide)->setObjectName(QStringLiteral("user_guide"));
    help->addAction(tr("&About Corral"), this, [this] {
        QMessageBox::about(this, tr("About Corral"),
                           tr("<h3>Corral %1</h3><p>Interactive deep clustering of image collections: IDC value "
                              "mining and feedback fine-tuning, Multi-Sub clusterings by aspect.</p>")
                               .arg(QApplication::applicationVersion()));
    });
    update_actions();
}

void MainWindow::ask_new_project(const QString& dataset_spec) {
    NewProjectDialog dialog(dataset_spec, this);  // picks the folder itself; empty: the last one
    run_new_project_dialog(dialog);
}

void MainWindow::run_new_project_dialog(NewProjectDialog& dialog) {
    if (dialog.exec() != QDialog::Accepted) return;
    QDir().mkpath(QFileInfo(dialog.project_folder()).absolutePath());
    new_project_folder_ = dialog.project_folder();
    new_project_settings_ = std::make_unique<SessionSettings>(dialog.settings());
    controller_->create_project(dialog.project_folder(), dialog.settings(), dialog.feature_learning());
}

void MainWindow::create_project_with_defaults(const QString& dataset_spec, const QString& project_folder) {
    NewProjectDialog dialog(dataset_spec, this);
    QDir().mkpath(QFileInfo(project_folder).absolutePath());
    controller_->create_project(project_folder, dialog.settings());
}

void MainWindow::ask_open_project() {
    const QString folder =
        QFileDialog::getExistingDirectory(this, tr("Open a Corral project (a .corral folder)"), default_projects_folder());
    if (!folder.isEmpty()) open_project(folder);
}

void MainWindow::open_project(const QString& folder) {
    welcome_->show_notice({});
    controller_->open_project(folder);
    update_actions();
}

void MainWindow::show_project_view(std::shared_ptr<const Dataset> dataset) {
    if (project_view_) {
        pages_->removeWidget(project_view_);
        project_view_->deleteLater();
    }
    project_view_ = new ProjectView(controller_, std::move(dataset), pages_);
    connect(project_view_, &ProjectView::new_aspect_clustering_requested, this, &MainWindow::ask_new_aspect_clustering);
    connect(project_view_, &ProjectView::rename_clustering_requested, this, &MainWindow::ask_rename_clustering);
    pages_->addWidget(project_view_);
    pages_->setCurrentWidget(project_view_);
    update_actions();
}

void MainWindow::on_session_opened() {
    new_project_settings_.reset();
    // The session's dataset is the validated one; the preview may have listed files since skipped.
    show_project_view(controller_->dataset());
    recent_projects::add(controller_->project_folder());
    refresh_recent();
    welcome_->show_notice({});
    setWindowTitle(tr("%1 — Corral").arg(QFileInfo(controller_->project_folder()).fileName()));
    project_view_->show_queries();
}

void MainWindow::show_welcome() {
    if (project_view_) {
        pages_->removeWidget(project_view_);
        project_view_->deleteLater();
        project_view_ = nullptr;
    }
    refresh_recent();
    pages_->setCurrentWidget(welcome_);
    setWindowTitle(tr("Corral"));
    update_actions();
}

void MainWindow::on_session_closed() { show_welcome(); }

void MainWindow::on_open_failed(const QString& folder, const QString& message, ErrorCode code) {
    show_welcome();
    const QString name = QFileInfo(folder).fileName();
    const bool cancelled = code == ErrorCode::cancelled;
    const bool left_behind = QFileInfo::exists(folder);
    QString notice = cancelled ? (left_behind ? tr("Opening %1 was cancelled.").arg(name)
                                              : tr("Building %1 was cancelled; nothing was left behind.").arg(name))
                               : tr("%1 could not be opened: %2").arg(name, message);
    if ((!left_behind || (!cancelled && stays_unopenable(code))) && recent_projects::remove(folder)) {
        notice += QLatin1Char(' ') + tr("It was taken off the recent projects.");
        refresh_recent();
    }
    welcome_->show_notice(notice);
    statusBar()->showMessage(notice, 15000);
    std::unique_ptr<SessionSettings> chosen = std::move(new_project_settings_);
    if (chosen && folder == new_project_folder_ && !cancelled) {
        // A build that failed: the dialog again, every value kept and the error in it.
        QTimer::singleShot(0, this, [this, chosen = std::shared_ptr<SessionSettings>(std::move(chosen)), folder, message] {
            NewProjectDialog dialog(*chosen, folder, message, this);
            run_new_project_dialog(dialog);
        });
        return;
    }
    if (!cancelled) show_problem(tr("Could not open %1").arg(name), message);
}

void MainWindow::update_actions() {
    const bool open = controller_->has_session();
    for (QAction* action : project_actions_) action->setEnabled(open);
    // While a project is built its tabs are shown already; Close stops the build.
    for (QAction* action : view_actions_) action->setEnabled(project_view_ != nullptr);
    close_action_->setEnabled(open || controller_->opening());
}

void MainWindow::export_clustering(const QString& format) {
    if (!controller_->has_session()) return;
    // The file dialogs do not confirm replacing: export_clustering_to asks, and core refuses
    // what must never be replaced (the project itself, a folder that is not an earlier export).
    const QString output =
        format == QStringLiteral("folder")
            ? QFileDialog::getSaveFileName(this, tr("Export into a new folder"), QStringLiteral("clusters"), QString(),
                                           nullptr, QFileDialog::DontConfirmOverwrite)
            : QFileDialog::getSaveFileName(this, tr("Export clusters"), QStringLiteral("clusters.") + format, QString(),
                                           nullptr, QFileDialog::DontConfirmOverwrite);
    if (!output.isEmpty()) export_clustering_to(format, output);
}

void MainWindow::export_clustering_to(const QString& format, const QString& output) {
    if (!controller_->has_session()) return;
    ExportOptions options;
    options.format = format == QStringLiteral("csv") ? ExportFormat::csv
                     : format == QStringLiteral("json") ? ExportFormat::json : ExportFormat::folder;
    if (options.format == ExportFormat::folder) {
        QMessageBox choice(QMessageBox::Question, tr("Export as a folder tree"),
                           tr("One folder per cluster. Should the folders hold links to your images (small, but they "
                              "break when the images move) or copies of them?"),
                           QMessageBox::Cancel, this);
        QPushButton* links = choice.addButton(tr("&Links"), QMessageBox::AcceptRole);
        QPushButton* copies = choice.addButton(tr("&Copies"), QMessageBox::AcceptRole);
        choice.setDefaultButton(links);
        choice.exec();
        if (choice.clickedButton() != links && choice.clickedButton() != copies) return;
        options.copy_files = choice.clickedButton() == copies;
    }
    const QFileInfo target(output);
    const bool occupied = target.exists() && (!target.isDir() || !QDir(output).isEmpty());
    if (occupied) {
        const auto answer = QMessageBox::question(
            this, tr("Replace?"),
            tr("%1 already exists. Replace it with this export?").arg(QDir::toNativeSeparators(output)),
            QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
        if (answer != QMessageBox::Yes) return;
        options.overwrite = true;
    }
    options.output = output.toStdString();
    controller_->export_clustering(options, this, [this, output](Expected<ExportReport> report) {
            if (!report) {
                if (report.error().code == ErrorCode::cancelled) {
                    statusBar()->showMessage(tr("Export cancelled."), 8000);
                    return;
                }
                show_problem(tr("Export failed"), QString::fromStdString(report.error().message));
                return;
            }
            statusBar()->showMessage(tr("Exported %1 images to %2 (%3 skipped).")
                                         .arg(report->images_written).arg(output).arg(report->skipped.size()), 10000);
        });
}

AspectClusteringDialog* MainWindow::open_aspect_clustering_dialog() {
    const auto clustering = controller_->clustering_view();
    if (!controller_->has_session() || !clustering) return nullptr;
    QStringList names;
    for (const auto& entry : controller_->clusterings()) names << entry.name;
    auto* dialog = new AspectClusteringDialog(names, controller_->summary().clusters, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] { controller_->create_aspect_clustering(dialog->request()); });
    dialog->open();  // window-modal without a nested event loop: the UI never waits on it
    return dialog;
}

void MainWindow::ask_new_aspect_clustering() { open_aspect_clustering_dialog(); }

void MainWindow::ask_rename_clustering() {
    const auto clustering = controller_->clustering_view();
    if (!clustering) return;
    const auto id = clustering->id;
    bool ok = false;
    const QString name = QInputDialog::getText(this, tr("Rename clustering"), tr("New name:"), QLineEdit::Normal,
                                               clustering->name, &ok);
    if (ok && !name.trimmed().isEmpty()) controller_->rename_clustering(id, name);
}

void MainWindow::show_shortcuts() { ShortcutSheet(this).exec(); }

UserGuideDialog* MainWindow::show_user_guide() {
    // One guide window, beside the main one (not modal): it is read while working.
    if (!user_guide_) {
        user_guide_ = new UserGuideDialog(this);
        user_guide_->setAttribute(Qt::WA_DeleteOnClose);
    }
    user_guide_->show();
    user_guide_->raise();
    user_guide_->activateWindow();
    return user_guide_;
}

void MainWindow::refresh_recent() {
    const QStringList folders = recent_projects::folders();
    welcome_->set_recent_projects(folders);
    recent_menu_->clear();
    for (const QString& folder : folders) {
        recent_menu_->addAction(QFileInfo(folder).fileName(), this, [this, folder] { open_project(folder); })
            ->setToolTip(QDir::toNativeSeparators(folder));
    }
    recent_menu_->setEnabled(!recent_menu_->isEmpty());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (!closing_) {
        QSettings settings;
        settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
        settings.setValue(QStringLiteral("window/state"), saveState());
    }
    if (!runner_->busy()) {
        event->accept();
        return;
    }
    // Answers are already committed; stopping the running jobs loses nothing. Closing the
    // project first drops their results, as quitting did when it waited for them: a training
    // stays "training" and continues when the project is next opened. The window stays
    // (disabled) until the jobs have returned, so that the application quits with no job holding
    // the project, and the UI thread never blocks on one.
    event->ignore();
    if (closing_) return;
    closing_ = true;
    controller_->close_project();
    runner_->cancel_all();
    setEnabled(false);
    statusBar()->showMessage(tr("Closing: stopping the running jobs…"));
    connect(runner_, &JobRunner::job_finished, this, [this] {
        if (!runner_->busy()) QTimer::singleShot(0, this, &QWidget::close);
    });
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

bool MainWindow::is_project_folder(const QString& path) {
    const QFileInfo info(path);
    return info.isDir() && (info.suffix() == QStringLiteral("corral") || QFileInfo::exists(path + QStringLiteral("/project.sqlite")));
}

void MainWindow::open_path(const QString& path) {
    const QFileInfo info(path);
    if (is_project_folder(path)) open_project(info.absoluteFilePath());
    else if (info.isDir()) ask_new_project(QStringLiteral("folder:") + info.absoluteFilePath());
}

void MainWindow::dropEvent(QDropEvent* event) {
    for (const QUrl& url : event->mimeData()->urls()) {
        const QFileInfo info(url.toLocalFile());
        if (!info.isDir()) continue;
        open_path(info.absoluteFilePath());
        return;
    }
}

}  // namespace corral::ui
