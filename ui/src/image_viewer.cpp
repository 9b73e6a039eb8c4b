#include "image_viewer.h"

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

#include "thumbnail_cache.h"

namespace corral::ui {

ImageFacts image_facts(const Dataset& dataset, qint64 item, const ClusteringView* clustering) {
    ImageFacts facts;
    if (item < 0 || item >= dataset.size()) return facts;
    const std::string name = dataset.item_name(item);
    facts.title = QString::fromStdString(name);
    if (clustering && item < static_cast<qint64>(clustering->assignment.size())) {
        facts.cluster = clustering->cluster_name(clustering->assignment[static_cast<std::size_t>(item)]);
    }
    if (dataset.has_ground_truth() && item < static_cast<qint64>(dataset.labels().size())) {
        const int label = dataset.labels()[static_cast<std::size_t>(item)];
        if (label >= 0 && label < static_cast<int>(dataset.class_names().size())) {
            facts.label = QString::fromStdString(dataset.class_names()[static_cast<std::size_t>(label)]);
        }
    }
    const QString file = QString::fromStdString(dataset.item_file(item).string());
    facts.file = QDir::toNativeSeparators(QFileInfo(file).absoluteFilePath());
    // Packed formats name an item "FILE#N"; an image folder names it by its path.
    const QString file_name = QFileInfo(file).fileName();
    if (facts.title.startsWith(file_name + QLatin1Char('#'))) facts.place = facts.title.mid(file_name.size());
    return facts;
}

ImageViewer::ImageViewer(const QImage& image, const ImageFacts& facts, QWidget* parent) : QDialog(parent) {
    setWindowTitle(facts.title);
    auto* picture = new QLabel(this);
    picture->setObjectName(QStringLiteral("image_view"));
    picture->setAlignment(Qt::AlignCenter);
    QLabel* note = nullptr;
    if (image.isNull()) {
        picture->setText(tr("This image can no longer be read."));
    } else {
        const int side = std::max(image.width(), 384);
        // Premultiplied before scaling, so transparent pixels do not bleed their colour into edges.
        QImage shown = image.hasAlphaChannel() ? image.convertToFormat(QImage::Format_ARGB32_Premultiplied) : image;
        shown = shown.scaled(side, side, Qt::KeepAspectRatio,
                             image.width() < 192 ? Qt::FastTransformation : Qt::SmoothTransformation);
        if (image.hasAlphaChannel()) {
            shown = over_checkerboard(shown);
            note = new QLabel(tr("Transparent areas are shown as a checkerboard; thumbnails, questions and the "
                                 "encoders see them as white."),
                              this);
            note->setObjectName(QStringLiteral("transparency_note"));
            note->setWordWrap(true);
        }
        picture->setPixmap(QPixmap::fromImage(shown));
    }
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(picture);
    scroll->setWidgetResizable(true);

    const auto selectable = [this](const QString& text, const QString& object_name) {
        auto* field = new QLabel(text, this);
        field->setObjectName(object_name);
        field->setTextFormat(Qt::PlainText);
        field->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
        field->setFocusPolicy(Qt::StrongFocus);  // Tab reaches it: the keyboard can select and copy too
        return field;
    };
    auto* facts_form = new QFormLayout;
    cluster_ = selectable(facts.cluster.isEmpty() ? tr("none yet") : facts.cluster, QStringLiteral("cluster_field"));
    facts_form->addRow(tr("Cluster:"), cluster_);
    if (!facts.label.isEmpty()) {
        label_ = selectable(facts.label, QStringLiteral("label_field"));
        label_->setToolTip(tr("The ground truth: the image's class folder or its labels.csv entry"));
        facts_form->addRow(tr("Label:"), label_);
    }
    file_ = selectable(facts.place.isEmpty() ? facts.file : tr("%1, image %2").arg(facts.file, facts.place),
                       QStringLiteral("file_field"));
    file_->setWordWrap(true);
    copy_path_ = new QPushButton(tr("&Copy path"), this);
    copy_path_->setToolTip(tr("Copy the file's path to the clipboard"));
    const QString path = facts.file;
    connect(copy_path_, &QPushButton::clicked, this, [path] { QApplication::clipboard()->setText(path); });
    auto* file_row = new QHBoxLayout;
    file_row->addWidget(file_, 1);
    file_row->addWidget(copy_path_, 0, Qt::AlignTop);
    facts_form->addRow(tr("File:"), file_row);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(scroll, 1);
    if (note) layout->addWidget(note);
    layout->addLayout(facts_form);
    const int extra = facts_form->sizeHint().height() + (note ? note->sizeHint().height() + 8 : 0);
    // Room for the scroll area's frame and the margins: no scroll bars when the image fits.
    constexpr int kMargins = 72;
    resize(std::clamp(picture->sizeHint().width() + kMargins, 420, 1000),
           std::min(840, picture->sizeHint().height() + kMargins + extra));
}

}  // namespace corral::ui
