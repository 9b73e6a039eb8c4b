#pragma once
// The application window. It assembles the feature panels; it owns no engine logic.
#include <QMainWindow>

namespace corral::ui {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
};

}  // namespace corral::ui
