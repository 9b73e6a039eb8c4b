#include "welcome_view.h"

#include <QFileDialog>
#include <QLabel>
#include <QMetaObject>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace corral::ui {

WelcomeView::WelcomeView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->addStretch();
    auto* title = new QLabel(tr("<h1>Corral</h1><p>Group a collection of images, then make the groups better "
                                "by answering a few questions.</p>"),
                             this);
    title->setAlignment(Qt::AlignCenter);
    layout->addWidget(title);
    auto* open_bundled = new QPushButton(tr("Open the bundled Fashion-MNIST"), this);
    auto* open_folder = new QPushButton(tr("Open an image folder…"), this);
    for (auto* button : {open_bundled, open_folder}) layout->addWidget(button, 0, Qt::AlignHCenter);
    status_ = new QLabel(this);
    status_->setAlignment(Qt::AlignCenter);
    status_->setWordWrap(true);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1000);
    progress_->hide();
    cancel_ = new QPushButton(tr("Cancel"), this);
    cancel_->hide();
    layout->addWidget(status_);
    layout->addWidget(progress_);
    layout->addWidget(cancel_, 0, Qt::AlignHCenter);
    layout->addStretch();

    connect(open_bundled, &QPushButton::clicked, this, [this] { open(QStringLiteral("fashion-mnist")); });
    connect(open_folder, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Open an image folder"));
        if (!folder.isEmpty()) open(QStringLiteral("folder:") + folder);
    });
    connect(cancel_, &QPushButton::clicked, this, [this] { stop_.request_stop(); });
    connect(&watcher_, &QFutureWatcherBase::finished, this, &WelcomeView::on_opened);
}

WelcomeView::~WelcomeView() {
    stop_.request_stop();
    watcher_.waitForFinished();
}

void WelcomeView::open(const QString& spec) {
    if (watcher_.isRunning()) return;
    stop_ = std::stop_source();
    progress_->setValue(0);
    progress_->show();
    cancel_->show();
    status_->setText(tr("Opening %1…").arg(spec));
    // Progress arrives on the worker thread; it is forwarded to the UI thread by a queued call.
    auto progress = [this](double fraction, std::string_view) {
        QMetaObject::invokeMethod(progress_, "setValue", Qt::QueuedConnection, Q_ARG(int, static_cast<int>(fraction * 1000)));
    };
    JobContext job(stop_.get_token(), progress);
    const std::string spec_text = spec.toStdString();
    watcher_.setFuture(QtConcurrent::run([spec_text, job] {
        return std::make_shared<Expected<std::unique_ptr<Dataset>>>(open_dataset(spec_text, {}, job));
    }));
}

void WelcomeView::on_opened() {
    progress_->hide();
    cancel_->hide();
    const auto& result = *watcher_.result();
    if (!result) {
        status_->setText(tr("Could not open: %1").arg(QString::fromStdString(result.error().describe())));
        return;
    }
    const auto& dataset = **result;
    status_->setText(tr("%1 — %2 images ready, %3 skipped")
                         .arg(QString::fromStdString(dataset.description()))
                         .arg(dataset.size())
                         .arg(dataset.skipped().size()));
}

}  // namespace corral::ui
