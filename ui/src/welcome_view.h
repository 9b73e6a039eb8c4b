#pragma once
// First screen: start a project from an image folder or the bundled Fashion-MNIST, open one,
// or reopen a recent one. A folder dropped on the window starts a project from it.
#include <QWidget>

class QLabel;
class QListWidget;

namespace corral::ui {

class WelcomeView : public QWidget {
    Q_OBJECT
public:
    explicit WelcomeView(QWidget* parent = nullptr);
    void set_recent_projects(const QStringList& folders);

Q_SIGNALS:
    void new_project_requested(const QString& dataset_spec);  // "" = let the user pick a folder
    void open_project_requested(const QString& folder);       // "" = let the user pick a project

private:
    QListWidget* recent_;
    QLabel* recent_label_;
};

}  // namespace corral::ui
