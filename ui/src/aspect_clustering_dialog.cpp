#include "aspect_clustering_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <iterator>

namespace corral::ui {
namespace {

const QString kModelFolderKey = QStringLiteral("multisub/clip_model_folder");

struct Effort {
    const char* label;
    int alternations;
    int phase_one_epochs;
    int phase_two_epochs;
};

// Passes of Multi-Sub's two phases: the default is the method's; quick is for a first look.
const Effort kEfforts[] = {
    {QT_TRANSLATE_NOOP("corral::ui::AspectClusteringDialog", "Quick look (1 round)"), 1, 3, 1},
    {QT_TRANSLATE_NOOP("corral::ui::AspectClusteringDialog", "Standard (3 rounds)"), 3, 10, 2},
    {QT_TRANSLATE_NOOP("corral::ui::AspectClusteringDialog", "Thorough (5 rounds)"), 5, 20, 3},
};
constexpr int kStandardEffort = 1;

QString default_prompt(const QString& aspect) {
    return QStringLiteral("a photo of a {object} with the %1 of *").arg(aspect.isEmpty() ? QStringLiteral("aspect") : aspect);
}

QString default_name(const QString& aspect) {
    return aspect.isEmpty() ? QString() : AspectClusteringDialog::tr("By %1").arg(aspect);
}

}  // namespace

QString AspectClusteringDialog::remembered_clip_model_folder() { return QSettings().value(kModelFolderKey).toString(); }

std::vector<std::string> AspectClusteringDialog::parse_words(const QString& text) {
    std::vector<std::string> words;
    for (const QString& part : text.split(QRegularExpression(QStringLiteral("[,;\\n]")), Qt::SkipEmptyParts)) {
        const std::string word = part.simplified().toStdString();
        if (!word.empty() && std::find(words.begin(), words.end(), word) == words.end()) words.push_back(word);
    }
    return words;
}

AspectClusteringDialog::AspectClusteringDialog(QStringList taken_names, int clusters, QWidget* parent)
    : QDialog(parent), taken_names_(std::move(taken_names)) {
    setWindowTitle(tr("New aspect clustering"));
    if (auto folder = aspect_lexicon_folder()) {
        if (auto loaded = load_aspect_lexicons(*folder)) lexicons_ = std::move(*loaded);
    }

    aspect_ = new QComboBox(this);
    aspect_->setEditable(true);  // a bundled aspect, or any the user names
    aspect_->setInsertPolicy(QComboBox::NoInsert);
    for (const auto& lexicon : lexicons_) aspect_->addItem(QString::fromStdString(lexicon.aspect));
    aspect_->setToolTip(tr("What the images should be grouped by. Pick a bundled aspect or type your own."));
    words_ = new QPlainTextEdit(this);
    words_->setTabChangesFocus(true);
    words_->setPlaceholderText(tr("red, green, blue, …"));
    words_->setToolTip(tr("Reference words, separated by commas or one per line. Each cluster is described "
                          "by the words its images match best."));
    words_->setFixedHeight(words_->fontMetrics().lineSpacing() * 5 + 12);
    words_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);  // lines wrap
    word_count_ = new QLabel(this);
    word_count_->setForegroundRole(QPalette::PlaceholderText);  // secondary text in every theme
    prompt_ = new QLineEdit(this);
    prompt_->setToolTip(tr("The sentence the text model reads; * stands for the learned word of each image, "
                           "{object} for “object”."));
    clusters_ = new QSpinBox(this);
    clusters_->setRange(2, 200);
    clusters_->setValue(std::clamp(clusters, 2, 200));
    name_ = new QLineEdit(this);
    name_->setPlaceholderText(tr("e.g. By color"));
    effort_ = new QComboBox(this);
    for (const auto& effort : kEfforts) effort_->addItem(tr(effort.label));
    effort_->setCurrentIndex(kStandardEffort);
    model_folder_ = new QLineEdit(remembered_clip_model_folder(), this);
    model_folder_->setPlaceholderText(tr("folder with config.json, model.safetensors and the tokenizer"));
    auto* browse = new QPushButton(tr("Browse…"), this);
    auto* model_row = new QHBoxLayout;
    model_row->setContentsMargins(0, 0, 0, 0);
    model_row->addWidget(model_folder_, 1);
    model_row->addWidget(browse);
    problem_label_ = new QLabel(this);
    problem_label_->setWordWrap(true);
    problem_label_->setStyleSheet(QStringLiteral("color: #b3261e;"));
    problem_label_->hide();

    auto* form = new QFormLayout;
    form->addRow(tr("&Aspect:"), aspect_);
    form->addRow(tr("&Words:"), words_);
    form->addRow(QString(), word_count_);
    form->addRow(tr("&Prompt:"), prompt_);
    form->addRow(tr("&Clusters (K):"), clusters_);
    form->addRow(tr("&Name:"), name_);
    form->addRow(tr("&Training:"), effort_);
    auto* model_label = new QLabel(tr("CLIP &model:"), this);
    model_label->setBuddy(model_folder_);
    form->addRow(model_label, model_row);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    create_ = buttons->button(QDialogButtonBox::Ok);
    create_->setText(tr("Create"));
    auto* intro = new QLabel(tr("Cluster the images by one aspect with Multi-Sub: each cluster is described by the "
                                "reference words its images match best. Runs in the background."),
                             this);
    intro->setWordWrap(true);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(problem_label_);
    layout->addWidget(buttons);

