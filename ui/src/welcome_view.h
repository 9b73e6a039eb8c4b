#pragma once
// First screen: open the bundled Fashion-MNIST or an image folder. Opening runs on a worker
// thread with progress and Cancel; the result (or the error) is shown when it arrives.
#include <QFutureWatcher>
#include <QWidget>

#include <memory>
#include <stop_token>

#include "corral/core/dataset.h"

class QLabel;
class QProgressBar;
class QPushButton;

namespace corral::ui {

class WelcomeView : public QWidget {
    Q_OBJECT
public:
    explicit WelcomeView(QWidget* parent = nullptr);
    ~WelcomeView() override;

private:
    void open(const QString& spec);
    void on_opened();

    QLabel* status_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QPushButton* cancel_ = nullptr;
    std::stop_source stop_;
    QFutureWatcher<std::shared_ptr<Expected<std::unique_ptr<Dataset>>>> watcher_;
};

}  // namespace corral::ui
