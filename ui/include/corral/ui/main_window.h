#pragma once
// The application window. It assembles the welcome screen, the project view, menus and the
// status bar, and keeps window state and recent projects in QSettings. Engine work goes
// through the SessionController, which the application makes (app/gui/main.cpp) with its
// JobRunner and passes in; the window owns no engine logic.
//
// Closing the window never waits on the UI thread: with jobs running it cancels them, ignores
// the close, and closes once the last one has returned (answers and corrections are committed
// as they are made, so nothing is lost; a training keeps its checkpoint).
#include <QMainWindow>
#include <QPointer>

#include <memory>

#include "corral/core/expected.h"

class QStackedWidget;
class QMenu;

namespace corral {
class Dataset;
struct SessionSettings;
}

namespace corral::ui {

class AspectClusteringDialog;
class JobRunner;
class JobStatusWidget;
class NewProjectDialog;
class ProjectView;
class SessionController;
class UserGuideDialog;
class WelcomeView;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    // `controller` (and its runner) outlive the window.
    explicit MainWindow(SessionController* controller, QWidget* parent = nullptr);
    // For tests: the window makes its own JobRunner and SessionController and owns them.
    MainWindow();
    ~MainWindow() override;

    SessionController* controller() const { return controller_; }
    JobRunner* job_runner() const { return runner_; }
    ProjectView* project_view() const { return project_view_; }
    // Opens the (window-modal, non-blocking) dialog for a clustering by aspect; the same as the
    // Clusterings menu item. Returns it, or nullptr without an open project.
    AspectClusteringDialog* open_aspect_clustering_dialog();
    WelcomeView* welcome_view() const { return welcome_; }
    // Starts a new project without asking (the dialog's defaults); for tests and drag and drop.
    void create_project_with_defaults(const QString& dataset_spec, const QString& project_folder);
    void open_project(const QString& folder);
    // What `corral PATH` and a drop onto the window do: a project folder (NAME.corral, or one
    // holding project.sqlite) is opened; another folder starts the new-project dialog for its
    // images.
    void open_path(const QString& path);
    static bool is_project_folder(const QString& path);
    // File → Export Clusters after the file dialog: asks links or copies (folder), and before
    // replacing anything that exists; core refuses paths inside a project. Public for tests.
    void export_clustering_to(const QString& format, const QString& output);
    // A problem the user should read: the status bar and a message box that blocks nothing.
    void show_problem(const QString& title, const QString& message);
    // Help → User Guide: the bundled guide in its own window (one at a time); returns it.
    UserGuideDialog* show_user_guide();

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void build();
    void build_menus();
    void ask_new_project(const QString& dataset_spec);
    // Shows the dialog (modal) and builds the project it asks for; a build that fails reopens it.
    void run_new_project_dialog(NewProjectDialog& dialog);
    void ask_open_project();
    void show_project_view(std::shared_ptr<const Dataset> dataset);
    void on_session_opened();
    void on_session_closed();
    void on_open_failed(const QString& folder, const QString& message, ErrorCode code);
    void show_welcome();
    void update_actions();
    void export_clustering(const QString& format);
    void ask_new_aspect_clustering();
    void ask_rename_clustering();
    void show_shortcuts();
    void refresh_recent();

    // Only with the tests' constructor; the controller is declared last so that it goes first
    // (it cancels and waits for the runner's jobs).
    std::unique_ptr<JobRunner> owned_runner_;
    std::unique_ptr<SessionController> owned_controller_;
    SessionController* controller_;
    JobRunner* runner_;
    // A close waits (without blocking) for the cancelled jobs to return.
    bool closing_ = false;
    QStackedWidget* pages_;
    WelcomeView* welcome_;
    ProjectView* project_view_ = nullptr;
    JobStatusWidget* job_status_;
    QMenu* recent_menu_ = nullptr;
    QList<QAction*> project_actions_;  // need an open project
    QList<QAction*> view_actions_;     // need the project's tabs (shown while it is built)
    QAction* close_action_ = nullptr;
    // The project being built from the dialog, and what was chosen for it: reopened on failure.
    QString new_project_folder_;
    std::unique_ptr<SessionSettings> new_project_settings_;
    QAction* undo_action_ = nullptr;
    QAction* redo_action_ = nullptr;
    QPointer<UserGuideDialog> user_guide_;
};

}  // namespace corral::ui