    connect(buttons, &QDialogButtonBox::accepted, this, &AspectClusteringDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    // Typing in the aspect field changes the edit text; picking from the list changes the current text.
    connect(aspect_, &QComboBox::currentTextChanged, this, &AspectClusteringDialog::on_aspect_changed);
    connect(aspect_, &QComboBox::editTextChanged, this, &AspectClusteringDialog::on_aspect_changed);
    connect(words_, &QPlainTextEdit::textChanged, this, &AspectClusteringDialog::update_word_count);
    connect(name_, &QLineEdit::textEdited, this, [this] { name_edited_ = true; });
    // A message about the request goes once the user changes it.
    const auto clear_problem = [this] { problem_label_->hide(); };
    connect(model_folder_, &QLineEdit::textChanged, this, clear_problem);
    connect(name_, &QLineEdit::textChanged, this, clear_problem);
    connect(prompt_, &QLineEdit::textChanged, this, clear_problem);
    connect(words_, &QPlainTextEdit::textChanged, this, clear_problem);
    connect(aspect_, &QComboBox::currentTextChanged, this, clear_problem);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("CLIP model folder"), model_folder_->text());
        if (!folder.isEmpty()) model_folder_->setText(folder);
    });
    const int color = aspect_->findText(QStringLiteral("color"));
    aspect_->setCurrentIndex(color >= 0 ? color : 0);
    on_aspect_changed(aspect_->currentText());
    resize(600, sizeHint().height());
}

void AspectClusteringDialog::on_aspect_changed(const QString& aspect) {
    const auto found = std::find_if(lexicons_.begin(), lexicons_.end(),
                                    [&](const AspectLexicon& lexicon) { return lexicon.aspect == aspect.toStdString(); });
    if (found != lexicons_.end()) {
        QStringList words;
        for (const auto& word : found->words) words << QString::fromStdString(word);
        words_->setPlainText(words.join(QStringLiteral(", ")));
        prompt_->setText(QString::fromStdString(found->prompt));
    } else {
        // The user's own aspect: they type the words; the prompt follows the aspect's name.
        prompt_->setText(default_prompt(aspect.trimmed()));
    }
    if (!name_edited_) name_->setText(default_name(aspect.trimmed()));
    update_word_count();
}

void AspectClusteringDialog::update_word_count() {
    const auto count = parse_words(words_->toPlainText()).size();
    word_count_->setText(count == 1 ? tr("1 word") : tr("%1 words").arg(count));
}

AspectClusteringRequest AspectClusteringDialog::request() const {
    AspectClusteringRequest request;
    request.name = name_->text().trimmed().toStdString();
    request.clip_model_dir = model_folder_->text().trimmed().toStdString();
    request.params.aspect = aspect_->currentText().trimmed().toStdString();
    request.params.words = parse_words(words_->toPlainText());
    request.params.prompt_template = prompt_->text().trimmed().toStdString();
    request.params.clusters = clusters_->value();
    const Effort& effort = kEfforts[std::clamp(effort_->currentIndex(), 0, static_cast<int>(std::size(kEfforts)) - 1)];
    request.params.alternations = effort.alternations;
    request.params.phase_one_epochs = effort.phase_one_epochs;
    request.params.phase_two_epochs = effort.phase_two_epochs;
    return request;
}

QString AspectClusteringDialog::problem() const {
    const auto wanted = request();
    if (wanted.params.aspect.empty()) return tr("Name the aspect to cluster by (for example color).");
    if (wanted.params.words.size() < 2) return tr("Give at least two reference words, separated by commas.");
    if (std::count(wanted.params.prompt_template.begin(), wanted.params.prompt_template.end(), '*') != 1) {
        return tr("The prompt must contain one * (where each image's learned word goes).");
    }
    const QString name = QString::fromStdString(wanted.name);
    if (name.isEmpty()) return tr("Give the clustering a name.");
    if (taken_names_.contains(name)) return tr("The project already has a clustering named “%1”.").arg(name);
    if (auto model = check_clip_model_folder(wanted.clip_model_dir); !model) {
        return tr("CLIP model: %1").arg(QString::fromStdString(model.error().message));
    }
    return {};
}

void AspectClusteringDialog::accept() {
    const QString why = problem();
    problem_label_->setText(why);
    problem_label_->setVisible(!why.isEmpty());
    if (!why.isEmpty()) {
        resize(width(), std::max(height(), sizeHint().height()));  // room for the message, same width
        return;
    }
    QSettings().setValue(kModelFolderKey, model_folder_->text().trimmed());
    QDialog::accept();
}

}  // namespace corral::ui
