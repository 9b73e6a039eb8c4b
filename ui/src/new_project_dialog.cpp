#include "new_project_dialog.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTimer>

#include <functional>

#include "feature_learning_choice.h"
#include "plural.h"
#include "project_locations.h"
#include "worker_threads.h"

namespace corral::ui {
namespace {

// QSettings keys of the remembered choices.
constexpr char kLastFolderKey[] = "new_project/folder";
constexpr char kEncoderKey[] = "new_project/encoder";
constexpr char kModelFolderKey[] = "new_project/model_folder";
constexpr char kClustersKey[] = "new_project/clusters";
constexpr char kRoundSizeKey[] = "new_project/round_size";

// The halves of Debian's Fashion-MNIST: the spec's suffix and the number of images.
struct FashionHalf {
    const char* suffix;
    qint64 images;
};
constexpr FashionHalf kFashionHalves[] = {{"", 70'000}, {"train", 60'000}, {"test", 10'000}};
constexpr int kFashionClasses = 10;

QWidget* with_browse_button(QLineEdit* field, QWidget* parent, const std::function<QString()>& browse,
                            const std::function<void(const QString&)>& chosen = {}) {
    auto* row = new QWidget(parent);
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(field);
    auto* button = new QPushButton(QObject::tr("Browse…"), row);
    layout->addWidget(button);
    QObject::connect(button, &QPushButton::clicked, row, [field, browse, chosen] {
        const QString path = browse();
        if (path.isEmpty()) return;
        field->setText(path);
        if (chosen) chosen(path);
    });
    return row;
}

// A typed path as the file system reads it: "~/" is the home folder; relative paths are made absolute.
QString expanded_path(const QString& typed) {
    QString path = typed.trimmed();
    if (path.isEmpty()) return path;
    if (path == QStringLiteral("~") || path.startsWith(QStringLiteral("~/"))) path = QDir::homePath() + path.mid(1);
    return QDir::cleanPath(QFileInfo(path).absoluteFilePath());
}

bool is_project_folder(const QFileInfo& info) {
    return info.isDir() && (info.suffix() == QStringLiteral("corral") ||
                            QFileInfo::exists(info.absoluteFilePath() + QStringLiteral("/project.sqlite")));
}

}  // namespace

QString NewProjectDialog::default_project_folder(const QString& dataset_spec) {
    QString name;
    if (const auto folder = parse_image_folder_spec(dataset_spec.toStdString())) {
        name = QFileInfo(QString::fromStdString(folder->folder.string())).fileName();
    } else if (dataset_spec.contains(QLatin1Char('/')) || dataset_spec.contains(QLatin1Char('\\'))) {
        name = QFileInfo(dataset_spec).fileName();  // a folder of packed files
    } else {
        name = dataset_spec;  // fashion-mnist:test -> fashion-mnist-test
        name.replace(QLatin1Char(':'), QLatin1Char('-'));
    }
    if (name.isEmpty()) name = QStringLiteral("project");
    const QString base = default_projects_folder() + QLatin1Char('/');
    QString candidate = base + name + QStringLiteral(".corral");
    for (int n = 2; QFileInfo::exists(candidate); ++n) candidate = base + name + QStringLiteral("-%1.corral").arg(n);
    return candidate;
}

QStringList NewProjectDialog::kinds_with_model_folder() { return {QStringLiteral("convnet"), QStringLiteral("clip")}; }

NewProjectDialog::NewProjectDialog(const QString& dataset_spec, QWidget* parent) : QDialog(parent) {
    build();
    restore_remembered();
    QString spec = dataset_spec;
    if (spec.isEmpty()) spec = QSettings().value(QLatin1String(kLastFolderKey)).toString();
    select_dataset(spec);
    on_images_changed();
    survey_images();
}

NewProjectDialog::NewProjectDialog(const SessionSettings& previous, const QString& project_folder,
                                   const QString& build_error, QWidget* parent)
    : QDialog(parent) {
    build();
    select_dataset(QString::fromStdString(previous.dataset_spec));
    select_encoder(previous.encoder_spec);
    image_limit_->setValue(static_cast<int>(previous.limit));
    clusters_typed_ = true;  // the count chosen then stays, whatever the folder suggests
    clusters_->setValue(previous.clusters);
    round_size_->setValue(previous.round_size);
    project_folder_chosen_ = true;
    project_folder_->setText(project_folder);
    if (!build_error.isEmpty()) {
        build_error_->setText(tr("<b>The project could not be made:</b> %1<br>Everything you chose is kept: change what "
                                 "needs changing and press Create again.")
                                  .arg(build_error.toHtmlEscaped()));
        build_error_->show();
    }
    on_images_changed();
    survey_images();
}

NewProjectDialog::~NewProjectDialog() {
    if (survey_stop_) survey_stop_->request_stop();  // the worker holds only its own copies
}

void NewProjectDialog::build() {
    setWindowTitle(tr("New project"));
    build_error_ = new QLabel(this);
    build_error_->setObjectName(QStringLiteral("build_error"));
    build_error_->setWordWrap(true);
    build_error_->setTextFormat(Qt::RichText);
    build_error_->setStyleSheet(QStringLiteral("QLabel { border: 1px solid #c0392b; border-radius: 3px; padding: 6px; }"));
    build_error_->hide();

    // --- the images: a folder, or Fashion-MNIST and its halves
    auto* images = new QWidget(this);
    auto* images_layout = new QGridLayout(images);
    images_layout->setContentsMargins(0, 0, 0, 0);
    folder_choice_ = new QRadioButton(tr("Image &folder:"), images);
    fashion_choice_ = new QRadioButton(tr("Fashion-&MNIST (bundled):"), images);
    source_ = new QButtonGroup(this);
    source_->addButton(folder_choice_);
    source_->addButton(fashion_choice_);
    folder_ = new QLineEdit(images);
    folder_->setObjectName(QStringLiteral("image_folder"));
    folder_->setPlaceholderText(tr("a folder of images; one subfolder per class gives ground truth"));
    folder_->setAccessibleName(tr("Image folder"));
    browse_folder_ = new QPushButton(tr("Browse…"), images);
    fashion_half_ = new QComboBox(images);
    fashion_half_->setObjectName(QStringLiteral("fashion_half"));
    fashion_half_->setAccessibleName(tr("Which Fashion-MNIST images"));
    const QLocale locale;
    fashion_half_->addItem(tr("All %1 images").arg(locale.toString(kFashionHalves[0].images)), QString());
    fashion_half_->addItem(tr("Training half, %1 images").arg(locale.toString(kFashionHalves[1].images)),
                           QStringLiteral("train"));
    fashion_half_->addItem(tr("Test half, %1 images").arg(locale.toString(kFashionHalves[2].images)),
                           QStringLiteral("test"));
    if (!find_fashion_mnist()) {
        fashion_choice_->setToolTip(tr("Not installed: Debian's package dataset-fashion-mnist (scripts/install-deps.sh)"));
    }
    images_summary_ = new QLabel(images);
    images_summary_->setObjectName(QStringLiteral("images_summary"));
    images_summary_->setWordWrap(true);
    images_layout->addWidget(folder_choice_, 0, 0);
    images_layout->addWidget(folder_, 0, 1);
    images_layout->addWidget(browse_folder_, 0, 2);
    images_layout->addWidget(fashion_choice_, 1, 0);
    images_layout->addWidget(fashion_half_, 1, 1, 1, 2);
    images_layout->addWidget(images_summary_, 2, 0, 1, 3);
    images_layout->setColumnStretch(1, 1);

    keep_one_copy_ = new QCheckBox(tr("Keep one copy of each image (recommended)"), this);
    keep_one_copy_->setToolTip(tr("Links to images already in the folder and files with identical bytes count "
                                  "once; unchecked, every file is an image of the project."));
    keep_one_copy_->setChecked(true);
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

    image_limit_ = new QSpinBox(this);
    image_limit_->setRange(0, 100'000'000);
    image_limit_->setSingleStep(1000);
    image_limit_->setSpecialValueText(tr("every image"));
    image_limit_->setSuffix(tr(" images"));
    image_limit_->setToolTip(tr("Work on an even sample of the collection first; 0 uses every image."));

    // One item per encoder; the item data is its kind (kinds_with_model_folder() need a folder).
    learning_ = new FeatureLearningChoice(this);
    encoder_kind_ = new QComboBox(this);
    encoder_kind_->setObjectName(QStringLiteral("encoder_kind"));
    encoder_kind_->addItem(tr("Pixels (instant, a baseline)"), QStringLiteral("pixels"));
    encoder_kind_->addItem(tr("Learn features from these images (trains in the background)"), QStringLiteral("learn"));
    encoder_kind_->addItem(tr("Convnet trained on these images (folder of a pretrained model)"), QStringLiteral("convnet"));
    encoder_kind_->addItem(tr("CLIP (model folder)"), QStringLiteral("clip"));
    model_folder_ = new QLineEdit(this);
    model_folder_->setPlaceholderText(tr("folder with config.json and model.safetensors"));

    clusters_ = new QSpinBox(this);
    clusters_->setRange(2, 500);
    clusters_->setValue(usual_clusters_);
    clusters_hint_ = new QLabel(this);
    clusters_hint_->setObjectName(QStringLiteral("clusters_hint"));
    clusters_hint_->setForegroundRole(QPalette::PlaceholderText);  // secondary text in every theme
    auto* clusters_row = new QWidget(this);
    auto* clusters_layout = new QHBoxLayout(clusters_row);
    clusters_layout->setContentsMargins(0, 0, 0, 0);
    clusters_layout->addWidget(clusters_);
    clusters_layout->addWidget(clusters_hint_, 1);

    round_size_ = new QSpinBox(this);
    round_size_->setRange(5, 2000);
    round_size_->setValue(50);
    round_size_->setToolTip(tr("Questions per round; the model learns from the answers after each round."));
    project_folder_ = new QLineEdit(this);
    project_folder_->setObjectName(QStringLiteral("project_folder"));

    problem_label_ = new QLabel(this);
    problem_label_->setObjectName(QStringLiteral("problem"));
    problem_label_->setWordWrap(true);
    problem_label_->setStyleSheet(QStringLiteral("color: #c0392b;"));
    problem_label_->setMinimumHeight(2 * problem_label_->fontMetrics().lineSpacing());
    problem_label_->setAlignment(Qt::AlignLeft | Qt::AlignTop);

    auto* form = new QFormLayout;
    form->addRow(tr("Images:"), images);
    form->addRow(tr("Duplicates:"), duplicates);
    form->addRow(tr("Use at most:"), image_limit_);
    form->addRow(tr("Encoder:"), encoder_kind_);
    form->addRow(tr("Model folder:"), with_browse_button(model_folder_, this, [this] {
                     return QFileDialog::getExistingDirectory(this, tr("Model folder"), model_folder_->text());
                 }));
    form->addRow(tr("Training:"), learning_);
    form->addRow(tr("Clusters:"), clusters_row);
    form->addRow(tr("Questions per round:"), round_size_);
    form->addRow(tr("Save project as:"), with_browse_button(
                                             project_folder_, this,
                                             [this] {
                                                 return QFileDialog::getSaveFileName(
                                                     this, tr("Save project as"), project_folder_->text(),
                                                     tr("Corral projects (*.corral)"), nullptr,
                                                     QFileDialog::DontConfirmOverwrite);
                                             },
                                             [this](const QString&) { project_folder_chosen_ = true; }));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    create_ = buttons->button(QDialogButtonBox::Ok);
    create_->setText(tr("Create"));
    connect(buttons, &QDialogButtonBox::accepted, this, &NewProjectDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(build_error_);
    layout->addLayout(form);
    layout->addWidget(problem_label_);
    layout->addWidget(buttons);

    // Choosing in a row selects its source; every change is checked at once.
    connect(browse_folder_, &QPushButton::clicked, this, [this] {
        const QString start = folder_->text().isEmpty() ? QSettings().value(QLatin1String(kLastFolderKey)).toString()
                                                        : folder_->text();
        const QString chosen = QFileDialog::getExistingDirectory(this, tr("Image folder"), start);
        if (chosen.isEmpty()) return;
        folder_choice_->setChecked(true);
        folder_->setText(QDir::toNativeSeparators(chosen));
        survey_delay_->stop();
        on_images_changed();
    });
    connect(folder_, &QLineEdit::textEdited, this, [this] { folder_choice_->setChecked(true); });
    connect(folder_, &QLineEdit::textChanged, this, [this] {
        survey_delay_->start();
        on_images_changed();
    });
    connect(fashion_half_, &QComboBox::activated, this, [this] { fashion_choice_->setChecked(true); });
    connect(fashion_half_, &QComboBox::currentIndexChanged, this, &NewProjectDialog::on_images_changed);
    connect(source_, &QButtonGroup::buttonToggled, this, [this](QAbstractButton*, bool checked) {
        if (!checked) return;
        survey_delay_->stop();
        on_images_changed();
        survey_images();
    });
    connect(keep_one_copy_, &QCheckBox::toggled, this, &NewProjectDialog::validate);
    connect(image_limit_, &QSpinBox::valueChanged, this, &NewProjectDialog::validate);
    connect(encoder_kind_, &QComboBox::currentIndexChanged, this, &NewProjectDialog::update_encoder_field);
    connect(encoder_kind_, &QComboBox::activated, this, [this] { encoder_chosen_ = true; });
    const auto update_learning = [this] { learning_->set_images(dataset_spec(), image_limit_->value(), clusters_->value()); };
    connect(image_limit_, &QSpinBox::valueChanged, this, update_learning);
    connect(clusters_, &QSpinBox::valueChanged, this, update_learning);
    connect(model_folder_, &QLineEdit::textChanged, this, &NewProjectDialog::validate);
    connect(clusters_, &QSpinBox::valueChanged, this, [this] {
        if (!setting_clusters_) clusters_typed_ = true;
        validate();
    });
    connect(round_size_, &QSpinBox::valueChanged, this, &NewProjectDialog::validate);
    connect(project_folder_, &QLineEdit::textEdited, this, [this] { project_folder_chosen_ = true; });
    connect(project_folder_, &QLineEdit::textChanged, this, &NewProjectDialog::validate);
    update_encoder_field();
    resize(700, sizeHint().height());
}

void NewProjectDialog::restore_remembered() {
    const QSettings settings;
    const QString kind = settings.value(QLatin1String(kEncoderKey)).toString();
    if (const int index = encoder_kind_->findData(kind); index >= 0) {
        encoder_kind_->setCurrentIndex(index);
        encoder_chosen_ = true;
    }
    model_folder_->setText(settings.value(QLatin1String(kModelFolderKey)).toString());
    usual_clusters_ = std::clamp(settings.value(QLatin1String(kClustersKey), 10).toInt(), clusters_->minimum(),
                                 clusters_->maximum());
    setting_clusters_ = true;
    clusters_->setValue(usual_clusters_);
    setting_clusters_ = false;
    round_size_->setValue(settings.value(QLatin1String(kRoundSizeKey), 50).toInt());
}

void NewProjectDialog::select_dataset(const QString& dataset_spec) {
    const QSignalBlocker block_source(source_);
    const QSignalBlocker block_folder(folder_);
    const QSignalBlocker block_half(fashion_half_);
    const QString spec = dataset_spec.trimmed();
    if (spec == QStringLiteral("fashion-mnist") || spec.startsWith(QStringLiteral("fashion-mnist:"))) {
        fashion_choice_->setChecked(true);
        const int half = fashion_half_->findData(spec.section(QLatin1Char(':'), 1));
        fashion_half_->setCurrentIndex(std::max(half, 0));
        return;
    }
    folder_choice_->setChecked(true);
    if (const auto folder = parse_image_folder_spec(spec.toStdString())) {
        folder_->setText(QDir::toNativeSeparators(QString::fromStdString(folder->folder.string())));
        keep_one_copy_->setChecked(!folder->keep_duplicates);
        return;
    }
    // Packed formats are found by looking into the folder: keep only the path of idx:DIR, cifar:DIR.
    const QString scheme = spec.section(QLatin1Char(':'), 0, 0);
    const bool known_scheme = scheme == QStringLiteral("idx") || scheme == QStringLiteral("cifar") ||
                              scheme == QStringLiteral("folder") || scheme == QStringLiteral("folder-keep-duplicates");
    folder_->setText(QDir::toNativeSeparators(known_scheme ? spec.section(QLatin1Char(':'), 1) : spec));
}

void NewProjectDialog::select_encoder(const std::string& encoder_spec) {
    const QString spec = QString::fromStdString(encoder_spec);
    const QString kind = spec.section(QLatin1Char(':'), 0, 0);
    if (const int index = encoder_kind_->findData(kind); index >= 0) encoder_kind_->setCurrentIndex(index);
    model_folder_->setText(spec.contains(QLatin1Char(':')) ? spec.section(QLatin1Char(':'), 1) : QString());
}

QString NewProjectDialog::dataset_spec() const {
    if (fashion_choice_->isChecked()) {
        const QString half = fashion_half_->currentData().toString();
        return half.isEmpty() ? QStringLiteral("fashion-mnist") : QStringLiteral("fashion-mnist:") + half;
    }
    const QString path = expanded_path(folder_->text());
    if (path.isEmpty()) return {};
    if (auto folder = parse_image_folder_spec(path.toStdString())) {
        // The choice lives in the spec, so every later opening of the project finds the same images.
        folder->keep_duplicates = !keep_one_copy_->isChecked();
        return QString::fromStdString(image_folder_spec(*folder));
    }
    return path;  // a folder of IDX or CIFAR files (read as such), or nothing yet
}

void NewProjectDialog::on_images_changed() {
    const QString spec = dataset_spec();
    if (!project_folder_chosen_) project_folder_->setText(default_project_folder(spec));
    if (fashion_choice_->isChecked()) {
        const auto& half = kFashionHalves[std::max(0, fashion_half_->currentIndex())];
        images_summary_->setText(find_fashion_mnist()
                                     ? tr("%1 clothing images of %2 classes, with ground truth.")
                                           .arg(QLocale().toString(half.images))
                                           .arg(kFashionClasses)
                                     : tr("Fashion-MNIST is not installed on this computer."));
        set_suggested_clusters(kFashionClasses, tr("its classes"));
    } else if (survey_ && surveyed_folder_ == expanded_path(folder_->text())) {
        show_survey(*survey_);
    } else {
        images_summary_->clear();
        set_suggested_clusters(0, {});
    }
    keep_one_copy_->setEnabled(folder_choice_->isChecked() && parse_image_folder_spec(spec.toStdString()).has_value());
    learning_->set_images(spec, image_limit_->value(), clusters_->value());
    validate();
}

void NewProjectDialog::survey_images() {
    if (survey_stop_) survey_stop_->request_stop();
    survey_stop_.reset();
    const QString path = expanded_path(folder_->text());
    const auto folder = folder_choice_->isChecked() ? parse_image_folder_spec(path.toStdString()) : std::nullopt;
    if (!folder) {
        const bool packed = folder_choice_->isChecked() && QFileInfo(path).isDir();
        const bool missing = folder_choice_->isChecked() && !packed;
        duplicates_summary_->setText(missing ? QString() : tr("Only image folders can hold duplicates."));
        if (packed) images_summary_->setText(tr("IDX or CIFAR files: read as packed images."));
        validate();
        return;
    }
    if (surveyed_folder_ == path && (survey_ || !survey_error_.isEmpty())) {
        if (survey_) show_survey(*survey_);
        else duplicates_summary_->setText(survey_error_.toHtmlEscaped());
        validate();
        return;
    }
    duplicates_summary_->setText(tr("Looking for duplicate images…"));
    images_summary_->setText(tr("Looking at the folder…"));
    auto stop = std::make_shared<std::stop_source>();
    survey_stop_ = stop;
    run_in_background(
        this,
        [folder = folder->folder, token = stop->get_token()] { return survey_image_folder(folder, JobContext(token, {})); },
        [this, stop, path](Expected<ImageFolderSurvey> survey) {
        if (stop != survey_stop_) return;  // an older survey, for text since changed
        survey_stop_.reset();
        surveyed_folder_ = path;
        survey_.reset();
        survey_error_.clear();
        if (survey) survey_ = *survey;
        else survey_error_ = QString::fromStdString(survey.error().message);
        show_survey(survey);
        validate();
    });
    validate();
}

void NewProjectDialog::show_survey(const Expected<ImageFolderSurvey>& survey) {
    if (!survey) {
        duplicates_summary_->setText(QString::fromStdString(survey.error().message).toHtmlEscaped());
        images_summary_->clear();
        set_suggested_clusters(0, {});
        return;
    }
    if (survey->image_files > kLearnFeaturesFrom && !encoder_chosen_) {
        encoder_kind_->setCurrentIndex(encoder_kind_->findData(QStringLiteral("learn")));
    }
    const QLocale locale;
    const auto files = locale.toString(static_cast<qlonglong>(survey->image_files));
    if (survey->duplicates.empty()) {
        duplicates_summary_->setText(tr("No duplicates among %1 image files.").arg(files));
    } else {
        duplicates_summary_->setText(
            tr("%1 of %2 image files are duplicates: %3 and %4.")
                .arg(locale.toString(static_cast<qlonglong>(survey->duplicates.size())), files,
                     count_text(survey->links(), tr("%1 link to an image in the folder"), tr("%1 links to images in the folder")),
                     count_text(survey->identical_copies(), tr("%1 identical copy"), tr("%1 identical copies"))));
    }
    const auto classes = static_cast<qint64>(survey->class_names.size());
    QString summary = count_text(survey->image_files, tr("%1 image file"), tr("%1 image files"));
    if (!survey->duplicates.empty()) {
        const auto distinct = survey->image_files - static_cast<std::int64_t>(survey->duplicates.size());
        summary = tr("%1 (%2 distinct)").arg(summary, locale.toString(static_cast<qlonglong>(distinct)));
    }
    if (classes >= 2) {
        summary = survey->classes_from_labels_csv
                      ? tr("%1, labelled with %2 classes by labels.csv (ground truth).").arg(summary).arg(classes)
                      : tr("%1 in %2 category folders (their names are the ground truth).").arg(summary).arg(classes);
        set_suggested_clusters(static_cast<int>(classes), survey->classes_from_labels_csv ? tr("one per class of labels.csv")
                                                                                          : tr("one per category folder"));
    } else {
        summary += QLatin1Char('.');
        set_suggested_clusters(0, {});
    }
    images_summary_->setText(summary);
}

void NewProjectDialog::set_suggested_clusters(int clusters, const QString& why) {
    const bool usable = clusters >= clusters_->minimum() && clusters <= clusters_->maximum();
    suggested_clusters_ = usable ? clusters : 0;
    clusters_hint_->setText(usable ? tr("Suggested: %1 (%2)").arg(clusters).arg(why) : QString());
    if (clusters_typed_) return;
    setting_clusters_ = true;
    clusters_->setValue(usable ? clusters : usual_clusters_);
    setting_clusters_ = false;
}

void NewProjectDialog::update_encoder_field() {
    model_folder_->setEnabled(kinds_with_model_folder().contains(encoder_kind_->currentData().toString()));
    learning_->setEnabled(encoder_kind_->currentData().toString() == QStringLiteral("learn"));
    validate();
}

std::optional<FeatureLearningPlan> NewProjectDialog::feature_learning() const {
    if (encoder_kind_->currentData().toString() != QStringLiteral("learn")) return std::nullopt;
    return learning_->plan();
}

std::optional<qint64> NewProjectDialog::image_count() const {
    std::optional<qint64> count;
    if (fashion_choice_->isChecked()) {
        count = kFashionHalves[std::max(0, fashion_half_->currentIndex())].images;
    } else if (survey_ && surveyed_folder_ == expanded_path(folder_->text())) {
        const qint64 repeated = keep_one_copy_->isChecked() ? static_cast<qint64>(survey_->duplicates.size()) : 0;
        count = survey_->image_files - repeated;
    }
    if (count && image_limit_->value() > 0) count = std::min<qint64>(*count, image_limit_->value());
    return count;
}

QString NewProjectDialog::problem() const {
    // --- the images
    if (fashion_choice_->isChecked()) {
        if (!find_fashion_mnist()) {
            return tr("Fashion-MNIST is not installed: install Debian's package dataset-fashion-mnist "
                      "(scripts/install-deps.sh), or choose an image folder.");
        }
    } else {
        const QString path = expanded_path(folder_->text());
        const QString shown = QDir::toNativeSeparators(path);
        const QFileInfo info(path);
        if (path.isEmpty()) return tr("Choose the image folder (Browse…), or Fashion-MNIST.");
        if (!info.exists()) return tr("There is no folder %1.").arg(shown);
        if (!info.isDir()) return tr("%1 is a file, not a folder.").arg(shown);
        if (!QDir(path).isReadable()) return tr("Corral may not read the folder %1.").arg(shown);
        if (surveyed_folder_ == path) {
            if (!survey_error_.isEmpty()) return survey_error_;
            if (survey_ && survey_->image_files == 0) {
                return tr("%1 holds no images (JPEG, PNG, GIF, BMP, TIFF, WebP, PGM/PPM), in it or below it.").arg(shown);
            }
        }
    }
    // --- the encoder
    const QString kind = encoder_kind_->currentData().toString();
    if (kinds_with_model_folder().contains(kind)) {
        const QString model = expanded_path(model_folder_->text());
        const QString name = kind == QStringLiteral("clip")      ? tr("CLIP")
                             : kind == QStringLiteral("convnet") ? tr("Convnet")
                                                                 : encoder_kind_->currentText();
        if (model.isEmpty()) return tr("Choose the model folder of the %1 encoder.").arg(name);
        if (!QFileInfo(model).isDir()) return tr("There is no model folder %1.").arg(QDir::toNativeSeparators(model));
    }
    // --- the clusters
    if (const auto images = image_count(); images && clusters_->value() > *images) {
        return tr("%1 clusters need at least %1 images; there are %2: choose fewer clusters.")
            .arg(clusters_->value())
            .arg(QLocale().toString(*images));
    }
    // --- where the project goes
    const QString target = project_folder();
    if (project_folder_->text().trimmed().isEmpty()) return tr("Choose where to save the project.");
    const QFileInfo target_info(target);
    if (target_info.exists()) {
        return is_project_folder(target_info)
                   ? tr("A project named “%1” already exists in %2: choose another name.")
                         .arg(target_info.completeBaseName(), QDir::toNativeSeparators(target_info.absolutePath()))
                   : tr("%1 already exists: choose another name for the project.").arg(QDir::toNativeSeparators(target));
    }
    // The nearest folder that exists is where the new ones are made.
    QFileInfo parent(target_info.absolutePath());
    while (!parent.exists() && parent.absoluteFilePath() != parent.absolutePath()) parent = QFileInfo(parent.absolutePath());
    if (parent.exists() && (!parent.isDir() || !parent.isWritable())) {
        return tr("Corral may not write in %1: choose another place for the project.")
            .arg(QDir::toNativeSeparators(parent.absoluteFilePath()));
    }
    return {};
}

void NewProjectDialog::validate() {
    const QString text = problem();
    problem_label_->setText(text);
    create_->setEnabled(text.isEmpty());
}

void NewProjectDialog::accept() {
    if (!problem().isEmpty()) return;  // Enter with Create disabled
    QSettings settings;
    if (folder_choice_->isChecked()) settings.setValue(QLatin1String(kLastFolderKey), expanded_path(folder_->text()));
    settings.setValue(QLatin1String(kEncoderKey), encoder_kind_->currentData().toString());
    settings.setValue(QLatin1String(kModelFolderKey), model_folder_->text().trimmed());
    settings.setValue(QLatin1String(kClustersKey), clusters_->value());
    settings.setValue(QLatin1String(kRoundSizeKey), round_size_->value());
    QDialog::accept();
}

SessionSettings NewProjectDialog::settings() const {
    SessionSettings settings;
    settings.dataset_spec = dataset_spec().toStdString();
    const QString kind = encoder_kind_->currentData().toString();
    // Learning features starts the project on pixels; the learned features replace them when ready.
    settings.encoder_spec = kinds_with_model_folder().contains(kind)
                                ? (kind + QLatin1Char(':') + expanded_path(model_folder_->text())).toStdString()
                            : kind == QStringLiteral("learn") ? std::string("pixels")
                                                              : kind.toStdString();
    settings.limit = image_limit_->value();
    settings.clusters = clusters_->value();
    settings.round_size = round_size_->value();
    return settings;
}

QString NewProjectDialog::project_folder() const {
    QString folder = expanded_path(project_folder_->text());
    if (!folder.isEmpty() && !folder.endsWith(QStringLiteral(".corral"))) folder += QStringLiteral(".corral");
    return folder;
}

}  // namespace corral::ui
