#pragma once
// First screen: start a project from an image folder or the bundled Fashion-MNIST, open one,
// or reopen a recent one (paths shortened in the middle, the whole path in the tooltip; the
// context menu or Delete takes one off the list). A folder dropped on the window starts a
// project from it. A line under the buttons says what just happened (a build cancelled, a
// project that no longer opens).
#include <QWidget>

class QLabel;
class QListWidget;

namespace corral::ui {

class WelcomeView : public QWidget {
    Q_OBJECT
public:
    explicit WelcomeView(QWidget* parent = nullptr);
    void set_recent_projects(const QStringList& folders);
    // Shown until the next one (empty: hidden).
    void show_notice(const QString& message);
    QListWidget* recent_list() const { return recent_; }
    QLabel* notice() const { return notice_; }

Q_SIGNALS:
    void new_project_requested(const QString& dataset_spec);  // "" = let the user pick a folder
    void open_project_requested(const QString& folder);       // "" = let the user pick a project
    void remove_recent_requested(const QString& folder);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void show_recent_menu(const QPoint& position);
    void elide_recent();

    QListWidget* recent_;
    QLabel* recent_label_;
    QLabel* notice_;
};

}  // namespace corral::ui
