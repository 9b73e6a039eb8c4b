#include "welcome_view.h"

#include <QDir>
#include <QFontMetrics>
#include <QFileInfo>
#include <QIcon>
#include <QKeyEvent>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
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
    auto* from_bundled = new QPushButton(tr("New project with the bundled Fashion-MNIST…"), this);
    auto* open = new QPushButton(tr("Open a project…"), this);
    notice_ = new QLabel(this);
    notice_->setObjectName(QStringLiteral("welcome_notice"));
    notice_->setWordWrap(true);
    notice_->setAlignment(Qt::AlignCenter);
    notice_->setFixedWidth(560);  // a fixed width lets the wrapped text take the lines it needs
    notice_->setFrameShape(QFrame::StyledPanel);
    notice_->setMargin(6);
    notice_->hide();
    recent_ = new QListWidget(this);
    recent_->setFixedWidth(560);
    recent_->setAccessibleName(tr("Recent projects"));
    // Paths are shortened in the middle to the list's width (the start and the project's folder
    // stay readable), never scrolled sideways; the tooltip has the whole path.
    recent_->setTextElideMode(Qt::ElideMiddle);
    recent_->setWordWrap(false);
    recent_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    recent_->viewport()->installEventFilter(this);
    recent_->setContextMenuPolicy(Qt::CustomContextMenu);
    recent_->installEventFilter(this);

    auto* layout = new QVBoxLayout(this);
    layout->addStretch();
    layout->addWidget(logo);
    layout->addWidget(title);
    for (auto* button : {from_folder, from_bundled, open}) {
        button->setMinimumWidth(360);
        layout->addWidget(button, 0, Qt::AlignHCenter);
    }
    layout->addSpacing(8);
    layout->addWidget(notice_, 0, Qt::AlignHCenter);
    layout->addSpacing(8);
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
    connect(recent_, &QWidget::customContextMenuRequested, this, &WelcomeView::show_recent_menu);
}

void WelcomeView::set_recent_projects(const QStringList& folders) {
    recent_->clear();
    for (const QString& folder : folders) {
        auto* item = new QListWidgetItem(recent_);
        item->setData(Qt::UserRole, folder);
        item->setToolTip(QDir::toNativeSeparators(folder));
    }
    const int rows = std::max<int>(1, static_cast<int>(folders.size()));
    recent_->setFixedHeight(rows * recent_->fontMetrics().height() * 3 / 2 + 2 * recent_->frameWidth() + 6);
    elide_recent();
    recent_->setVisible(!folders.isEmpty());
    recent_label_->setVisible(!folders.isEmpty());
}

void WelcomeView::elide_recent() {
    const QFontMetrics metrics(recent_->font());
    const int width = recent_->viewport()->width() - 8;
    for (int row = 0; row < recent_->count(); ++row) {
        QListWidgetItem* item = recent_->item(row);
        const QString folder = item->data(Qt::UserRole).toString();
        const QString name = QFileInfo(folder).fileName() + QStringLiteral("  —  ");
        const QString path = metrics.elidedText(QDir::toNativeSeparators(folder), Qt::ElideMiddle,
                                                std::max(40, width - metrics.horizontalAdvance(name)));
        item->setText(name + path);
    }
}

void WelcomeView::show_notice(const QString& message) {
    notice_->setText(message);
    // Centred in a box layout a wrapped label gets one line's height unless told its own.
    if (!message.isEmpty()) notice_->setFixedHeight(notice_->heightForWidth(notice_->width()));
    notice_->setVisible(!message.isEmpty());
}

void WelcomeView::show_recent_menu(const QPoint& position) {
    QListWidgetItem* item = recent_->itemAt(position);
    if (!item) return;
    const QString folder = item->data(Qt::UserRole).toString();
    QMenu menu(this);
    menu.addAction(tr("Open"), this, [this, folder] { Q_EMIT open_project_requested(folder); });
    menu.addAction(tr("Remove from list"), this, [this, folder] { Q_EMIT remove_recent_requested(folder); });
    menu.exec(recent_->viewport()->mapToGlobal(position));
}

bool WelcomeView::eventFilter(QObject* watched, QEvent* event) {
    if (watched == recent_->viewport() && event->type() == QEvent::Resize) elide_recent();
    if (watched == recent_ && event->type() == QEvent::KeyPress) {
        const auto* key = static_cast<QKeyEvent*>(event);
        if ((key->key() == Qt::Key_Delete || key->key() == Qt::Key_Backspace) && recent_->currentItem()) {
            Q_EMIT remove_recent_requested(recent_->currentItem()->data(Qt::UserRole).toString());
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

}  // namespace corral::ui
