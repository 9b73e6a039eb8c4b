#include "new_project_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>

namespace corral::ui {
namespace {

QWidget* with_browse_button(QLineEdit* field, QWidget* parent, std::function<QString()> browse) {
    auto* row = new QWidget(parent);
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(field);
    auto* button = new QPushButton(QObject::tr("Browse…"), row);
    layout->addWidget(button);
    QObject::connect(button, &QPushButton::clicked, row, [field, browse] {
        const QString chosen = browse();
        if (!chosen.isEmpty()) field->setText(chosen);
    });
    return row;
}

}  // namespace

QString NewProjectDialog::default_project_folder(const QString& dataset_spec) {
    QString name = dataset_spec;
    if (name.startsWith(QStringLiteral("folder:"))) name = QFileInfo(name.mid(7)).fileName();
    name.replace(QLatin1Char(':'), QLatin1Char('-'));
    const QString base = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/projects/");
    QString candidate = base + name + QStringLiteral(".corral");
    for (int n = 2; QFileInfo::exists(candidate); ++n) candidate = base + name + QStringLiteral("-%1.corral").arg(n);
    return candidate;
}

NewProjectDialog::NewProjectDialog(const QString& dataset_spec, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("New project"));
    images_ = new QLineEdit(dataset_spec, this);
    images_->setToolTip(tr("fashion-mnist, or folder:/path/to/images"));
    encoder_kind_ = new QComboBox(this);
    encoder_kind_->addItem(tr("Pixels (instant, a baseline)"), QStringLiteral("pixels"));
    encoder_kind_->addItem(tr("Convnet trained on these images (folder of a pretrained model)"), QStringLiteral("convnet"));
    encoder_kind_->addItem(tr("CLIP (model folder)"), QStringLiteral("clip"));
    model_folder_ = new QLineEdit(this);
    model_folder_->setPlaceholderText(tr("folder with config.json and model.safetensors"));
    image_limit_ = new QSpinBox(this);
    image_limit_->setRange(0, 100'000'000);
    image_limit_->setSingleStep(1000);
    image_limit_->setSpecialValueText(tr("every image"));
    image_limit_->setSuffix(tr(" images"));
    image_limit_->setToolTip(tr("Work on an even sample of the collection first; 0 uses every image."));
    clusters_ = new QSpinBox(this);
    clusters_->setRange(2, 500);
    clusters_->setValue(10);
    round_size_ = new QSpinBox(this);
    round_size_->setRange(5, 2000);
    round_size_->setValue(50);
    round_size_->setToolTip(tr("Questions per round; the model learns from the answers after each round."));
    project_folder_ = new QLineEdit(default_project_folder(dataset_spec), this);

    auto* form = new QFormLayout;
    form->addRow(tr("Images:"), with_browse_button(images_, this, [this] {
                     const QString folder = QFileDialog::getExistingDirectory(this, tr("Image folder"));
                     return folder.isEmpty() ? QString() : QStringLiteral("folder:") + folder;
                 }));
    form->addRow(tr("Use at most:"), image_limit_);
    form->addRow(tr("Encoder:"), encoder_kind_);
    form->addRow(tr("Model folder:"), with_browse_button(model_folder_, this, [this] {
                     return QFileDialog::getExistingDirectory(this, tr("Model folder"));
                 }));
    form->addRow(tr("Clusters:"), clusters_);
    form->addRow(tr("Questions per round:"), round_size_);
    form->addRow(tr("Save project as:"), with_browse_button(project_folder_, this, [this] {
                     return QFileDialog::getSaveFileName(this, tr("Save project as"), project_folder_->text(),
                                                         tr("Corral projects (*.corral)"));
                 }));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Create"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(encoder_kind_, &QComboBox::currentIndexChanged, this, &NewProjectDialog::update_encoder_field);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);
    update_encoder_field();
    resize(640, sizeHint().height());
}

void NewProjectDialog::update_encoder_field() {
    model_folder_->setEnabled(encoder_kind_->currentData().toString() != QStringLiteral("pixels"));
}

SessionSettings NewProjectDialog::settings() const {
    SessionSettings settings;
    settings.dataset_spec = images_->text().trimmed().toStdString();
    const QString kind = encoder_kind_->currentData().toString();
    settings.encoder_spec = kind == QStringLiteral("pixels") ? "pixels" : (kind + QLatin1Char(':') + model_folder_->text().trimmed()).toStdString();
    settings.limit = image_limit_->value();
    settings.clusters = clusters_->value();
    settings.round_size = round_size_->value();
    return settings;
}

QString NewProjectDialog::project_folder() const {
    QString folder = project_folder_->text().trimmed();
    if (!folder.endsWith(QStringLiteral(".corral"))) folder += QStringLiteral(".corral");
    return folder;
}

}  // namespace corral::ui
