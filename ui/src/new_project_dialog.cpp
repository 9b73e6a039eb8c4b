#include "new_project_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

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
    keep_one_copy_ = new QCheckBox(tr("Keep one copy of each image (recommended)"), this);
    keep_one_copy_->setToolTip(tr("Links to images already in the folder and files with identical bytes count "
                                  "once; unchecked, every file is an image of the project."));
    const auto initial_folder = parse_image_folder_spec(dataset_spec.toStdString());
    keep_one_copy_->setChecked(!initial_folder || !initial_folder->keep_duplicates);
    duplicates_summary_ = new QLabel(this);
    duplicates_summary_->setWordWrap(true);
    // Room for two lines from the start, so the summary that arrives later is never clipped.
    duplicates_summary_->setMinimumHeight(2 * duplicates_summary_->fontMetrics().lineSpacing());
    duplicates_summary_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    auto* duplicates = new QWidget(this);
    auto* duplicates_layout = new QVBoxLayout(duplicates);
    duplicates_layout->setContentsMargins(0, 0, 0, 0);
    duplicates_layout->addWidget(duplicates_summary_);
    duplicates_layout->addWidget(keep_one_copy_);
    survey_delay_ = new QTimer(this);
    survey_delay_->setSingleShot(true);
    survey_delay_->setInterval(400);  // survey once typing pauses, not on every key
    connect(survey_delay_, &QTimer::timeout, this, &NewProjectDialog::survey_images);
    connect(images_, &QLineEdit::textChanged, survey_delay_, qOverload<>(&QTimer::start));

    auto* form = new QFormLayout;
    form->addRow(tr("Images:"), with_browse_button(images_, this, [this] {
                     const QString folder = QFileDialog::getExistingDirectory(this, tr("Image folder"));
                     return folder.isEmpty() ? QString() : QStringLiteral("folder:") + folder;
                 }));
    form->addRow(tr("Duplicates:"), duplicates);
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
    survey_images();
    resize(640, sizeHint().height());
}

NewProjectDialog::~NewProjectDialog() {
    if (survey_stop_) survey_stop_->request_stop();  // the worker holds only its own copies
}

void NewProjectDialog::survey_images() {
    if (survey_stop_) survey_stop_->request_stop();
    survey_stop_.reset();
    const auto folder = parse_image_folder_spec(images_->text().trimmed().toStdString());
    keep_one_copy_->setEnabled(folder.has_value());
    if (!folder) {
        duplicates_summary_->setText(tr("Only image folders can hold duplicates."));
        return;
    }
    duplicates_summary_->setText(tr("Looking for duplicate images…"));
    auto stop = std::make_shared<std::stop_source>();
    survey_stop_ = stop;
    auto* watcher = new QFutureWatcher<Expected<ImageFolderSurvey>>(this);
    connect(watcher, &QFutureWatcher<Expected<ImageFolderSurvey>>::finished, this, [this, watcher, stop] {
        watcher->deleteLater();
        if (stop != survey_stop_) return;  // an older survey, for text since changed
        survey_stop_.reset();
        const auto survey = watcher->result();
        if (!survey) {
            duplicates_summary_->setText(QString::fromStdString(survey.error().message).toHtmlEscaped());
            return;
        }
        const QLocale locale;
        const auto files = locale.toString(static_cast<qlonglong>(survey->image_files));
        if (survey->duplicates.empty()) {
            duplicates_summary_->setText(tr("No duplicates among %1 image files.").arg(files));
            return;
        }
        const auto count = [&locale](std::int64_t n, const QString& one, const QString& many) {
            return (n == 1 ? one : many).arg(locale.toString(static_cast<qlonglong>(n)));
        };
        duplicates_summary_->setText(
            tr("%1 of %2 image files are duplicates: %3 and %4.")
                .arg(locale.toString(static_cast<qlonglong>(survey->duplicates.size())), files,
                     count(survey->links(), tr("%1 link to an image in the folder"), tr("%1 links to images in the folder")),
                     count(survey->identical_copies(), tr("%1 identical copy"), tr("%1 identical copies"))));
    });
    const std::filesystem::path path = folder->folder;
    watcher->setFuture(QtConcurrent::run([path, token = stop->get_token()] {
        return survey_image_folder(path, JobContext(token, {}));
    }));
}

void NewProjectDialog::update_encoder_field() {
    model_folder_->setEnabled(encoder_kind_->currentData().toString() != QStringLiteral("pixels"));
}

SessionSettings NewProjectDialog::settings() const {
    SessionSettings settings;
    settings.dataset_spec = images_->text().trimmed().toStdString();
    // The choice lives in the spec, so every later opening of the project finds the same images.
    if (auto folder = parse_image_folder_spec(settings.dataset_spec)) {
        folder->keep_duplicates = !keep_one_copy_->isChecked();
        settings.dataset_spec = image_folder_spec(*folder);
    }
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
