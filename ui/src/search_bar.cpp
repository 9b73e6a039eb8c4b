#include "search_bar.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

#include <memory>

#include "aspect_clustering_dialog.h"
#include "cluster_browser.h"
#include "plural.h"
#include "corral/ui/session_controller.h"

namespace corral::ui {
namespace {

QString short_name(const std::string& item_name) {
    const QString name = QString::fromStdString(item_name);
    const QString file = QFileInfo(name).fileName();
    return file.isEmpty() ? name : file;
}

}  // namespace

SearchBar::SearchBar(SessionController* controller, ClusterBrowser* browser, QWidget* parent)
    : QWidget(parent), controller_(controller), browser_(browser) {
    field_ = new QLineEdit(this);
    field_->setObjectName(QStringLiteral("text_search"));
    field_->setClearButtonEnabled(true);
    field_->setAccessibleName(tr("Search the images by text"));
    search_ = new QPushButton(tr("Search"), this);
    search_->setObjectName(QStringLiteral("text_search_button"));
    search_->setFocusPolicy(Qt::NoFocus);
    status_ = new QLabel(this);
    status_->setObjectName(QStringLiteral("search_status"));
    status_->setForegroundRole(QPalette::PlaceholderText);
    status_->setWordWrap(true);
    status_->hide();

    auto* row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(field_, 1);
    row->addWidget(search_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 2);
    layout->setSpacing(2);
    layout->addLayout(row);
    layout->addWidget(status_);

    connect(field_, &QLineEdit::returnPressed, this, [this] { search_text(field_->text()); });
    connect(search_, &QPushButton::clicked, this, [this] { search_text(field_->text()); });
    connect(controller_, &SessionController::clustering_changed, this, &SearchBar::refresh_availability);
    refresh_availability();
}

SearchBar::~SearchBar() {
    if (job_ != 0) controller_->cancel_job(job_);
}

void SearchBar::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    // A CLIP folder may have been chosen for an aspect clustering since.
    refresh_availability();
}

void SearchBar::refresh_availability() {
    text_model_ = controller_->text_search_model(AspectClusteringDialog::remembered_clip_model_folder());
    const bool available = text_model_.available() && controller_->has_session();
    field_->setEnabled(available);
    search_->setEnabled(available);
    if (available) {
        field_->setPlaceholderText(tr("Describe what to find, e.g. “a red dress”, and press Enter"));
        QString tip = tr("Ranks the images by how well they fit the words, with the CLIP model in %1.")
                          .arg(QString::fromStdString(text_model_.clip_model_dir));
        if (!text_model_.uses_project_encoder) {
            tip += QLatin1Char(' ') + tr("The first search encodes every image with it once (the features are kept in "
                                         "the project), which takes a while on a large collection.");
        }
        field_->setToolTip(tip);
        search_->setToolTip(tip);
        return;
    }
    field_->setPlaceholderText(tr("Text search needs a CLIP model (hover for how)"));
    const QString tip =
        tr("<p>Text search ranks the images by how well they fit a description. It needs a CLIP model, and "
           "there is none usable here: %1.</p><p>Choose a CLIP model folder in <b>Clusterings → New Aspect "
           "Clustering…</b>, or make the project with a CLIP encoder. “Find similar images” (Ctrl+F) works "
           "without one.</p>")
            .arg(QString::fromStdString(text_model_.problem).toHtmlEscaped());
    field_->setToolTip(tip);
    search_->setToolTip(tip);
}

void SearchBar::start(int job) {
    if (job_ != 0) controller_->cancel_job(job_);
    job_ = job;
}

void SearchBar::find_similar(qint64 item) {
    const auto dataset = controller_->dataset();
    if (!controller_->has_session() || !dataset || item < 0 || item >= dataset->size()) return;
    const QString name = short_name(dataset->item_name(item));
    status_->setText(tr("Finding images similar to “%1”…").arg(name));
    status_->show();
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    auto id = std::make_shared<int>(0);
    *id = controller_->find_similar_images(
        item, kResultCount, this, [this, id, item, name, clock](Expected<std::vector<RankedImage>> results) {
            if (*id != job_) return;  // a newer search replaced this one
            job_ = 0;
            show_results(results, item, tr("Similar to “%1”").arg(name),
                         tr("%1 ms, by the features of the current clustering").arg(clock->elapsed()));
        });
    start(*id);
}

void SearchBar::search_text(const QString& text) {
    const QString prompt = text.simplified();
    if (!controller_->has_session() || prompt.isEmpty()) return;
    refresh_availability();
    if (!text_model_.available()) {
        status_->setText(tr("Text search is not available: %1.").arg(QString::fromStdString(text_model_.problem)));
        status_->show();
        return;
    }
    if (field_->text() != text) field_->setText(text);
    status_->setText(text_model_.uses_project_encoder
                         ? tr("Searching for “%1”…").arg(prompt)
                         : tr("Searching for “%1”… (the first search encodes every image with CLIP once)").arg(prompt));
    status_->show();
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    auto id = std::make_shared<int>(0);
    *id = controller_->search_images_by_text(
        prompt, QString::fromStdString(text_model_.clip_model_dir), kResultCount, this,
        [this, id, prompt, clock](Expected<std::vector<RankedImage>> results) {
            if (*id != job_) return;
            job_ = 0;
            show_results(results, -1, tr("Text search: “%1”").arg(prompt),
                         tr("%1 ms, by CLIP").arg(clock->elapsed()));
        });
    start(*id);
}

void SearchBar::show_results(const Expected<std::vector<RankedImage>>& results, qint64 query_item, const QString& title,
                             const QString& what) {
    if (!results) {
        status_->setText(results.error().code == ErrorCode::cancelled
                             ? tr("The search was stopped.")
                             : tr("The search failed: %1").arg(QString::fromStdString(results.error().message)));
        status_->show();
        return;
    }
    std::vector<qint64> items;
    std::vector<QString> notes, captions;
    if (query_item >= 0) {
        items.push_back(query_item);
        captions.push_back(tr("this image"));
        notes.push_back(tr("The image searched from"));
    }
    // The tooltips name each image's cluster: what a move of the results would change.
    const auto clustering = controller_->clustering_view();
    const auto cluster_of = [&](qint64 item) {
        if (!clustering || item < 0 || item >= static_cast<qint64>(clustering->assignment.size())) return QString();
        return clustering->cluster_name(clustering->assignment[static_cast<std::size_t>(item)]);
    };
    if (query_item >= 0) notes.back() += tr(" · in %1").arg(cluster_of(query_item));
    int rank = 1;
    for (const auto& result : *results) {
        items.push_back(result.item);
        const QString similarity = QString::number(result.similarity, 'f', 3);
        captions.push_back(similarity);
        notes.push_back(tr("Rank %1 · cosine similarity %2 · in %3").arg(rank++).arg(similarity, cluster_of(result.item)));
    }
    browser_->show_items(std::move(items), title, true, std::move(notes), std::move(captions));
    status_->setText(tr("%1, most similar first (%2). The number under each is its cosine similarity "
                        "(1 = the same direction). Select and move them like any images.")
                         .arg(count_text(static_cast<qint64>(results->size()), tr("%1 image"), tr("%1 images")), what));
    status_->show();
    Q_EMIT results_shown();
}

}  // namespace corral::ui
