#include "welcome_view.h"

#include <QFileInfo>
#include <QIcon>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace corral::ui {

WelcomeView::WelcomeView(QWidget* parent) : QWidget(parent) {
    auto* title = new QLabel(tr("<h1>Corral</h1><p>Group a collection of images, then make the groups better by "
                                "answering a few questions.</p><p>Drop an image folder here to start.</p>"),
                             this);
    title->setAlignment(Qt::AlignCenter);
    auto* logo = new QLabel(this);
    logo->setPixmap(QIcon(QStringLiteral(":/corral/icons/corral.svg")).pixmap(96, 96));
    logo->setAlignment(Qt::AlignCenter);
    auto* from_folder = new QPushButton(tr("New project from an image folder…"), this);
    auto* from_bundled = new QPushButton(tr("New project with the bundled Fashion-MNIST"), this);
    auto* open = new QPushButton(tr("Open a project…"), this);
    recent_ = new QListWidget(this);
    recent_->setMaximumWidth(560);
    recent_->setAccessibleName(tr("Recent projects"));

    auto* layout = new QVBoxLayout(this);
    layout->addStretch();
    layout->addWidget(logo);
    layout->addWidget(title);
    for (auto* button : {from_folder, from_bundled, open}) {
        button->setMinimumWidth(360);
        layout->addWidget(button, 0, Qt::AlignHCenter);
    }
    layout->addSpacing(12);
    recent_label_ = new QLabel(tr("Recent projects:"), this);
    layout->addWidget(recent_label_, 0, Qt::AlignHCenter);
    layout->addWidget(recent_, 0, Qt::AlignHCenter);
    layout->addStretch();

    connect(from_folder, &QPushButton::clicked, this, [this] { Q_EMIT new_project_requested(QString()); });
    connect(from_bundled, &QPushButton::clicked, this,
            [this] { Q_EMIT new_project_requested(QStringLiteral("fashion-mnist")); });
    connect(open, &QPushButton::clicked, this, [this] { Q_EMIT open_project_requested(QString()); });
    connect(recent_, &QListWidget::itemActivated, this,
            [this](QListWidgetItem* item) { Q_EMIT open_project_requested(item->data(Qt::UserRole).toString()); });
}

void WelcomeView::set_recent_projects(const QStringList& folders) {
    recent_->clear();
    for (const QString& folder : folders) {
        auto* item = new QListWidgetItem(QFileInfo(folder).fileName() + QStringLiteral("  —  ") + folder, recent_);
        item->setData(Qt::UserRole, folder);
        item->setToolTip(folder);
    }
    recent_->setVisible(!folders.isEmpty());
    recent_label_->setVisible(!folders.isEmpty());
}

}  // namespace corral::ui
